import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { createMiddleware } from 'hono/factory';
import type { StatusCode } from 'hono/utils/http-status';
import type { AuthedEnv } from '../context';
import { AppError } from '../lib/errors';

const HEADER = 'Idempotency-Key';
const MAX_KEY_LENGTH = 255;
/** How long a first response is kept and replayed. */
const KEEP_SECONDS = 24 * 60 * 60;
/** How long a claim outlives a request that died without answering (then the key is free). */
const IN_FLIGHT_SECONDS = 60;
/** The headers a replay repeats; the others are the replaying request's own. */
const KEPT_HEADERS = ['Content-Type', 'ETag', 'Location', 'Cache-Control'];

/** What Redis holds for a key: the request's fingerprint, and once answered, the response. */
interface Stored {
  fingerprint: string;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Returns the stored entry, or claims the key for this request (and returns nothing): atomic. */
const CLAIM_SCRIPT = `
local found = redis.call('GET', KEYS[1])
if found then return found end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false`;

/**
 * `Idempotency-Key` for a non-idempotent route (after `authenticate()`): the first response
 * (status, body, `Content-Type`, `ETag`, `Location`) is kept 24 h per user and key and replayed,
 * with `Idempotent-Replayed: true`, to every retry carrying that key, so a retried POST creates
 * one row. The same key with another method, path or body is a 422 `IDEMPOTENCY_KEY_REUSED`;
 * while the first request runs, others with its key get 409 `IDEMPOTENCY_KEY_IN_PROGRESS`. A
 * 5xx is not kept: the client may retry. Without the header the route runs as usual.
 *
 * @example
 * export const create = authedRoute({ method: 'post', path: '/items', use: [idempotency()], … });
 */
export function idempotency() {
  return createMiddleware<AuthedEnv>(async function idempotency(c, next) {
    const key = c.req.header(HEADER);
    if (key === undefined) return next();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new AppError('VALIDATION_ERROR', {
        detail: `${HEADER} must be 1 to ${MAX_KEY_LENGTH} characters`,
        errors: [
          {
            path: `header.${HEADER}`,
            message: `Must be 1 to ${MAX_KEY_LENGTH} characters`,
            code: 'too_big',
          },
        ],
      });
    }
    const redis = c.get('redis');
    const request = `${c.req.method} ${c.req.path}\n${await c.req.text()}`;
    const fingerprint = encodeHexLowerCase(sha256(new TextEncoder().encode(request)));
    const redisKey = `idempotency:${c.get('user').id}:${key}`;
    const claim: Stored = { fingerprint };
    const found = await redis.eval<[string, number], Stored | string | null>(
      CLAIM_SCRIPT,
      [redisKey],
      [JSON.stringify(claim), IN_FLIGHT_SECONDS],
    );
    if (found) {
      const stored: Stored = typeof found === 'string' ? JSON.parse(found) : found;
      if (stored.fingerprint !== fingerprint) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', {
          detail: `This ${HEADER} was sent with another request; use a new key`,
        });
      }
      if (stored.status === undefined) {
        throw new AppError('IDEMPOTENCY_KEY_IN_PROGRESS', { headers: { 'Retry-After': '1' } });
      }
      return c.newResponse(stored.body ?? null, stored.status as StatusCode, {
        ...stored.headers,
        'Idempotent-Replayed': 'true',
      });
    }
    try {
      await next();
    } catch (error) {
      await redis.del(redisKey);
      throw error;
    }
    const { res } = c;
    if (res.status >= 500) {
      await redis.del(redisKey);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const answer: Stored = {
      fingerprint,
      status: res.status,
      headers,
      body: await res.clone().text(),
    };
    await redis.set(redisKey, JSON.stringify(answer), { ex: KEEP_SECONDS });
  });
}
