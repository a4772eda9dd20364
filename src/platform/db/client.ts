import { neon, neonConfig } from '@neondatabase/serverless';
import { type Column, type SQL, sql } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { drizzle } from 'drizzle-orm/neon-http';
import { perSettings } from '../../lib/per-settings';
import type { Settings } from '../../settings';
import * as schema from './schema';

/** Drizzle over Neon's HTTP driver: every query is one `fetch`, a `db.batch` one transaction. */
export type Database = ReturnType<typeof createDatabase>;

type EndpointFn = (host: string, port: number | string, options?: { jwtAuth?: boolean }) => string;

const neonEndpoint = neonConfig.fetchEndpoint as EndpointFn;
const endpointByHost = new Map<string, string>();

// The driver reads its endpoint from global config. Rather than overwrite it per request, the
// global resolves each connection string's host: hosts given a `NEON_FETCH_ENDPOINT` (the local
// cloud) go there, every other host to Neon's own endpoint.
neonConfig.fetchEndpoint = (host, port, options) =>
  endpointByHost.get(host) ?? neonEndpoint(host, port, options);

type RoundTripTimer = (durationMs: number) => void;

let onRoundTrip: RoundTripTimer | undefined;

/** Reports the wall time of every database round trip (each is one `fetch`) to `timer`. */
export function timeDatabaseRoundTrips(timer: RoundTripTimer) {
  onRoundTrip = timer;
}

neonConfig.fetchFunction = async (input: RequestInfo | URL, init?: RequestInit) => {
  const start = performance.now();
  try {
    return await fetch(input, init);
  } finally {
    onRoundTrip?.(performance.now() - start);
  }
};

function createDatabase(settings: Settings) {
  if (settings.NEON_FETCH_ENDPOINT) {
    endpointByHost.set(new URL(settings.DATABASE_URL).hostname, settings.NEON_FETCH_ENDPOINT);
  }
  return drizzle({ client: neon(settings.DATABASE_URL), schema, casing: 'snake_case' });
}

/**
 * The Drizzle client for these settings. It holds no connection (each query is an HTTP
 * request), so one client per isolate is reused across requests.
 */
export const getDatabase: (settings: Settings) => Database = perSettings(createDatabase);

/**
 * The SQLSTATE of a Postgres error, whether the driver threw it (`NeonDbError`, in a batch) or
 * Drizzle wrapped it (`DrizzleQueryError` with the driver's error as `cause`).
 *
 * @example
 * if (sqlState(error) === '23505') throw new AppError('REGISTER_USER_ALREADY_EXISTS');
 */
export function sqlState(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The proxy's answers that mean the database is out of reach for now, not that a query failed. */
const UNAVAILABLE = /^Server error \(HTTP status (502|503|504)\)/;

/**
 * Whether the database could not be reached: the driver's `fetch` failed (it keeps that failure
 * as `sourceError`) or Neon's proxy answered 502, 503 or 504. Nothing was executed, so the
 * request may be retried as it was.
 *
 * @example
 * if (isDatabaseUnreachable(error)) throw new AppError('DATABASE_UNAVAILABLE');
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (Reflect.get(current, 'sourceError') !== undefined) return true;
    if (UNAVAILABLE.test(current.message)) return true;
  }
  return false;
}

/**
 * A column's name as the database knows it (the client maps keys to snake_case), unqualified:
 * for raw statements that must name a column where Postgres refuses a table prefix (an
 * `INSERT` column list, an `UPDATE … SET` target). Renaming the column renames it here too.
 *
 * @example
 * sql`UPDATE ${sessions} SET ${columnName(sessions.revokedAt)} = now()`;
 */
export function columnName(column: Column): SQL {
  return sql`${sql.identifier(column.keyAsName ? toSnakeCase(column.name) : column.name)}`;
}
