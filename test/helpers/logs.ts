import { vi } from 'vitest';

/** A JSON log line, as `src/lib/logger.ts` writes it. */
export type LogLine = Record<string, unknown>;

/**
 * Runs `run` with `console[method]` captured (and silenced), then restores it; returns what
 * `run` returned and the JSON lines written meanwhile.
 *
 * @example
 * const { result, lines } = await capturingLogs('warn', () => call('/api/v1/users/me'));
 */
export async function capturingLogs<T>(
  method: 'log' | 'warn' | 'error',
  run: () => Promise<T>,
): Promise<{ result: T; lines: LogLine[] }> {
  const spy = vi.spyOn(console, method).mockImplementation(() => undefined);
  try {
    const result = await run();
    return { result, lines: spy.mock.calls.map(([line]) => JSON.parse(String(line)) as LogLine) };
  } finally {
    spy.mockRestore();
  }
}
