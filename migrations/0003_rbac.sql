CREATE TABLE "casbin_rule" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "casbin_rule_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"ptype" text NOT NULL,
	"v0" text DEFAULT '' NOT NULL,
	"v1" text DEFAULT '' NOT NULL,
	"v2" text DEFAULT '' NOT NULL,
	"v3" text DEFAULT '' NOT NULL,
	"v4" text DEFAULT '' NOT NULL,
	"v5" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "casbin_rule_key" ON "casbin_rule" USING btree ("ptype","v0","v1","v2","v3","v4","v5");--> statement-breakpoint
CREATE INDEX "casbin_rule_ptype_v1_idx" ON "casbin_rule" USING btree ("ptype","v1");