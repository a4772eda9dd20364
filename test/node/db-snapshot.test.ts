import { drizzle } from 'drizzle-orm/neon-http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from '../../dev/db/demo';
import { connect, migrateDatabase } from '../../dev/db/migrate';
import type { Sql } from '../../dev/db/snapshot';
import {
  backupDatabase,
  nonEmptyTables,
  RestoreRefused,
  readCatalog,
  restoreDatabase,
  wipeTables,
} from '../../dev/db/snapshot';
import { LOCAL_DATABASE_URL } from '../../dev/local-cloud/bindings';
import { startPostgres } from '../../dev/local-cloud/postgres/server';
import type { RunningService } from '../../dev/local-cloud/service';

/**
 * A scratch database on the suite's engine, served over Neon's HTTP protocol as the scripts
 * see any database: an in-memory PGlite, or (`--mode services`) a database of its own on the
 * real PostgreSQL, so the suite's database is never wiped under the other tests.
 */
async function scratchDatabase(): Promise<RunningService> {
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) return startPostgres({ port: 0 });
  const url = new URL(adminUrl);
  const name = `${url.pathname.slice(1)}_snapshot`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  url.pathname = `/${name}`;
  return startPostgres({ port: 0, postgresUrl: url.href });
}

/** Rows in every table, with values whose text form is easy to get wrong. */
async function fillEveryTable(sql: Sql) {
  await seedDemo(drizzle({ client: sql, casing: 'snake_case' }));
  await sql.query(`DELETE FROM items WHERE id = (SELECT min(id) FROM items)`);
  await sql.query(
    `UPDATE items SET description = $1, deleted_at = '2028-02-29T23:59:59.123456Z'::timestamptz - interval '3 years'
     WHERE id = (SELECT max(id) FROM items)`,
    ['quotes \' " \\ back\\slash, tab\t, newline\n, unicode é ✓ 🚀, and $1'],
  );
  const [{ id }] = (await sql.query(`SELECT min(id) AS id FROM users`)) as [{ id: number }];
  await sql.query(
    `INSERT INTO sessions (user_id, family_id, token_hash, expires_at, user_agent, ip)
     VALUES ($1, gen_random_uuid(), 'hash-a', now() + interval '30 days', 'curl/8', '2001:db8::1'),
            ($1, gen_random_uuid(), 'hash-b', now(), null, '192.0.2.7/32')`,
    [id],
  );
  await sql.query(`UPDATE sessions SET replaced_by = id + 1 WHERE token_hash = 'hash-a'`);
  await sql.query(
    `INSERT INTO one_time_tokens (user_id, purpose, token_hash, email, expires_at, used_at)
     VALUES ($1, 'verify_email', 'ott-a', 'jane@demo.stratus.test', now(), now())`,
    [id],
  );
  await sql.query(
    `INSERT INTO audit_log (user_id, actor_id, event, ip, details)
     VALUES ($1, $1, 'login', '10.0.0.1', $2::jsonb), (null, null, 'purge', null, null)`,
    [id, JSON.stringify({ nested: { list: [1, 2.5, 'three', null] }, text: 'é "q" \\u0000-free' })],
  );
  await sql.query(
    `INSERT INTO oauth_accounts (user_id, provider, provider_account_id, email, access_token)
     VALUES ($1, 'github', '12345', 'jane@users.noreply.github.com', 'v1.ciphertext==')`,
    [id],
  );
  await sql.query(
    `INSERT INTO posts (title, content, published, author_id) VALUES
       ('Draft', $2, false, $1), ('Published', 'multi
line', true, $1)`,
    [id, 'unicode ✓ and a "quote" \\ backslash'],
  );
}

async function backupLines(sql: Sql): Promise<string[]> {
  const lines: string[] = [];
  await backupDatabase(sql, (line) => {
    lines.push(line);
  });
  return lines;
}

describe('db:backup and db:restore', () => {
  let endpoint: RunningService;
  let sql: Sql;

  beforeAll(async () => {
    endpoint = await scratchDatabase();
    const target = { databaseUrl: LOCAL_DATABASE_URL, fetchEndpoint: endpoint.url };
    await migrateDatabase(target);
    sql = connect(target);
    await fillEveryTable(sql);
  });
  afterAll(() => endpoint?.close());

  it('round-trips every table byte for byte through backup, wipe and restore (issue 16)', async () => {
    const before = await backupLines(sql);
    const header = JSON.parse(before[0] ?? '{}') as { tables: { name: string; rows: number }[] };
    const tables = (await readCatalog(sql)).map((table) => table.name);
    expect(header.tables.map((table) => table.name)).toEqual(tables);
    // A table without rows would round-trip trivially: give a new table a row in fillEveryTable.
    expect(header.tables.filter((table) => table.rows === 0)).toEqual([]);

    await wipeTables(sql);
    expect(await nonEmptyTables(sql, await readCatalog(sql))).toEqual([]);
    await restoreDatabase(sql, before);

    const after = await backupLines(sql);
    expect(after.join('\n')).toBe(before.join('\n'));
  });

  it('sets identity sequences past the restored ids', async () => {
    const [{ max }] = (await sql.query(`SELECT max(id) AS max FROM items`)) as [{ max: number }];
    const [owner] = (await sql.query(`SELECT id FROM users LIMIT 1`)) as [{ id: number }];
    const [created] = (await sql.query(
      `INSERT INTO items (title, owner_id) VALUES ('after restore', $1) RETURNING id`,
      [owner.id],
    )) as [{ id: number }];
    expect(created.id).toBe(max + 1);
    await sql.query(`DELETE FROM items WHERE id = $1`, [created.id]);
  });

  it('refuses a database that holds rows, and replaces them with --force', async () => {
    const before = await backupLines(sql);
    await sql.query(
      `UPDATE users SET first_name = 'Changed' WHERE id = (SELECT min(id) FROM users)`,
    );

    await expect(restoreDatabase(sql, before)).rejects.toThrow(RestoreRefused);
    expect((await backupLines(sql)).join('\n')).not.toBe(before.join('\n'));

    await restoreDatabase(sql, before, { force: true });
    expect((await backupLines(sql)).join('\n')).toBe(before.join('\n'));
  });

  it('refuses a backup whose tables the database does not have', async () => {
    const lines = await backupLines(sql);
    const header = JSON.parse(lines[0] ?? '{}') as { tables: { name: string }[] };
    header.tables[0] = { ...header.tables[0], name: 'no_such_table' };
    await wipeTables(sql);
    await expect(restoreDatabase(sql, [JSON.stringify(header), ...lines.slice(1)])).rejects.toThrow(
      /table no_such_table is missing/,
    );
    await restoreDatabase(sql, lines);
  });

  it('seeds the demo accounts, their roles, items and posts once, however often it runs', async () => {
    const count = async () =>
      (await sql.query(
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM items)::int AS items,
                (SELECT count(*) FROM posts)::int AS posts,
                (SELECT count(*) FROM casbin_rule WHERE ptype = 'g')::int AS grants`,
      )) as [{ users: number; items: number; posts: number; grants: number }];
    await wipeTables(sql);
    await seedDemo(drizzle({ client: sql, casing: 'snake_case' }));
    const first = await count();
    await seedDemo(drizzle({ client: sql, casing: 'snake_case' }));
    expect(await count()).toEqual(first);
    // Six accounts with three items each; the admin and the editor wrote two posts each; every
    // account holds viewer, and two of them admin and editor besides.
    expect(first[0]).toEqual({ users: 6, items: 18, posts: 4, grants: 8 });
    const kinds = await sql.query(
      `SELECT is_superuser, is_verified, is_active, count(*)::int AS n FROM users
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    expect(kinds).toEqual([
      { is_superuser: false, is_verified: false, is_active: true, n: 1 },
      { is_superuser: false, is_verified: true, is_active: false, n: 1 },
      { is_superuser: false, is_verified: true, is_active: true, n: 3 },
      { is_superuser: true, is_verified: true, is_active: true, n: 1 },
    ]);
    const roles = await sql.query(
      `SELECT u.email, r.v1 AS role FROM casbin_rule r JOIN users u ON r.v0 = 'user:' || u.id
       WHERE r.ptype = 'g' AND r.v1 <> 'viewer' ORDER BY 1`,
    );
    expect(roles).toEqual([
      { email: 'jane@demo.stratus.test', role: 'admin' },
      { email: 'john@demo.stratus.test', role: 'editor' },
    ]);
  });
});
