import type { BatchOptions, Statement, StatementResult } from './protocol';
import { beginStatement } from './protocol';

/**
 * What Neon's pooler does to a connection between two HTTP requests: settings (`set_config`,
 * `SET TimeZone`), temporary tables, advisory locks, cursors, prepared statements and
 * `LISTEN`s of the last request are gone.
 */
export const RESET_SESSION = 'DISCARD ALL';

/** Runs one statement on the connection it was handed with. */
export type RunStatement = (statement: Statement) => Promise<StatementResult>;

/** A database that serves the endpoint: the embedded PGlite or a real Postgres. */
export interface SqlEngine {
  /**
   * Runs `work` with exclusive use of one connection. Whatever `work` does, the connection is
   * afterwards outside any transaction and back to a fresh session ({@link RESET_SESSION}), so
   * nothing of one request leaks into another.
   */
  withConnection<T>(work: (run: RunStatement) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** PGlite data directory; omitted means in memory. */
  dataDir?: string;
  /** A real Postgres to serve instead of PGlite. */
  postgresUrl?: string;
}

/** Opens a real Postgres pool when `postgresUrl` is set, otherwise the embedded PGlite. */
export async function openEngine({ dataDir, postgresUrl }: EngineOptions): Promise<SqlEngine> {
  if (postgresUrl) {
    const { openPgEngine } = await import('./pg-engine');
    return openPgEngine(postgresUrl);
  }
  const { openPgliteEngine } = await import('./pglite-engine');
  return openPgliteEngine(dataDir);
}

/** Runs one statement on its own, as Neon does: in autocommit mode. */
export function runStatement(engine: SqlEngine, statement: Statement): Promise<StatementResult> {
  return engine.withConnection((run) => run(statement));
}

/** Runs statements in one transaction; the first failure rolls back all of them. */
export function runBatch(
  engine: SqlEngine,
  statements: Statement[],
  options: BatchOptions,
): Promise<StatementResult[]> {
  return engine.withConnection(async (run) => {
    await run({ query: beginStatement(options), params: [] });
    try {
      const results: StatementResult[] = [];
      for (const statement of statements) results.push(await run(statement));
      await run({ query: 'COMMIT', params: [] });
      return results;
    } catch (error) {
      // The statement's error is the one to report; should ROLLBACK fail too, withConnection
      // still leaves the connection outside the transaction.
      await run({ query: 'ROLLBACK', params: [] }).catch(() => undefined);
      throw error;
    }
  });
}
