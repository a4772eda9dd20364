export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Logger = Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;

/**
 * A JSON-lines logger: one object per line, which Workers Logs indexes field by field.
 *
 * @example
 * const log = createLogger('info', { request_id: 'abc' });
 * log.warn('rate limiter unreachable, allowing request', { policy: 'api' });
 */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  const write = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < RANK[level]) return;
    const line = JSON.stringify({ level: at, message, ...base, ...fields });
    if (at === 'error') console.error(line);
    else if (at === 'warn') console.warn(line);
    else console.log(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
