import { mkdir } from 'node:fs/promises';
import type { messages } from '@electric-sql/pglite';
import { Mutex, PGlite, protocol } from '@electric-sql/pglite';
import type { RunStatement, SqlEngine } from './engine';
import { RESET_SESSION } from './engine';
import type { Statement, StatementResult } from './protocol';
import { parseCommandTag } from './protocol';

/**
 * The embedded engine: PGlite, a real Postgres compiled to WASM, in memory or persisted in
 * `dataDir`. It has a single connection, so requests take turns through a mutex.
 *
 * Statements go over PGlite's wire-protocol entry point rather than `query()`: that answers
 * every value as Postgres text with the full RowDescription (table and column ids, sizes), and
 * passes parameters to Postgres as the driver serialised them (`query()` would re-serialise
 * them by type, turning a JSON string parameter into a JSON string literal).
 */
export async function openPgliteEngine(dataDir?: string): Promise<SqlEngine> {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  const mutex = new Mutex();
  const run: RunStatement = async (statement) =>
    toStatementResult((await db.execProtocol(extendedQuery(statement))).messages);
  return {
    withConnection: (work) =>
      mutex.runExclusive(async () => {
        try {
          return await work(run);
        } finally {
          if (db.isInTransaction()) await run({ query: 'ROLLBACK', params: [] });
          await run({ query: RESET_SESSION, params: [] });
        }
      }),
    close: () => mutex.runExclusive(() => db.close()),
  };
}

/** Parse, Bind (text parameters), Describe, Execute and Sync: how Neon's proxy runs a statement. */
function extendedQuery({ query, params }: Statement): Uint8Array {
  const { serialize } = protocol;
  const parts = [
    serialize.parse({ text: query }),
    serialize.bind({ values: params }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ];
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}

function toStatementResult(backendMessages: messages.BackendMessage[]): StatementResult {
  const result: StatementResult = { command: '', rowCount: null, fields: [], rows: [] };
  for (const message of backendMessages) {
    if (isMessage<messages.RowDescriptionMessage>(message, 'rowDescription')) {
      result.fields = message.fields.map(
        ({ name, tableID, columnID, dataTypeID, dataTypeSize, dataTypeModifier }) => ({
          name,
          tableID,
          columnID,
          dataTypeID,
          dataTypeSize,
          dataTypeModifier,
        }),
      );
    } else if (isMessage<messages.DataRowMessage>(message, 'dataRow')) {
      result.rows.push(message.fields);
    } else if (isMessage<messages.CommandCompleteMessage>(message, 'commandComplete')) {
      Object.assign(result, parseCommandTag(message.text));
    }
  }
  return result;
}

function isMessage<T extends messages.BackendMessage>(
  message: messages.BackendMessage,
  name: T['name'],
): message is T {
  return message.name === name;
}
