/**
 * Neon's SQL-over-HTTP protocol as `@neondatabase/serverless` speaks it: request parsing,
 * response shapes and the Postgres error body. Values are always answered as Postgres text,
 * the `Neon-Raw-Text-Output: true` mode the driver always asks for.
 */

/** Headers the driver sends (Neon's proxy reads the same names). */
export const HEADERS = {
  connectionString: 'Neon-Connection-String',
  arrayMode: 'Neon-Array-Mode',
  isolationLevel: 'Neon-Batch-Isolation-Level',
  readOnly: 'Neon-Batch-Read-Only',
  deferrable: 'Neon-Batch-Deferrable',
} as const;

/** One statement with its parameters as Postgres text (`null` is SQL NULL). */
export interface Statement {
  query: string;
  params: (string | null)[];
}

/** A statement of a request, with the row shape its result is answered in. */
interface RequestedStatement extends Statement {
  arrayMode: boolean;
}

type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/** Transaction characteristics of a batch, from the `Neon-Batch-*` headers. */
export interface BatchOptions {
  isolationLevel?: IsolationLevel;
  readOnly?: boolean;
  deferrable?: boolean;
}

/** A validated `POST /sql`: one statement, or a batch run as one transaction. */
export type SqlRequest =
  | { kind: 'single'; statement: RequestedStatement }
  | { kind: 'batch'; statements: RequestedStatement[]; options: BatchOptions };

/** A result column as the Postgres RowDescription describes it. */
interface FieldDescription {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

/** What an engine returns for one statement: every value as Postgres text. */
export interface StatementResult {
  command: string;
  rowCount: number | null;
  fields: FieldDescription[];
  rows: (string | null)[][];
}

/** The JSON body of one statement's result, as Neon answers it. */
export interface ResultBody {
  command: string;
  rowCount: number | null;
  rows: (string | null)[][] | Record<string, string | null>[];
  fields: (FieldDescription & { format: 'text' })[];
  rowAsArray: boolean;
}

/** The error fields Neon forwards from Postgres (`NeonDbError` copies the same names). */
const ERROR_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

export type ErrorBody = { message: string } & Partial<
  Record<(typeof ERROR_FIELDS)[number], string>
>;

const ISOLATION_LEVELS: Record<IsolationLevel, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

/**
 * An error shaped like a Postgres one with SQLSTATE 08P01 (protocol violation), so a
 * malformed request reaches the driver as a `NeonDbError` with a clear message.
 */
export function protocolViolation(message: string): Error & ErrorBody {
  return Object.assign(new Error(message), { code: '08P01', severity: 'ERROR' });
}

/** Neon's limit on the JSON of one response (its proxy's `max_response_size_bytes`). */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** An error Neon's proxy raises itself, answered with its HTTP status and Neon's JSON shape. */
export class NeonProxyError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 507,
    readonly fields: { code: string; severity: string } = { code: '', severity: '' },
  ) {
    super(message);
  }

  /** The body Neon answers: the Postgres error fields, empty when no Postgres error is behind. */
  body(): ErrorBody {
    return { message: this.message, ...this.fields };
  }
}

/**
 * Neon's answer to a result over {@link MAX_RESPONSE_BYTES}: HTTP 507, which the driver raises
 * as `NeonDbError: Server error (HTTP status 507): {"message":"response is too large …"}`.
 */
export function responseTooLarge(maxBytes: number): NeonProxyError {
  return new NeonProxyError(`response is too large (max is ${maxBytes} bytes)`, 507);
}

/**
 * Checks the request's credentials and database against the one database this endpoint
 * serves, answering what Neon answers: a wrong role or password fails authentication at the
 * proxy; an unknown database fails at Postgres with 3D000.
 *
 * @throws a {@link NeonProxyError} (HTTP 400) naming the mismatch.
 */
export function checkIdentity(connectionString: string, expected: string): void {
  const given = new URL(connectionString);
  const served = new URL(expected);
  const user = decodeURIComponent(given.username);
  if (
    user !== decodeURIComponent(served.username) ||
    decodeURIComponent(given.password) !== decodeURIComponent(served.password)
  ) {
    throw new NeonProxyError(`password authentication failed for user '${user}'`, 400);
  }
  const database = decodeURIComponent(given.pathname.slice(1));
  if (database !== decodeURIComponent(served.pathname.slice(1))) {
    throw new NeonProxyError(`database "${database}" does not exist`, 400, {
      code: '3D000',
      severity: 'FATAL',
    });
  }
}

/** The tag a request counts under: the `application_name` of its connection string. */
export function applicationName(connectionString: string | undefined): string | undefined {
  if (!connectionString || !URL.canParse(connectionString)) return undefined;
  return new URL(connectionString).searchParams.get('application_name') ?? undefined;
}

/**
 * Validates a `POST /sql` body and its headers. The connection string must parse as a
 * Postgres URL, though its host is never contacted: this endpoint serves its own database.
 *
 * @throws a {@link protocolViolation} naming what is wrong.
 */
export function parseSqlRequest(
  body: string,
  header: (name: string) => string | undefined,
): SqlRequest {
  checkConnectionString(header(HEADERS.connectionString));
  const payload = parseJson(body);
  const arrayMode = header(HEADERS.arrayMode) === 'true';
  if (typeof payload.query === 'string') {
    return { kind: 'single', statement: parseStatement(payload, arrayMode) };
  }
  if (Array.isArray(payload.queries)) {
    const statements = payload.queries.map((item: unknown, index: number) => {
      if (!isObject(item) || typeof item.query !== 'string') {
        throw protocolViolation(`queries[${index}] must be an object with a "query" string`);
      }
      return parseStatement(item, arrayMode);
    });
    return { kind: 'batch', statements, options: parseBatchOptions(header) };
  }
  throw protocolViolation('request body must have a "query" string or a "queries" array');
}

/** The SQL that opens a batch's transaction with its requested characteristics. */
export function beginStatement(options: BatchOptions): string {
  const { isolationLevel, readOnly, deferrable } = options;
  return [
    'BEGIN',
    isolationLevel && `ISOLATION LEVEL ${ISOLATION_LEVELS[isolationLevel]}`,
    readOnly !== undefined && (readOnly ? 'READ ONLY' : 'READ WRITE'),
    deferrable !== undefined && (deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE'),
  ]
    .filter(Boolean)
    .join(' ');
}

/** Splits a command tag the way Neon does: `INSERT 0 3` → INSERT, 3; `CREATE TABLE` → CREATE, null. */
export function parseCommandTag(tag: string): { command: string; rowCount: number | null } {
  const words = tag.split(' ');
  const count = Number(words.at(-1));
  return {
    command: words[0] ?? '',
    rowCount: words.length > 1 && Number.isInteger(count) ? count : null,
  };
}

/** Shapes one statement's result as Neon's JSON, rows as arrays or as objects by column name. */
export function toResultBody(result: StatementResult, arrayMode: boolean): ResultBody {
  const names = result.fields.map((field) => field.name);
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: arrayMode
      ? result.rows
      : result.rows.map((row) => Object.fromEntries(row.map((value, i) => [names[i], value]))),
    fields: result.fields.map((field) => ({ ...field, format: 'text' })),
    rowAsArray: arrayMode,
  };
}

/**
 * The HTTP 400 body for an error raised by Postgres (from PGlite or node-postgres, whose
 * `DatabaseError`s carry the same fields), or `undefined` for any other error.
 */
export function toErrorBody(error: unknown): ErrorBody | undefined {
  if (!(error instanceof Error) || !('severity' in error) || !('code' in error)) return undefined;
  const body: ErrorBody = { message: error.message };
  for (const field of ERROR_FIELDS) {
    const value: unknown = Reflect.get(error, field);
    if (value !== undefined && value !== null) body[field] = String(value);
  }
  return body;
}

function checkConnectionString(connectionString: string | undefined): void {
  if (!connectionString) throw protocolViolation(`missing "${HEADERS.connectionString}" header`);
  const url = URL.canParse(connectionString) ? new URL(connectionString) : undefined;
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || !url.hostname) {
    throw protocolViolation(
      `"${HEADERS.connectionString}" must be a postgres:// URL with a host, got "${connectionString}"`,
    );
  }
}

function parseJson(body: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw protocolViolation('request body is not valid JSON');
  }
  if (!isObject(payload)) throw protocolViolation('request body must be a JSON object');
  return payload;
}

function parseStatement(item: Record<string, unknown>, arrayMode: boolean): RequestedStatement {
  const { params = [] } = item;
  if (!Array.isArray(params)) throw protocolViolation('"params" must be an array');
  if (item.arrayMode !== undefined && typeof item.arrayMode !== 'boolean') {
    throw protocolViolation('"arrayMode" must be a boolean');
  }
  return {
    query: String(item.query),
    params: params.map(toParamText),
    arrayMode: item.arrayMode ?? arrayMode,
  };
}

function parseBatchOptions(header: (name: string) => string | undefined): BatchOptions {
  const isolationLevel = header(HEADERS.isolationLevel);
  if (isolationLevel !== undefined && !(isolationLevel in ISOLATION_LEVELS)) {
    throw protocolViolation(
      `invalid isolation level "${isolationLevel}": use one of ${Object.keys(ISOLATION_LEVELS).join(', ')}`,
    );
  }
  const flag = (name: string) => {
    const value = header(name);
    return value === undefined ? undefined : value === 'true';
  };
  return {
    isolationLevel: isolationLevel as IsolationLevel | undefined,
    readOnly: flag(HEADERS.readOnly),
    deferrable: flag(HEADERS.deferrable),
  };
}

/**
 * A JSON parameter as Postgres text, as Neon's proxy converts it. The driver already sends
 * strings and nulls; numbers, booleans, objects and arrays come from hand-written clients.
 */
function toParamText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return toArrayLiteral(value);
  return JSON.stringify(value);
}

function toArrayLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return `{${value.map(toArrayLiteral).join(',')}}`;
  if (typeof value === 'object') return JSON.stringify(JSON.stringify(value));
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
