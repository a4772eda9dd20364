import { afterEach, describe, expect, it, vi } from 'vitest';
import { API, callWith, DATABASE_DOWN } from '../helpers/worker';

/** The JSON lines written to `console[method]` while `run` ran. */
async function logged(method: 'log' | 'error', run: () => Promise<unknown>) {
  const spy = vi.spyOn(console, method).mockImplementation(() => undefined);
  await run();
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the request log', () => {
  it('writes one info line per request with its id, route, status and duration', async () => {
    const id = `observe-${crypto.randomUUID()}`;
    const lines = await logged('log', () =>
      callWith({ LOG_LEVEL: 'info' }, `${API}/health`, { headers: { 'X-Request-ID': id } }),
    );
    const mine = lines.filter((line) => line.request_id === id);
    expect(mine).toEqual([
      {
        level: 'info',
        message: 'request',
        request_id: id,
        method: 'GET',
        route: `${API}/health`,
        path: `${API}/health`,
        status: 200,
        duration_ms: expect.any(Number),
        user_id: null,
      },
    ]);
  });

  it('logs a 5xx at error level with the error message', async () => {
    const id = `observe-${crypto.randomUUID()}`;
    const lines = await logged('error', () =>
      callWith({ ...DATABASE_DOWN, LOG_LEVEL: 'info' }, `${API}/health/db`, {
        headers: { 'X-Request-ID': id },
      }),
    );
    expect(lines.filter((line) => line.message === 'request' && line.request_id === id)).toEqual([
      expect.objectContaining({ level: 'error', status: 503, error: expect.any(String) }),
    ]);
  });

  it('writes nothing below the configured level', async () => {
    const id = `observe-${crypto.randomUUID()}`;
    const lines = await logged('log', () =>
      callWith({ LOG_LEVEL: 'warn' }, `${API}/health`, { headers: { 'X-Request-ID': id } }),
    );
    expect(lines.filter((line) => line.request_id === id)).toEqual([]);
  });
});
