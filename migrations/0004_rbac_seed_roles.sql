-- The predefined roles and their permissions. Existing accounts get the default role, viewer.
-- Idempotent: rules already present are left alone.
INSERT INTO "casbin_rule" ("ptype", "v0", "v1", "v2") VALUES
	('p', 'viewer', 'posts', 'read'),
	('p', 'viewer', 'items', 'read'),
	('p', 'editor', 'posts', 'read'),
	('p', 'editor', 'posts', 'create'),
	('p', 'editor', 'posts', 'update'),
	('p', 'editor', 'items', 'read'),
	('p', 'editor', 'items', 'create'),
	('p', 'editor', 'items', 'update'),
	('p', 'admin', 'posts', 'read'),
	('p', 'admin', 'posts', 'create'),
	('p', 'admin', 'posts', 'update'),
	('p', 'admin', 'posts', 'delete'),
	('p', 'admin', 'items', 'read'),
	('p', 'admin', 'items', 'create'),
	('p', 'admin', 'items', 'update'),
	('p', 'admin', 'items', 'delete'),
	('p', 'admin', 'users', 'manage'),
	('p', 'admin', 'rbac', 'manage')
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "casbin_rule" ("ptype", "v0", "v1")
SELECT 'g', 'user:' || "id", 'viewer' FROM "users" WHERE "deleted_at" IS NULL
ON CONFLICT DO NOTHING;
