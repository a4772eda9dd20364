import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { MODULES } from '../../src/modules/index';
import { cronTable } from '../../src/modules/jobs/jobs.cron';
import { findTask } from '../../src/modules/jobs/jobs.tasks';
import { notesModule } from '../fixtures/notes/notes.index';
import { bearer, clientIp, login, registerUser } from '../helpers/users';
import { readProblem } from '../helpers/worker';

// A new module is its folder plus one line in the list of modules (issue 9): here the fixture's
// folder and the list handed to createApp.
const app = createApp('/api/v1', [...MODULES, notesModule]);

async function request(path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const response = await app.request(path, init, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const echo = (token: string, text: string) =>
  request('/api/v1/notes/echo', {
    method: 'POST',
    headers: {
      ...bearer(token),
      'Content-Type': 'application/json',
      'CF-Connecting-IP': clientIp(),
    },
    body: JSON.stringify({ text }),
  });

describe('a module added with its folder and one line', () => {
  it('serves its routes behind the route helpers, with the signed-in user typed', async () => {
    const user = await registerUser();
    const { access_token } = await login(user);
    const response = await echo(access_token, 'hello');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ text: 'hello', author: user.id });
    expect((await echo('not-a-token', 'hello')).status).toBe(401);
  });

  it('answers with its own error codes as problem+json', async () => {
    const { access_token } = await login(await registerUser());
    const response = await echo(access_token, 'HELLO');
    expect(response.status).toBe(422);
    expect((await readProblem(response)).code).toBe('NOTE_TOO_LOUD');
  });

  it('documents its route with the guard errors and its own', async () => {
    const document = (await (await request('/api/v1/openapi.json')).json()) as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    };
    const responses = document.paths['/api/v1/notes/echo']?.post?.responses ?? {};
    // 400, 413 and 415: what the global middleware answers to a bad body (issue 17).
    expect(Object.keys(responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '415',
      '422',
      '429',
      '500',
      '503',
    ]);
    expect(responses['400']?.description).toBe('MALFORMED_JSON');
    expect(responses['503']?.description).toBe('DATABASE_UNAVAILABLE');
    expect(responses['422']?.description).toBe('NOTE_TOO_LOUD | VALIDATION_ERROR');
  });

  it('registers its queued tasks and its cron entries', () => {
    expect(findTask('notes_tidy')).toBe(notesModule.tasks?.notes_tidy);
    expect(cronTable([...MODULES, notesModule]).get('15 4 * * *')).toEqual(['notes_tidy']);
  });
});
