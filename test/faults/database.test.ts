import { afterEach, describe, expect, it } from 'vitest';
import { faultScope } from '../helpers/faults';
import { itemOwner } from '../helpers/items';
import { bearer, clientIp, loginForm, PASSWORD, uniqueEmail } from '../helpers/users';
import { API, call, callWith, readProblem } from '../helpers/worker';

const faults = faultScope();
afterEach(() => faults.clear());

const json = (token: string, body: unknown) => ({
  method: 'POST',
  headers: { ...bearer(token), 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

describe('database down (issue 15)', () => {
  it('answers 503 DATABASE_UNAVAILABLE with Retry-After, writes nothing, and recovers when it is back', async () => {
    const owner = await itemOwner();
    await faults.set('postgres', { mode: 'down' });

    const refused = await callWith(
      faults.settings,
      `${API}/items`,
      json(owner.token, { title: 'Lost' }),
    );
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('5');
    expect((await readProblem(refused)).code).toBe('DATABASE_UNAVAILABLE');
    // Only this test's requests are cut off: the same database answers everyone else.
    const others = await call(`${API}/items`, { headers: bearer(owner.token) });
    expect(await others.json()).toMatchObject({ total: 0 });

    await faults.clear();
    const created = await callWith(
      faults.settings,
      `${API}/items`,
      json(owner.token, { title: 'Kept' }),
    );
    expect(created.status).toBe(201);
    const list = await call(`${API}/items`, { headers: bearer(owner.token) });
    const { items } = (await list.json()) as { items: { title: string }[] };
    expect(items.map((item) => item.title)).toEqual(['Kept']);
  });

  it('refuses a registration with 503 and leaves no account behind', async () => {
    const email = uniqueEmail('db-down');
    const register = () =>
      callWith(faults.settings, `${API}/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
        body: JSON.stringify({
          email,
          password: PASSWORD,
          first_name: 'Ada',
          last_name: 'Lovelace',
        }),
      });
    await faults.set('postgres', { mode: 'down' });
    const refused = await register();
    expect(refused.status).toBe(503);
    expect((await readProblem(refused)).code).toBe('DATABASE_UNAVAILABLE');

    await faults.clear();
    expect((await loginForm(email, PASSWORD)).status).toBe(400);
    expect((await register()).status).toBe(201);
  });
});

describe('database slow (issue 15)', () => {
  it('answers once the database does, with the wait in Server-Timing db', async () => {
    const owner = await itemOwner();
    await faults.set('postgres', { mode: 'slow', delay_ms: 300 });
    const response = await callWith(
      faults.settings,
      `${API}/items`,
      json(owner.token, { title: 'Slow' }),
    );
    expect(response.status).toBe(201);
    const db = /db;dur=([\d.]+)/.exec(response.headers.get('Server-Timing') ?? '')?.[1];
    expect(Number(db)).toBeGreaterThanOrEqual(300);
  });
});
