import { describe, expect, it } from 'vitest';
import { capturingLogs } from '../helpers/logs';
import { login, registerUser } from '../helpers/users';
import { API, callWith, DATABASE_DOWN } from '../helpers/worker';

describe('the request log', () => {
  it('writes one info line per request with its id, route, status and duration', async () => {
    const id = `observe-${crypto.randomUUID()}`;
    const { lines } = await capturingLogs('log', () =>
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
    const { lines } = await capturingLogs('error', () =>
      callWith({ ...DATABASE_DOWN, LOG_LEVEL: 'info' }, `${API}/health/db`, {
        headers: { 'X-Request-ID': id },
      }),
    );
    expect(lines.filter((line) => line.message === 'request' && line.request_id === id)).toEqual([
      expect.objectContaining({ level: 'error', status: 503, error: expect.any(String) }),
    ]);
  });

  it('names the route that answered: /users/me, not the /users/:id that also matches (issue 8)', async () => {
    const { access_token } = await login(await registerUser());
    const routes = new Map<string, string>();
    for (const [path, token] of [
      ['/users/me', access_token],
      ['/users/me/sessions', access_token],
      ['/users/me', 'not-a-token'],
    ] as const) {
      const id = `observe-${crypto.randomUUID()}`;
      const { lines } = await capturingLogs('log', () =>
        callWith({ LOG_LEVEL: 'info' }, `${API}${path}`, {
          headers: { 'X-Request-ID': id, Authorization: `Bearer ${token}` },
        }),
      );
      const line = lines.find((entry) => entry.request_id === id);
      routes.set(`${path} ${line?.status}`, String(line?.route));
    }
    expect(Object.fromEntries(routes)).toEqual({
      '/users/me 200': `${API}/users/me`,
      '/users/me/sessions 200': `${API}/users/me/sessions`,
      '/users/me 401': `${API}/users/me`,
    });
  });

  it('writes nothing below the configured level', async () => {
    const id = `observe-${crypto.randomUUID()}`;
    const { lines } = await capturingLogs('log', () =>
      callWith({ LOG_LEVEL: 'warn' }, `${API}/health`, { headers: { 'X-Request-ID': id } }),
    );
    expect(lines.filter((line) => line.request_id === id)).toEqual([]);
  });
});
