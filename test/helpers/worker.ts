import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import worker from '../../src/index';
import { SECRET_SETTINGS } from '../../src/settings';
import { registerSecret, watchSecrets } from './leaks';

/** The origin test requests are addressed to. */
export const ORIGIN = 'http://localhost';
export const API = '/api/v1';

/**
 * Sends a request to the Worker under test through its real `fetch`, as a client would.
 *
 * @example
 * const response = await call('/api/v1/health');
 */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return sendToWorker(new Request(`${ORIGIN}${path}`, init));
}

/** The Worker's real `fetch`, the secrets of each exchange known to the log guard. */
export const sendToWorker = watchSecrets((request) => exports.default.fetch(request));

/** Settings (the string vars and secrets) to replace in the Worker's environment. */
export type Overrides = { [K in keyof Env as Env[K] extends string ? K : never]?: string };

/**
 * The Worker's `fetch` with some settings replaced (a database that is down, another
 * `PUBLIC_BASE_URL` …), run in this isolate with its own execution context.
 */
export function workerWith(overrides: Overrides) {
  const bindings = { ...env, ...overrides };
  for (const name of SECRET_SETTINGS) registerSecret(overrides[name], name);
  return watchSecrets(async (request) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      bindings,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  });
}

/** Like {@link call}, with some settings replaced. */
export function callWith(
  overrides: Overrides,
  path: string,
  init?: RequestInit,
): Promise<Response> {
  return workerWith(overrides)(new Request(`${ORIGIN}${path}`, init));
}

/** An endpoint on loopback where nothing listens: a service that is down. */
export const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/** Settings whose database endpoint is down (its own host, so other requests are unaffected). */
export const DATABASE_DOWN = {
  DATABASE_URL: 'postgresql://stratus:stratus@database-down.localhost/stratus',
  NEON_FETCH_ENDPOINT: `${DEAD_ENDPOINT}/sql`,
};

/** The security headers every response carries, errors included, and what each must say. */
const SECURITY_HEADERS = {
  'strict-transport-security': /max-age=(3153[6-9]\d{3}|[4-9]\d{7}|\d{9,})/,
  'x-content-type-options': /^nosniff$/,
  'x-frame-options': /^DENY$/,
  'content-security-policy': /default-src 'none'.*frame-ancestors 'none'/,
};

/** The security headers `headers` lacks or gets wrong, as messages; empty when all are right. */
export function securityHeaderViolations(headers: Headers): string[] {
  return Object.entries(SECURITY_HEADERS).flatMap(([name, pattern]) => {
    const value = headers.get(name);
    return value !== null && pattern.test(value) ? [] : [`${name}: ${value ?? '(missing)'}`];
  });
}

/** Asserts the RFC 9457 shape and returns the parsed problem. */
export async function readProblem(response: {
  headers: Headers;
  json(): Promise<unknown>;
  text(): Promise<string>;
}) {
  const contentType = response.headers.get('Content-Type');
  if (!contentType?.startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${contentType}: ${await response.text()}`);
  }
  return (await response.json()) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    code: string;
    request_id: string;
    errors?: { path: string; message: string; code: string }[];
    [extension: string]: unknown;
  };
}
