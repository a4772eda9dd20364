import type { CustomTypesConfig } from '@neondatabase/serverless';
import { NeonDbError, neon, neonConfig } from '@neondatabase/serverless';
import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import {
  bigint,
  boolean,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/*
 * Contract tests of the local cloud's Neon SQL-over-HTTP endpoint, driven by the real
 * `@neondatabase/serverless` driver and Drizzle's neon-http adapter. The same file passes on
 * the embedded PGlite (`vitest run`) and a real PostgreSQL (`vitest run --mode services`).
 */

const endpoint = inject('localCloud').postgres;
neonConfig.fetchEndpoint = endpoint;

const suffix = crypto.randomUUID().slice(0, 8);
const table = `contract_values_${suffix}`;
const tag = `postgres-contract-${suffix}`;
const connectionString = (applicationName: string) =>
  `postgresql://stratus:stratus@localhost:5432/stratus?application_name=${applicationName}`;

const sql = neon(connectionString(tag));

const values = pgTable(table, {
  id: integer().primaryKey(),
  big: bigint({ mode: 'bigint' }),
  amount: numeric(),
  flag: boolean(),
  label: text().unique(),
  doc: jsonb(),
  at: timestamp({ withTimezone: true, mode: 'string' }),
  uid: uuid(),
  counts: integer().array(),
  tags: text().array(),
  note: text(),
});
const db = drizzle({ client: sql });

/** Parses nothing: the driver hands back exactly the text the endpoint answered. */
const RAW_TEXT: CustomTypesConfig = { getTypeParser: () => (value: string) => value };

const sample = {
  big: '9007199254740993', // 2^53 + 1: a JS number would round it
  amount: '12345678901234567890.123456789012345678',
  label: `it's "quoted" \\ back\\slash — ünïcødé 🚀`,
  doc: { nested: { list: [1, 'two', null, { deep: true }] }, ключ: '値 😀', empty: {} },
  at: '2024-02-29T12:34:56.123456Z',
  uid: '0e6f3a5c-8d1b-4f7e-9a2c-3b4d5e6f7a8b',
  counts: [1, -2, 2147483647],
  tags: ['a,b', 'say "hi"', null, 'back\\slash', '{brace}', 'NULL', ''],
};

async function insertSample(id: number, label = `${sample.label} ${id}`) {
  await sql`
    INSERT INTO ${sql.unsafe(table)} (id, big, amount, flag, label, doc, at, uid, counts, tags, note)
    VALUES (${id}, ${sample.big}, ${sample.amount}, ${true}, ${label}, ${sample.doc}, ${sample.at},
            ${sample.uid}, ${sample.counts}, ${sample.tags}, ${null})`;
}

async function rowExists(id: number): Promise<boolean> {
  const rows = await sql.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  return rows.length === 1;
}

async function stats(forTag?: string): Promise<{ requests: number; queries: number }> {
  const url = new URL('/__local/stats', endpoint);
  if (forTag) url.searchParams.set('tag', forTag);
  return (await fetch(url)).json();
}

function postSql(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    body,
    headers: { 'Neon-Connection-String': connectionString(tag), ...headers },
  });
}

beforeAll(async () => {
  await sql.query(`
    CREATE TABLE ${table} (
      id int4 PRIMARY KEY, big int8, amount numeric, flag bool, label text UNIQUE, doc jsonb,
      at timestamptz, uid uuid, counts int4[], tags text[], note text
    )`);
});

afterAll(async () => {
  await sql.query(`DROP TABLE IF EXISTS ${table}`);
});

describe('values', () => {
  it('round-trips every column type through the driver to the exact stored value', async () => {
    await insertSample(1);
    const [row] = await sql.query(`SELECT * FROM ${table} WHERE id = 1`);

    expect(row).toEqual({
      id: 1,
      big: sample.big,
      amount: sample.amount,
      flag: true,
      label: `${sample.label} 1`,
      doc: sample.doc,
      // Drizzle's adapter makes the driver keep timestamptz as text; checked exactly below.
      at: expect.anything(),
      uid: sample.uid,
      counts: sample.counts,
      tags: sample.tags,
      note: null,
    });
  });

  it('answers values as Postgres text, keeping timestamptz microseconds', async () => {
    await insertSample(2);
    const [row] = await sql.query(
      `SELECT id, big, amount, flag, at, counts, tags, note FROM ${table} WHERE id = 2`,
      [],
      { types: RAW_TEXT },
    );

    expect(row).toMatchObject({
      id: '2',
      big: '9007199254740993',
      amount: sample.amount,
      flag: 't',
      counts: '{1,-2,2147483647}',
      tags: '{"a,b","say \\"hi\\"",NULL,"back\\\\slash","{brace}","NULL",""}',
      note: null,
    });
    expect(row?.at).toMatch(/^2024-02-29 \d\d:\d\d:56\.123456[+-]\d\d/);
    const [same] = await sql.query(
      `SELECT at = $1::timestamptz AS same FROM ${table} WHERE id = 2`,
      [row?.at],
    );
    expect(same).toEqual({ same: true });
  });

  it('reads int8 beyond 2^53 as an exact bigint and timestamps with microseconds through Drizzle', async () => {
    const big = 2n ** 63n - 1n;
    await db.insert(values).values({
      id: 3,
      big,
      amount: sample.amount,
      flag: false,
      label: 'drizzle',
      doc: sample.doc,
      at: '2024-02-29 12:34:56.123456+00',
      uid: sample.uid,
      counts: sample.counts,
      tags: ['x', 'y,z'],
    });
    const [row] = await db.select().from(values).where(eq(values.id, 3));

    expect(row).toMatchObject({
      big,
      amount: sample.amount,
      flag: false,
      doc: sample.doc,
      uid: sample.uid,
      counts: sample.counts,
      tags: ['x', 'y,z'],
      note: null,
    });
    expect(row?.at).toMatch(/:56\.123456[+-]\d\d/);
  });

  it("stores a string like '); DROP TABLE …; -- verbatim and leaves the table in place", async () => {
    const attack = `'); DROP TABLE ${table}; --`;
    await insertSample(4, attack);

    const [row] = await sql.query(`SELECT label FROM ${table} WHERE id = 4`);
    expect(row).toEqual({ label: attack });
    const [exists] = await sql`SELECT to_regclass(${table}) IS NOT NULL AS exists`;
    expect(exists).toEqual({ exists: true });
  });
});

describe('errors', () => {
  it('raises NeonDbError 23505 with the constraint name on a duplicate key', async () => {
    await insertSample(10, 'duplicate');

    const error = await insertSample(11, 'duplicate').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error).toMatchObject({
      code: '23505',
      constraint: `${table}_label_key`,
      table,
      severity: 'ERROR',
      detail: 'Key (label)=(duplicate) already exists.',
    });
  });

  it('reports the SQLSTATE and position of a syntax error', async () => {
    const error = await sql.query('SELECT FROM WHERE oops').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error).toMatchObject({ code: '42601', position: expect.stringMatching(/^\d+$/) });
  });

  it('runs one statement per query, as Neon does, refusing a multi-statement script', async () => {
    const error = await sql.query('SELECT 1; SELECT 2').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '42601' });
  });

  it('answers malformed requests with 4xx and SQLSTATE 08P01', async () => {
    const badJson = await postSql('{"query": ');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: '08P01', message: expect.any(String) });

    const noQuery = await postSql(JSON.stringify({ params: [] }));
    expect(noQuery.status).toBe(400);
    expect(await noQuery.json()).toMatchObject({ code: '08P01' });

    const noConnectionString = await fetch(endpoint, {
      method: 'POST',
      body: JSON.stringify({ query: 'SELECT 1' }),
    });
    expect(noConnectionString.status).toBe(400);
    expect(await noConnectionString.json()).toMatchObject({
      code: '08P01',
      message: expect.stringContaining('Neon-Connection-String'),
    });

    const badIsolation = await postSql(JSON.stringify({ queries: [] }), {
      'Neon-Batch-Isolation-Level': 'Chaotic',
    });
    expect(badIsolation.status).toBe(400);

    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ code: '08P01' });
  });
});

describe('batches', () => {
  it('rolls back the statements before a failing one in sql.transaction()', async () => {
    await insertSample(20, 'taken');

    const batch = sql.transaction([
      sql.query(`INSERT INTO ${table} (id, label) VALUES (21, 'fresh')`),
      sql.query(`INSERT INTO ${table} (id, label) VALUES (22, 'taken')`),
    ]);

    await expect(batch).rejects.toMatchObject({ code: '23505' });
    expect(await rowExists(21)).toBe(false);
  });

  it('rolls back the statements before a failing one in Drizzle db.batch()', async () => {
    await db.insert(values).values({ id: 30, label: 'batch-taken' });

    const batch = db.batch([
      db.insert(values).values({ id: 31, label: 'batch-fresh' }),
      db.insert(values).values({ id: 32, label: 'batch-taken' }),
    ]);

    await expect(batch).rejects.toMatchObject({ code: '23505' });
    expect(await rowExists(31)).toBe(false);
  });

  it('commits every statement of a successful batch and answers one result per statement', async () => {
    const [inserted, selected] = await db.batch([
      db.insert(values).values({ id: 40, label: 'batch-ok' }).returning({ id: values.id }),
      db.select({ label: values.label }).from(values).where(eq(values.id, 40)),
    ]);

    expect(inserted).toEqual([{ id: 40 }]);
    expect(selected).toEqual([{ label: 'batch-ok' }]);
    expect(await rowExists(40)).toBe(true);
  });

  it('applies the isolation level, read-only and deferrable options of a batch', async () => {
    const show = () => [
      sql`SHOW transaction_isolation`,
      sql`SHOW transaction_read_only`,
      sql`SHOW transaction_deferrable`,
    ];

    const strict = await sql.transaction(show(), {
      isolationLevel: 'Serializable',
      readOnly: true,
      deferrable: true,
    });
    expect(strict).toEqual([
      [{ transaction_isolation: 'serializable' }],
      [{ transaction_read_only: 'on' }],
      [{ transaction_deferrable: 'on' }],
    ]);

    const relaxed = await sql.transaction(show(), {
      isolationLevel: 'RepeatableRead',
      readOnly: false,
    });
    expect(relaxed).toEqual([
      [{ transaction_isolation: 'repeatable read' }],
      [{ transaction_read_only: 'off' }],
      [{ transaction_deferrable: 'off' }],
    ]);
  });

  it('fails a write in a read-only batch with 25006 and leaves nothing behind', async () => {
    const batch = sql.transaction(
      [sql.query(`INSERT INTO ${table} (id, label) VALUES (50, 'read-only')`)],
      { readOnly: true },
    );

    await expect(batch).rejects.toMatchObject({ code: '25006' });
    expect(await rowExists(50)).toBe(false);
  });

  it('keeps a concurrent request out of a running batch, so the batch rollback spares it', async () => {
    const batch = sql.transaction([
      sql.query(`INSERT INTO ${table} (id) VALUES (70)`),
      sql`SELECT pg_sleep(0.05)`,
      sql`SELECT pg_sleep(0.05)`,
      sql.query(`INSERT INTO ${table} (id) VALUES (70)`),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const concurrent = sql.query(`INSERT INTO ${table} (id) VALUES (71)`);

    await expect(batch).rejects.toMatchObject({ code: '23505' });
    await concurrent;
    expect(await rowExists(70)).toBe(false);
    expect(await rowExists(71)).toBe(true);
  });

  it('does not let a BEGIN sent on its own leak its transaction into later requests', async () => {
    await sql`BEGIN`;

    // SAVEPOINT works only inside a transaction block: it fails unless BEGIN leaked.
    await expect(sql`SAVEPOINT probe`).rejects.toMatchObject({ code: '25P01' });
  });
});

describe('protocol', () => {
  it('answers rows as objects when Neon-Array-Mode is not true', async () => {
    const response = await postSql(
      JSON.stringify({ query: 'SELECT $1::int4 AS n, $2::text AS s', params: ['7', null] }),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      command: 'SELECT',
      rowCount: 1,
      rows: [{ n: '7', s: null }],
      fields: [
        { name: 'n', dataTypeID: 23, format: 'text' },
        { name: 's', dataTypeID: 25, format: 'text' },
      ],
      rowAsArray: false,
    });
  });

  it('answers the command tag and row count of writes and DDL as Neon does', async () => {
    const [insert, update, create, drop] = await sql.transaction(
      [
        sql.query(`INSERT INTO ${table} (id) VALUES (60), (61)`),
        sql.query(`UPDATE ${table} SET note = 'n' WHERE id IN (60, 61)`),
        sql.query(`CREATE TABLE tag_probe_${suffix} (x int)`),
        sql.query(`DROP TABLE tag_probe_${suffix}`),
      ],
      { fullResults: true },
    );

    expect(insert).toMatchObject({ command: 'INSERT', rowCount: 2 });
    expect(update).toMatchObject({ command: 'UPDATE', rowCount: 2 });
    expect(create).toMatchObject({ command: 'CREATE', rowCount: null });
    expect(drop).toMatchObject({ command: 'DROP', rowCount: null });
  });
});

describe('request counters', () => {
  it('counts requests and queries per application_name tag, a batch as one round trip', async () => {
    const counted = `postgres-counter-${crypto.randomUUID().slice(0, 8)}`;
    const tagged = neon(connectionString(counted));

    for (const n of [1, 2, 3]) await tagged`SELECT ${n}::int AS n`;
    expect(await stats(counted)).toEqual({ requests: 3, queries: 3 });

    await tagged.transaction([tagged`SELECT 1`, tagged`SELECT 2`]);
    expect(await stats(counted)).toEqual({ requests: 4, queries: 5 });

    const total = await stats();
    expect(total.requests).toBeGreaterThanOrEqual(4);
    expect(total.queries).toBeGreaterThanOrEqual(5);
  });
});

describe('session state (issue 14)', () => {
  it('starts every request from a fresh session, as Neon resets its pooled connections', async () => {
    // Several rounds: with a pool, the next request may land on any connection.
    for (let round = 0; round < 3; round += 1) {
      await sql`SELECT set_config('app.leak', 'yes', false)`;
      await sql`SET TimeZone = 'Asia/Tokyo'`;
      await sql.query(`CREATE TEMP TABLE leak_${suffix}_${round} (x int)`);
      await sql`SELECT pg_advisory_lock(14)`;
      await sql.query(`LISTEN leak_${suffix}`);

      const [state] = await sql.query(
        `SELECT current_setting('app.leak', true) AS setting, current_setting('TimeZone') AS zone,
           to_regclass('pg_temp.leak_${suffix}_${round}') AS temp,
           (SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks,
           (SELECT count(*)::int FROM pg_listening_channels()) AS channels`,
      );
      expect(state).toMatchObject({ temp: null, locks: 0, channels: 0 });
      expect(state?.setting ?? '').toBe('');
      expect(state?.zone).not.toBe('Asia/Tokyo');
    }
  });

  it('releases an advisory lock with the request, so another request can take it at once', async () => {
    await sql`SELECT pg_advisory_lock(1414)`;

    const [taken] = await sql`SELECT pg_try_advisory_lock(1414) AS taken`;
    expect(taken).toEqual({ taken: true });
  });

  it('keeps a SET sent inside a batch to that request', async () => {
    await sql.transaction([sql`SET TimeZone = 'Pacific/Chatham'`, sql`SELECT 1`]);

    const [zone] = await sql`SELECT current_setting('TimeZone') AS zone`;
    expect(zone?.zone).not.toBe('Pacific/Chatham');
  });
});

describe('limits and identity (issue 14)', () => {
  it('fails a response over 10 MB as Neon does: HTTP 507, raised by the driver', async () => {
    const error = await sql`SELECT repeat('x', 1048576) AS chunk FROM generate_series(1, 11)`.catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(NeonDbError);
    expect((error as Error).message).toMatch(
      /^Server error \(HTTP status 507\): .*response is too large \(max is 10485760 bytes\)/,
    );
    const [small] = await sql`SELECT length(repeat('x', 1048576)) AS n`;
    expect(small).toEqual({ n: 1048576 });
  });

  it('refuses a wrong password as Neon does, whatever the host', async () => {
    const wrong = neon('postgresql://stratus:not-the-password@localhost:5432/stratus');

    const error = await wrong`SELECT 1`.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonDbError);
    expect(error).toMatchObject({ message: "password authentication failed for user 'stratus'" });
  });

  it('refuses an unknown role and an unknown database', async () => {
    const role = await neon('postgresql://intruder:stratus@localhost:5432/stratus')`SELECT 1`.catch(
      (e: unknown) => e,
    );
    expect(role).toMatchObject({ message: "password authentication failed for user 'intruder'" });

    const database = await neon('postgresql://stratus:stratus@localhost:5432/typo')`SELECT 1`.catch(
      (e: unknown) => e,
    );
    expect(database).toBeInstanceOf(NeonDbError);
    expect(database).toMatchObject({ code: '3D000', message: 'database "typo" does not exist' });
  });

  it("serves as the migrations' owner role, a superuser only where it is PGlite's single role", async () => {
    const [role] = await sql`
      SELECT current_user AS name, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user`;
    const [owner] = await sql`
      SELECT pg_get_userbyid(relowner) = current_user AS owns FROM pg_class
      WHERE relname = 'users' AND relnamespace = 'public'::regnamespace`;

    expect(owner).toEqual({ owns: true });
    // PGlite has one role, postgres; a real server serves as the owner role of the test URL.
    expect(role).toEqual(
      role?.name === 'postgres'
        ? { name: 'postgres', superuser: true }
        : { name: 'stratus', superuser: false },
    );
  });
});
