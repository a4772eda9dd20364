import { Hono } from 'hono';
import { type Listening, listenOnLoopback } from '../http';
import type { RunningService } from '../service';
import type { SqlEngine } from './engine';
import { openEngine, runBatch, runStatement } from './engine';
import {
  applicationName,
  HEADERS,
  parseSqlRequest,
  protocolViolation,
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
}

/** Round trips (a batch is one) and statements the endpoint has received. */
interface RequestCounts {
  requests: number;
  queries: number;
}

/**
 * Serves a database over Neon's SQL-over-HTTP protocol on loopback, so the Worker's
 * `@neondatabase/serverless` driver (with `neonConfig.fetchEndpoint` set to the returned `url`)
 * works with no Neon account. Any `postgres://` connection string is accepted and its host
 * never contacted: every request reaches this endpoint's own database.
 *
 * `GET /__local/stats[?tag=…]` answers {@link RequestCounts}, in total or for the requests
 * whose connection string carries `application_name=<tag>`.
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
      createApp(engine).fetch,
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

function createApp(engine: SqlEngine) {
  const counts = createCounts();
  const app = new Hono();

  app.post('/sql', async (c) => {
    const tag = applicationName(c.req.header(HEADERS.connectionString));
    let queries = 0;
    try {
      const request = parseSqlRequest(await c.req.text(), (name) => c.req.header(name));
      if (request.kind === 'single') {
        queries = 1;
        const result = await runStatement(engine, request.statement);
        return c.json(toResultBody(result, request.statement.arrayMode));
      }
      queries = request.statements.length;
      const results = await runBatch(engine, request.statements, request.options);
      return c.json({
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
