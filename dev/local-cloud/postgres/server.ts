import { Hono } from 'hono';
import { withFaults } from '../faults';
import { type Listening, listenOnLoopback } from '../http';
import type { RunningService } from '../service';
import type { SqlEngine } from './engine';
import { openEngine, runBatch, runStatement } from './engine';
import {
  applicationName,
  checkIdentity,
  HEADERS,
  MAX_RESPONSE_BYTES,
  NeonProxyError,
  parseSqlRequest,
  protocolViolation,
  responseTooLarge,
  toErrorBody,
  toResultBody,
} from './protocol';

export interface PostgresOptions {
  /** Loopback port; `0` picks a free one. */
  port: number;
  /** PGlite data directory, created if missing; omitted means in memory. */
  dataDir?: string;
  /** A real Postgres to serve instead of PGlite; `dataDir` is then ignored. */
  postgresUrl?: string;
  /** Loopback address to listen on; defaults to 127.0.0.1. */
  host?: string;
  /**
   * The connection string of the one database served, as a Neon project knows it: requests
   * presenting another role, password or database fail as on Neon. Omitted: any is accepted.
   */
  databaseUrl?: string;
  /** Largest response JSON, in bytes; defaults to Neon's {@link MAX_RESPONSE_BYTES}. */
  maxResponseBytes?: number;
}

/** Round trips (a batch is one) and statements the endpoint has received. */
interface RequestCounts {
  requests: number;
  queries: number;
}

/**
 * Serves a database over Neon's SQL-over-HTTP protocol on loopback, so the Worker's
 * `@neondatabase/serverless` driver (with `neonConfig.fetchEndpoint` set to the returned `url`)
 * works with no Neon account. The connection string's host is never contacted: every request
 * reaches this endpoint's own database. Its role, password and database are checked when
 * `databaseUrl` is given; as on Neon, each request starts from a fresh session and a response
 * over 10 MB fails with HTTP 507.
 *
 * `GET /__local/stats[?tag=…]` answers {@link RequestCounts}, in total or for the requests
 * whose connection string carries `application_name=<tag>`; `/__local/faults` plays faults on
 * demand (see `withFaults`), tagged by the same `application_name`.
 *
 * @example
 * const postgres = await startPostgres({ port: 0, dataDir: '.data/pglite' });
 * neonConfig.fetchEndpoint = postgres.url; // http://127.0.0.1:<port>/sql
 * await neon('postgresql://user:pass@localhost/db')`SELECT 1`;
 * await postgres.close();
 */
export async function startPostgres(options: PostgresOptions): Promise<RunningService> {
  const engine = await openEngine(options);
  let server: Listening;
  try {
    server = await listenOnLoopback(
      'postgres',
      withFaults(createApp(engine, options).fetch, {
        tagOf: (request) =>
          applicationName(request.headers.get(HEADERS.connectionString) ?? undefined),
        errorBody: (_status, message) => ({ message }),
      }),
      options.port,
      options.host,
    );
  } catch (error) {
    await engine.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    url: `${server.origin}/sql`,
    close() {
      closing ??= server.close().then(() => engine.close());
      return closing;
    },
  };
}

function createApp(
  engine: SqlEngine,
  { databaseUrl, maxResponseBytes = MAX_RESPONSE_BYTES }: PostgresOptions,
) {
  const counts = createCounts();
  const app = new Hono();

  /** The JSON answer, refused as Neon refuses it when over the size limit. */
  const answer = (body: unknown) => {
    const json = JSON.stringify(body);
    if (Buffer.byteLength(json) > maxResponseBytes) throw responseTooLarge(maxResponseBytes);
    return new Response(json, { headers: { 'Content-Type': 'application/json' } });
  };

  app.post('/sql', async (c) => {
    const connectionString = c.req.header(HEADERS.connectionString);
    const tag = applicationName(connectionString);
    let queries = 0;
    try {
      const request = parseSqlRequest(await c.req.text(), (name) => c.req.header(name));
      if (databaseUrl && connectionString) checkIdentity(connectionString, databaseUrl);
      if (request.kind === 'single') {
        queries = 1;
        const result = await runStatement(engine, request.statement);
        return answer(toResultBody(result, request.statement.arrayMode));
      }
      queries = request.statements.length;
      const results = await runBatch(engine, request.statements, request.options);
      return answer({
        results: results.map((result, i) =>
          toResultBody(result, request.statements[i]?.arrayMode ?? false),
        ),
      });
    } finally {
      counts.record(tag, queries);
    }
  });

  app.all('/sql', (c) => {
    const { message, code, severity } = protocolViolation(`${c.req.method} /sql: use POST`);
    return c.json({ message, code, severity }, 405, { Allow: 'POST' });
  });

  app.get('/__local/stats', (c) => c.json(counts.get(c.req.query('tag'))));

  app.notFound((c) => c.json({ message: `${c.req.method} ${c.req.path}: not found` }, 404));

  app.onError((error, c) => {
    if (error instanceof NeonProxyError) return c.json(error.body(), error.status);
    const body = toErrorBody(error);
    if (body) return c.json(body, 400);
    console.error('postgres: request failed', error);
    return c.json({ message: `local postgres endpoint failed: ${error.message}` }, 500);
  });

  return app;
}

function createCounts() {
  const total: RequestCounts = { requests: 0, queries: 0 };
  const byTag = new Map<string, RequestCounts>();
  return {
    record(tag: string | undefined, queries: number) {
      const targets = [total];
      if (tag !== undefined) {
        const tagged = byTag.get(tag) ?? { requests: 0, queries: 0 };
        byTag.set(tag, tagged);
        targets.push(tagged);
      }
      for (const counts of targets) {
        counts.requests += 1;
        counts.queries += queries;
      }
    },
    get(tag: string | undefined): RequestCounts {
      const counts = tag === undefined ? total : byTag.get(tag);
      return { requests: counts?.requests ?? 0, queries: counts?.queries ?? 0 };
    },
  };
}
