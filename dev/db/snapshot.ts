import type { NeonQueryFunction } from '@neondatabase/serverless';

/** The client `neon(url)` returns: every statement goes over Neon's SQL-over-HTTP protocol. */
export type Sql = NeonQueryFunction<false, false>;

/** A column as the catalog describes it; `type` is `format_type`'s spelling. */
interface ColumnInfo {
  name: string;
  type: string;
  identity: boolean;
  /** The sequence behind an identity or serial column, schema-qualified. */
  sequence: string | null;
}

/** A table of the `public` schema, with what ordering and restoring need. */
export interface TableInfo {
  name: string;
  columns: ColumnInfo[];
  primaryKey: string[];
  /** Other tables of the schema its foreign keys point at. */
  references: string[];
}

/** Called while rows are written or restored, so a command line can draw a progress bar. */
export type OnProgress = (table: string, done: number, total: number) => void;

/** The first line of a backup file. */
interface BackupHeader {
  format: typeof FORMAT;
  tables: { name: string; columns: { name: string; type: string }[]; rows: number }[];
}

const FORMAT = 'stratus-backup/1';
const SCHEMA = 'public';
const PROGRESS_EVERY = 500;
/** Rows are sent to the database in statements of about this many bytes of JSON. */
const CHUNK_BYTES = 1 << 20;
/** and in batches (one transaction, one request) of about this many. */
const BATCH_BYTES = 8 << 20;

/**
 * The output styles the text form of a value depends on, pinned for the transaction so that
 * the same data always gives the same bytes and parses back to the same values.
 */
const PIN_STYLES = `SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
  set_config('IntervalStyle', 'postgres', true), set_config('bytea_output', 'hex', true),
  set_config('extra_float_digits', '1', true)`;

const CATALOG = `
SELECT COALESCE(json_agg(json_build_object(
  'name', t.relname,
  'columns', (
    SELECT json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'identity', a.attidentity <> '',
      'sequence', pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(t.relname), a.attname)
    ) ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
  'primaryKey', COALESCE((
    SELECT json_agg(a.attname ORDER BY k.ord)
    FROM pg_constraint p
    CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE p.conrelid = t.oid AND p.contype = 'p'), '[]'),
  'references', COALESCE((
    SELECT json_agg(DISTINCT r.relname)
    FROM pg_constraint f JOIN pg_class r ON r.oid = f.confrelid
    WHERE f.conrelid = t.oid AND f.contype = 'f' AND f.confrelid <> t.oid
      AND r.relnamespace = t.relnamespace), '[]')
) ORDER BY t.relname), '[]') AS catalog
FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = '${SCHEMA}' AND t.relkind IN ('r', 'p') AND NOT t.relispartition`;

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const qualified = (table: string) => `${ident(SCHEMA)}.${ident(table)}`;

/** Every table of the `public` schema with its columns, keys and references, by name. */
export async function readCatalog(sql: Sql): Promise<TableInfo[]> {
  const [row] = await sql.query(CATALOG);
  return row?.catalog as TableInfo[];
}

function selectRows(table: TableInfo): string {
  const columns = table.columns.map((column) => `${ident(column.name)}::text`).join(', ');
  const order = table.primaryKey.length
    ? table.primaryKey.map(ident).join(', ')
    : table.columns.map((_, index) => index + 1).join(', ');
  return `SELECT ${columns} FROM ${qualified(table.name)} ORDER BY ${order}`;
}

/**
 * Writes a consistent snapshot of every table of the `public` schema as JSON lines: a header
 * naming the tables and their columns, then per table a `{"table","rows"}` line and one JSON
 * array per row, each value in Postgres's text form (or null). Rows come in primary-key
 * order, so the same data always gives the same bytes.
 *
 * All tables are read in one request: a read-only, repeatable-read batch, which is one
 * snapshot of the database and works over Neon's HTTP protocol as it does locally (Neon
 * answers at most 10 MB per request). The catalog is read again inside the batch; if a
 * migration ran in between, the snapshot is taken again.
 *
 * @example
 * const lines: string[] = [];
 * await backupDatabase(neon(url), (line) => lines.push(line));
 */
export async function backupDatabase(
  sql: Sql,
  write: (line: string) => void | Promise<void>,
  onProgress?: OnProgress,
): Promise<{ name: string; rows: number }[]> {
  for (let attempt = 0; ; attempt++) {
    const tables = await readCatalog(sql);
    const [, [check], ...data] = (await sql.transaction(
      [sql.query(PIN_STYLES), sql.query(CATALOG), ...tables.map((t) => sql.query(selectRows(t)))],
      { isolationLevel: 'RepeatableRead', readOnly: true, arrayMode: true },
    )) as unknown as [unknown, [[TableInfo[]]], ...(string | null)[][][]];
    if (JSON.stringify(check?.[0]) !== JSON.stringify(tables)) {
      if (attempt < 2) continue;
      throw new Error('the schema kept changing while the backup was taken; try again');
    }
    const header: BackupHeader = {
      format: FORMAT,
      tables: tables.map((table, index) => ({
        name: table.name,
        columns: table.columns.map(({ name, type }) => ({ name, type })),
        rows: data[index]?.length ?? 0,
      })),
    };
    await write(JSON.stringify(header));
    for (const [index, table] of tables.entries()) {
      const rows = data[index] ?? [];
      await write(JSON.stringify({ table: table.name, rows: rows.length }));
      for (const [done, row] of rows.entries()) {
        await write(JSON.stringify(row));
        if ((done + 1) % PROGRESS_EVERY === 0) onProgress?.(table.name, done + 1, rows.length);
      }
      onProgress?.(table.name, rows.length, rows.length);
    }
    return header.tables.map(({ name, rows }) => ({ name, rows }));
  }
}

/** The tables that hold at least one row. */
export async function nonEmptyTables(sql: Sql, tables: TableInfo[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const probes = tables
    .map((table) => `(${literal(table.name)}, EXISTS (SELECT 1 FROM ${qualified(table.name)}))`)
    .join(', ');
  const rows = await sql.query(
    `SELECT name FROM (VALUES ${probes}) AS v(name, filled) WHERE filled`,
  );
  return rows.map((row) => String(row.name));
}

/** Empties every table of the `public` schema and restarts their identity sequences. */
export async function wipeTables(sql: Sql): Promise<void> {
  const tables = await readCatalog(sql);
  if (tables.length === 0) return;
  await sql.query(
    `TRUNCATE ${tables.map((table) => qualified(table.name)).join(', ')} RESTART IDENTITY CASCADE`,
  );
}

/** Thrown when the target database holds data and `force` was not given. */
export class RestoreRefused extends Error {}

/**
 * Restores a backup written by {@link backupDatabase} into a database whose schema already
 * matches it (run the migrations first). A database holding any row is refused unless
 * `force`, which empties every table first. Tables are filled parents first (by their
 * foreign keys), identity columns keep their values, and each identity or serial sequence is
 * set past the highest restored value.
 *
 * Rows go in batches of about 8 MB, one transaction each: a small database is restored in
 * one transaction; if a larger restore fails part way, run it again with `force`.
 */
export async function restoreDatabase(
  sql: Sql,
  lines: string[],
  options: { force?: boolean; onProgress?: OnProgress } = {},
): Promise<{ name: string; rows: number }[]> {
  const header = JSON.parse(lines[0] ?? '{}') as BackupHeader;
  if (header.format !== FORMAT) throw new Error(`not a backup of this kind (${FORMAT})`);
  const catalog = new Map((await readCatalog(sql)).map((table) => [table.name, table]));
  const mismatches = header.tables.flatMap(({ name, columns }) => {
    const target = catalog.get(name);
    if (!target) return [`table ${name} is missing`];
    const have = JSON.stringify(target.columns.map((c) => ({ name: c.name, type: c.type })));
    return have === JSON.stringify(columns) ? [] : [`table ${name} has other columns`];
  });
  if (mismatches.length > 0) {
    throw new Error(
      `the database's schema does not match the backup (${mismatches.join('; ')}): migrate it to the backup's version first`,
    );
  }
  const filled = await nonEmptyTables(sql, [...catalog.values()]);
  if (filled.length > 0 && !options.force) {
    throw new RestoreRefused(
      `the database is not empty (rows in ${filled.join(', ')}): restore only into an empty database, or pass --force to empty it first`,
    );
  }

  const rowsByTable = new Map<string, string[]>();
  let line = 1;
  for (const table of header.tables) {
    const marker = JSON.parse(lines[line] ?? '{}') as { table?: string; rows?: number };
    if (marker.table !== table.name || marker.rows !== table.rows) {
      throw new Error(`the backup is damaged near line ${line + 1}`);
    }
    rowsByTable.set(table.name, lines.slice(line + 1, line + 1 + table.rows));
    line += 1 + table.rows;
  }

  const statements: {
    text: string;
    params: string[];
    bytes: number;
    table: string;
    rows: number;
  }[] = [];
  if (options.force && catalog.size > 0) {
    const all = [...catalog.keys()].map(qualified).join(', ');
    statements.push({
      text: `TRUNCATE ${all} RESTART IDENTITY CASCADE`,
      params: [],
      bytes: 0,
      table: '',
      rows: 0,
    });
  }
  for (const name of parentsFirst(header.tables.map((t) => catalog.get(t.name) as TableInfo))) {
    const table = catalog.get(name) as TableInfo;
    for (const chunk of chunks(rowsByTable.get(name) ?? [])) {
      statements.push({
        text: insertRows(table),
        params: [`[${chunk.join(',')}]`],
        bytes: chunk.reduce((sum, row) => sum + row.length, 0),
        table: name,
        rows: chunk.length,
      });
    }
    for (const column of table.columns) {
      if (!column.sequence) continue;
      statements.push({
        text: `SELECT setval($1::regclass, COALESCE((SELECT max(${ident(column.name)}) FROM ${qualified(name)}), 0) + 1, false)`,
        params: [column.sequence],
        bytes: 0,
        table: name,
        rows: 0,
      });
    }
  }

  const restored = new Map<string, number>();
  let batch: typeof statements = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await sql.transaction([
      sql.query(PIN_STYLES),
      ...batch.map((statement) => sql.query(statement.text, statement.params)),
    ]);
    for (const statement of batch) {
      if (!statement.table) continue;
      const done = (restored.get(statement.table) ?? 0) + statement.rows;
      restored.set(statement.table, done);
      const total = rowsByTable.get(statement.table)?.length ?? 0;
      if (statement.rows > 0) options.onProgress?.(statement.table, done, total);
    }
    batch = [];
  };
  let bytes = 0;
  for (const statement of statements) {
    if (bytes + statement.bytes > BATCH_BYTES) {
      await flush();
      bytes = 0;
    }
    batch.push(statement);
    bytes += statement.bytes;
  }
  await flush();
  return header.tables.map(({ name, rows }) => ({ name, rows }));
}

function insertRows(table: TableInfo): string {
  const columns = table.columns.map((column) => ident(column.name)).join(', ');
  const values = table.columns.map((column, index) => `(r->>${index})::${column.type}`).join(', ');
  const overriding = table.columns.some((column) => column.identity)
    ? ' OVERRIDING SYSTEM VALUE'
    : '';
  return `INSERT INTO ${qualified(table.name)} (${columns})${overriding} SELECT ${values} FROM json_array_elements($1::json) AS r`;
}

function* chunks(rows: string[]): Generator<string[]> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (chunk.length > 0 && bytes + row.length > CHUNK_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += row.length;
  }
  if (chunk.length > 0) yield chunk;
}

/** Table names ordered so that every table comes after the tables it references. */
function parentsFirst(tables: TableInfo[]): string[] {
  const names = new Set(tables.map((table) => table.name));
  const ordered: string[] = [];
  const visiting = new Set<string>();
  const visit = (table: TableInfo) => {
    if (ordered.includes(table.name)) return;
    if (visiting.has(table.name)) {
      throw new Error(`tables reference each other in a cycle through ${table.name}`);
    }
    visiting.add(table.name);
    for (const parent of table.references) {
      const info = tables.find((candidate) => candidate.name === parent);
      if (names.has(parent) && info) visit(info);
    }
    visiting.delete(table.name);
    ordered.push(table.name);
  };
  for (const table of tables) visit(table);
  return ordered;
}
