import { inject } from 'vitest';
import { LOCAL_DATABASE_URL } from '../../dev/local-cloud/bindings';
import type { Overrides } from './worker';

/** Round trips (a batch is one) and SQL statements the local Postgres endpoint counted. */
export interface DbStats {
  requests: number;
  queries: number;
}

/** What the local Postgres endpoint counted for the requests tagged `tag`. */
export async function dbStats(tag: string): Promise<DbStats> {
  const base = new URL(inject('localCloud').postgres).origin;
  return (await (await fetch(`${base}/__local/stats?tag=${tag}`)).json()) as DbStats;
}

/** Settings whose database traffic the endpoint counts under a fresh tag (`callWith` them). */
export function taggedDb(): { tag: string; settings: Overrides } {
  const tag = `rt-${crypto.randomUUID().slice(0, 8)}`;
  return { tag, settings: { DATABASE_URL: `${LOCAL_DATABASE_URL}?application_name=${tag}` } };
}

/**
 * The outcome of the response's last cache lookup in `Server-Timing: cache;dur=…;desc="hit"`
 * (the first one is authentication's lookup of the user).
 */
export const cacheOutcome = (response: Response) =>
  [...(response.headers.get('Server-Timing') ?? '').matchAll(/cache;dur=[\d.]+;desc="(\w+)"/g)].at(
    -1,
  )?.[1];
