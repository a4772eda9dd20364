import { afterEach, describe, expect, it } from 'vitest';
import { dbStats } from '../helpers/db-stats';
import { faultScope } from '../helpers/faults';
import { itemOwner } from '../helpers/items';
import { capturingLogs } from '../helpers/logs';
import { bearer, loginForm, PASSWORD, registerUser } from '../helpers/users';
import { API, callWith, readProblem } from '../helpers/worker';

const faults = faultScope();
afterEach(() => faults.clear());

describe('Redis down (issue 15)', () => {
  it('fails the auth limits closed: login answers 503 with Retry-After, then works once Redis is back', async () => {
    const user = await registerUser();
    await faults.set('redis', { mode: 'down' });
    const refused = await loginForm(user.email, PASSWORD, {}, faults.settings);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBeTruthy();
    expect((await readProblem(refused)).code).toBe('SERVICE_UNAVAILABLE');

    await faults.clear();
    expect((await loginForm(user.email, PASSWORD, {}, faults.settings)).status).toBe(200);
  });

  it('lets reads through the default limit (fail open, logged) and authenticates from the database', async () => {
    const owner = await itemOwner();
    await faults.set('redis', { mode: 'down' });
    const { result: response, lines } = await capturingLogs('warn', () =>
      callWith({ ...faults.settings, LOG_LEVEL: 'warn' }, `${API}/users/me`, {
        headers: bearer(owner.token),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: owner.id, email: owner.email });
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'rate limiter unreachable, allowing request' }),
    );
    // The user could not come from the cache: it was read from the database.
    expect((await dbStats(faults.tag)).requests).toBeGreaterThanOrEqual(1);
  });
});

describe('Redis slow (issue 15)', () => {
  it('answers once Redis does', async () => {
    const owner = await itemOwner();
    await faults.set('redis', { mode: 'slow', delay_ms: 200 });
    const started = performance.now();
    const response = await callWith(faults.settings, `${API}/users/me`, {
      headers: bearer(owner.token),
    });
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });
});
