import { env } from 'cloudflare:test';
import { inject } from 'vitest';
import { LOCAL_DATABASE_URL } from '../../dev/local-cloud/bindings';
import type { Overrides } from './worker';

async function stats(service: 'postgres' | 'redis', tag: string) {
  const base = new URL(inject('localCloud')[service]).origin;
  const response = await fetch(`${base}/__local/stats?tag=${tag}`);
  return (await response.json()) as { requests: number };
}

/** Database round trips the local Postgres endpoint counted for `tag`. */
export async function databaseRoundTrips(tag: string): Promise<number> {
  return (await stats('postgres', tag)).requests;
}

/** Redis requests (a pipeline is one) the local Redis endpoint counted for `tag`. */
export async function redisRequests(tag: string): Promise<number> {
  return (await stats('redis', tag)).requests;
}

/** Settings whose database and Redis traffic the local endpoints count under `tag`. */
export function tagged(): { tag: string; settings: Overrides } {
  const tag = `t-${crypto.randomUUID().slice(0, 8)}`;
  return {
    tag,
    settings: {
      DATABASE_URL: `${LOCAL_DATABASE_URL}?application_name=${tag}`,
      UPSTASH_REDIS_REST_URL: `${env.UPSTASH_REDIS_REST_URL}/__tag/${tag}`,
    },
  };
}
