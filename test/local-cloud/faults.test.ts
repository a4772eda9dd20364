import { describe, expect, inject, it } from 'vitest';

const origin = () => new URL(inject('localCloud').mailbox).origin;
const faults = (init?: RequestInit, query = '') =>
  fetch(`${origin()}/__local/faults${query}`, init);

describe('the local cloud: /__local/faults (issue 15)', () => {
  it('sets, lists and clears a tagged fault, with its defaults filled in', async () => {
    const tag = `faults-${crypto.randomUUID().slice(0, 8)}`;
    const set = await faults({ method: 'POST', body: JSON.stringify({ mode: 'error', tag }) });
    expect(set.status).toBe(201);
    expect(await set.json()).toEqual({ mode: 'error', delay_ms: 1000, status: 503, tag });
    expect(await (await faults()).json()).toContainEqual(expect.objectContaining({ tag }));

    // The fault answers only requests carrying its tag, in the service's own error shape.
    const tagged = await fetch(`${origin()}/__tag/${tag}/emails`, { method: 'POST' });
    expect(tagged.status).toBe(503);
    expect(await tagged.json()).toMatchObject({ statusCode: 503, name: 'application_error' });
    expect((await fetch(`${origin()}/emails`, { method: 'POST' })).status).toBe(401);

    expect((await faults({ method: 'DELETE' }, `?tag=${tag}`)).status).toBe(204);
    expect(await (await faults()).json()).not.toContainEqual(expect.objectContaining({ tag }));
    expect((await fetch(`${origin()}/__tag/${tag}/emails`, { method: 'POST' })).status).toBe(401);
  });

  it('refuses a fault it does not know with 400', async () => {
    const response = await faults({ method: 'POST', body: JSON.stringify({ mode: 'flaky' }) });
    expect(response.status).toBe(400);
    expect(await (await faults()).json()).not.toContainEqual(
      expect.objectContaining({ mode: 'flaky' }),
    );
  });
});
