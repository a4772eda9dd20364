import { vi } from 'vitest';
import { inspectLogLine } from './leaks';

/** A JSON log line, as `src/lib/logger.ts` writes it. */
export type LogLine = Record<string, unknown>;

/**
 * Runs `run` with `console[method]` captured (and silenced), then restores it; returns what
 * `run` returned and the JSON lines written meanwhile (libraries' prose lines are left out).
 * Every captured call still goes through the log guard.
 *
 * @example
 * const { result, lines } = await capturingLogs('warn', () => call('/api/v1/users/me'));
 */
export async function capturingLogs<T>(
  method: 'log' | 'warn' | 'error',
  run: () => Promise<T>,
): Promise<{ result: T; lines: LogLine[] }> {
  const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
    inspectLogLine(args);
  });
  try {
    const result = await run();
    const lines = spy.mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    return { result, lines };
  } finally {
    spy.mockRestore();
  }
}
