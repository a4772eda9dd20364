import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { z } from 'zod';

/**
 * A fault the local cloud plays on a service's requests, set with `POST /__local/faults`:
 * `down` drops the connection without an answer (as an unreachable host does), `slow` holds
 * each request `delay_ms` before serving it, `error` answers `status` (default 503) with the
 * service's own error body. With a `tag`, only requests carrying that tag are affected (the
 * Postgres connection string's `application_name`, or a `/__tag/<tag>` path prefix on the
 * other services), so a test can break a service for itself while other tests run.
 */
const faultSchema = z.strictObject({
  mode: z.enum(['down', 'slow', 'error']),
  delay_ms: z.number().int().min(0).max(60_000).default(1_000),
  status: z.number().int().min(400).max(599).default(503),
  tag: z.string().min(1).max(100).optional(),
});

/** A fault as the service holds it (defaults filled in). */
export type Fault = z.infer<typeof faultSchema>;

/** What a fault-aware service is served with: a Worker-style `fetch` over Node's request. */
export type ServiceFetch = (
  request: Request,
  env: HttpBindings | Http2Bindings,
) => Response | Promise<Response>;

export interface FaultOptions {
  /** The tag a request carries, if any. */
  tagOf(request: Request): string | undefined;
  /** The body the service answers an error with, in its own protocol's shape. */
  errorBody(status: number, message: string): unknown;
  /** Serve `/__tag/<tag>/…` as `/…` (services whose routes know nothing of tags). */
  stripTag?: boolean;
}

const TAG_PREFIX = /^\/__tag\/([^/]+)(\/.*)?$/;

/** `/__tag/<tag>/pipeline` → the tag and `/pipeline`; untagged paths pass unchanged. */
export function splitTag(pathname: string): { tag: string | undefined; path: string } {
  const match = TAG_PREFIX.exec(pathname);
  if (!match?.[1]) return { tag: undefined, path: pathname };
  return { tag: decodeURIComponent(match[1]), path: match[2] ?? '/' };
}

/** The tag of a `/__tag/<tag>/…` request. */
export const pathTag = (request: Request) => splitTag(new URL(request.url).pathname).tag;

const FAULTS_PATH = '/__local/faults';
const UNTAGGED = '';

/**
 * Wraps a service's `fetch` with faults on demand: `POST /__local/faults` (a {@link Fault} as
 * JSON) sets one, replacing the one of the same tag; `GET` lists them; `DELETE` clears them all,
 * or one with `?tag=`. Other `/__local/` routes (stats, the QStash test hooks) are never faulted.
 *
 * @example
 * listenOnLoopback('redis', withFaults(app.fetch, { tagOf: pathTag, errorBody }), 8792);
 * // curl -X POST 127.0.0.1:8792/__local/faults -d '{"mode":"down"}'
 */
export function withFaults(fetch: ServiceFetch, options: FaultOptions): ServiceFetch {
  const faults = new Map<string, Fault>();

  const control = async (request: Request): Promise<Response> => {
    if (request.method === 'GET') return Response.json([...faults.values()]);
    if (request.method === 'DELETE') {
      const tag = new URL(request.url).searchParams.get('tag');
      if (tag === null) faults.clear();
      else faults.delete(tag);
      return new Response(null, { status: 204 });
    }
    if (request.method !== 'POST') {
      return Response.json({ error: 'use GET, POST or DELETE' }, { status: 405 });
    }
    const parsed = faultSchema.safeParse(await request.json().catch(() => undefined));
    if (!parsed.success) {
      return Response.json({ error: z.prettifyError(parsed.error) }, { status: 400 });
    }
    faults.set(parsed.data.tag ?? UNTAGGED, parsed.data);
    return Response.json(parsed.data, { status: 201 });
  };

  return async function faulty(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === FAULTS_PATH) return control(request);
    const served = options.stripTag ? await untagged(request) : request;
    if (pathname.startsWith('/__local/')) return fetch(served, env);
    const tag = options.tagOf(request);
    const fault = (tag !== undefined && faults.get(tag)) || faults.get(UNTAGGED);
    if (fault?.mode === 'down') {
      env.incoming.socket.destroy();
      return new Response(null, { status: 503 });
    }
    if (fault?.mode === 'error') {
      const message = `local cloud fault: answering ${fault.status}`;
      return Response.json(options.errorBody(fault.status, message), { status: fault.status });
    }
    if (fault?.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delay_ms));
    return fetch(served, env);
  };
}

/** The request with its `/__tag/<tag>` prefix removed. */
async function untagged(request: Request): Promise<Request> {
  const url = new URL(request.url);
  const { tag, path } = splitTag(url.pathname);
  if (tag === undefined) return request;
  url.pathname = path;
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  return new Request(url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? await request.arrayBuffer() : undefined,
  });
}
