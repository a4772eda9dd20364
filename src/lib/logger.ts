export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

type Fields = Record<string, unknown>;

/**
 * A JSON-lines logger: one object per line, which Workers Logs indexes field by field. Made
 * once per request, so it is a plain object whose methods live on its prototype.
 *
 * @example
 * const log = createLogger('info', { request_id: 'abc' });
 * log.warn('rate limiter unreachable, allowing request', { policy: 'api' });
 */
export class Logger {
  constructor(
    private readonly level: LogLevel,
    private readonly base: Fields = {},
  ) {}

  /** Whether a line at `level` would be written: skip building costly fields when not. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(message: string, fields?: Fields) {
    this.write('debug', message, fields);
  }

  info(message: string, fields?: Fields) {
    this.write('info', message, fields);
  }

  warn(message: string, fields?: Fields) {
    this.write('warn', message, fields);
  }

  error(message: string, fields?: Fields) {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields?: Fields) {
    if (!this.enabled(level)) return;
    const line = JSON.stringify({ level, message, ...this.base, ...fields });
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  }
}

/** A {@link Logger} writing lines at `level` and above, each carrying the fields of `base`. */
export function createLogger(level: LogLevel, base?: Fields): Logger {
  return new Logger(level, base);
}
