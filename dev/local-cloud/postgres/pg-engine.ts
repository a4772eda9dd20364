import type { PoolClient, QueryArrayConfig } from 'pg';
import pg from 'pg';
import type { RunStatement, SqlEngine } from './engine';
import { RESET_SESSION } from './engine';
import { toErrorBody } from './protocol';

/** Every value stays Postgres text: the endpoint forwards it, the driver parses it. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

/**
 * The real-Postgres engine: a node-postgres pool. Connects once at start so a wrong URL fails
 * `npm run dev` at once rather than on the first request.
 */
export async function openPgEngine(postgresUrl: string): Promise<SqlEngine> {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 10 });
  // Without a listener, an idle connection dropped by the server (a restart) would crash the
  // process; the pool discards it and the next request connects again.
  pool.on('error', (error) => console.warn(`postgres: idle connection lost: ${error.message}`));
  try {
    (await pool.connect()).release();
  } catch (error) {
    await pool.end();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to ${redact(postgresUrl)}: ${reason}`, { cause: error });
  }
  return {
    async withConnection(work) {
      const client = await pool.connect();
      let reusable = true;
      try {
        return await work(runOn(client));
      } catch (error) {
        reusable = toErrorBody(error) !== undefined;
        throw error;
      } finally {
        // As Neon's proxy does, a connection left inside a transaction (or broken) is not
        // handed to the next request, and one handed on carries no session state.
        reusable &&= client.getTransactionStatus() === 'I';
        if (reusable)
          reusable = await client.query(RESET_SESSION).then(
            () => true,
            () => false,
          );
        client.release(!reusable);
      }
    },
    close: () => pool.end(),
  };
}

function runOn(client: PoolClient): RunStatement {
  return async ({ query, params }) => {
    // `extended` even without parameters, as Neon: one statement per query, never a script.
    const config: QueryArrayConfig & { queryMode: 'extended' } = {
      text: query,
      values: params,
      rowMode: 'array',
      types: RAW_TEXT,
      queryMode: 'extended',
    };
    const result = await client.query<(string | null)[]>(config);
    return {
      command: result.command ?? '',
      rowCount: result.rowCount,
      fields: result.fields.map(
        ({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier }) => ({
          name,
          tableID,
          columnID,
          dataTypeID,
          dataTypeSize,
          dataTypeModifier,
        }),
      ),
      rows: result.rows,
    };
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
