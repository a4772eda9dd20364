import { hashPassword } from '../../src/platform/crypto/password';

/** At most this many hashes per request, so one call stays well inside any timeout. */
const MAX_HASHES = 50;

/**
 * `GET /?n=<count>` runs the app's own `hashPassword` `n` times in a row and answers 200.
 * The benchmark reads workerd's CPU time around the call: that is what Workers bills, and
 * unlike `performance.now()` inside an isolate it advances while the hash computes.
 */
export default {
  async fetch(request: Request): Promise<Response> {
    const count = Number(new URL(request.url).searchParams.get('n') ?? '1');
    if (!Number.isInteger(count) || count < 1 || count > MAX_HASHES) {
      return new Response(`n must be an integer from 1 to ${MAX_HASHES}`, { status: 400 });
    }
    for (let i = 0; i < count; i++) await hashPassword('bench-password-0123');
    return new Response(String(count));
  },
};
