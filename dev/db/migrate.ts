import { neon, neonConfig } from '@neondatabase/serverless';
import { readMigrationFiles } from 'drizzle-orm/migrator';

export interface DatabaseTarget {
  /** A Postgres URL: a real Neon `DATABASE_URL`, or the local cloud's placeholder. */
  databaseUrl: string;
  /** The SQL-over-HTTP endpoint; omitted means Neon's own for the URL's host. */
  fetchEndpoint?: string;
}

const MIGRATIONS_FOLDER = new URL('../../migrations', import.meta.url).pathname;

/** A Neon SQL-over-HTTP client for the target (its local endpoint, if it names one). */
export function connect({ databaseUrl, fetchEndpoint }: DatabaseTarget) {
  if (fetchEndpoint) neonConfig.fetchEndpoint = fetchEndpoint;
  return neon(databaseUrl);
}

/**
 * Applies the pending drizzle-kit migrations over Neon's HTTP protocol, so the same command
 * works against the local cloud and a real Neon database. Each migration runs in one batch
 * (one transaction, together with its bookkeeping row): a failing migration leaves nothing
 * half-applied. Bookkeeping uses drizzle's own `drizzle.__drizzle_migrations` table.
 *
 * @returns how many migrations were applied now.
 */
export async function migrateDatabase(target: DatabaseTarget): Promise<number> {
  const sql = connect(target);
  await sql.transaction([
    sql`CREATE SCHEMA IF NOT EXISTS drizzle`,
    sql`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  ]);
  const [last] =
    await sql`SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1`;
  const appliedUntil = last ? Number(last.created_at) : -1;
  const pending = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).filter(
    (migration) => migration.folderMillis > appliedUntil,
  );
  for (const migration of pending) {
    await sql.transaction([
      ...migration.sql
        .filter((statement) => statement.trim())
        .map((statement) => sql.query(statement)),
      sql`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${migration.hash}, ${migration.folderMillis})`,
    ]);
  }
  return pending.length;
}
