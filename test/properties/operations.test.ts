import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { authed, bearer, login, registerUser, superuser } from '../helpers/users';
import { API, call, sendToWorker } from '../helpers/worker';
import { type Persona, requestOf, toRequest, type World } from './generated-requests';
import { contractViolations, loadOperations } from './openapi-contract';
import { checkProperty } from './replay';

// Generated requests for every operation of the OpenAPI document: valid and invalid bodies,
// path parameters, queries and headers, sent anonymously, with a bad token, with a signed-in
// user's token or cookie, and with a superuser's token. Every answer must keep the contract:
// no 5xx, a declared status with its declared body, problem+json errors with a catalogued
// code, the security headers. The suite's database is shared, so changes a superuser may make
// (deleting users, editing roles, other people's items) only ever name this file's own data.

const FILE = 'test/properties/operations.test.ts';
/**
 * Requests per operation (`FC_RUNS` overrides while iterating): 200 in `npm test`, where the
 * contract is checked in full; 50 in `npm run test:services`, enough to take every operation
 * through a real PostgreSQL and Redis without running the whole search twice.
 */
const RUNS = inject('postgresAdminUrl') === null ? 200 : 50;

const operations = await loadOperations();

async function persona(): Promise<Persona> {
  const user = await registerUser();
  return { ...user, tokens: await login(user) };
}

async function created(token: string, path: string, body: unknown) {
  const response = await authed(token, path, { method: 'POST', body: JSON.stringify(body) });
  if (response.status !== 201)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return {
    id: ((await response.json()) as { id: number }).id,
    etag: response.headers.get('ETag') ?? '',
  };
}

async function makeWorld(): Promise<World> {
  const [user, root, victim] = await Promise.all([persona(), superuser(), registerUser()]);
  const admin = { ...root, tokens: root.tokens };
  const token = admin.tokens.access_token;
  const role = await ownRole(token);
  const items = [
    await created(user.tokens.access_token, '/items', { title: 'mine' }),
    await created(token, '/items', { title: 'not the user’s' }),
  ];
  const posts = [
    await created(token, '/posts', { title: 'draft', content: 'text', published: false }),
    await created(token, '/posts', { title: 'out', content: 'text', published: true }),
  ];
  const sessions = (await (
    await authed(user.tokens.access_token, '/users/me/sessions')
  ).json()) as {
    id: string;
  }[];
  return {
    user,
    admin,
    victim,
    itemIds: items.map((item) => item.id),
    postIds: posts.map((post) => post.id),
    etags: [...items, ...posts].map((entry) => entry.etag),
    sessionIds: sessions.map((session) => session.id),
    role,
  };
}

let world: World;

const alive = async (persona: Persona) =>
  (await call(`${API}/users/me`, { headers: bearer(persona.tokens.access_token) })).status === 200;

async function ownRole(token: string) {
  const role = `fuzz-${crypto.randomUUID().slice(0, 8)}`;
  const response = await authed(token, '/rbac/roles', {
    method: 'POST',
    body: JSON.stringify({ name: role, permissions: [{ resource: 'posts', action: 'read' }] }),
  });
  if (response.status !== 201) throw new Error(`role: ${response.status}`);
  return role;
}

/** Personas replaced during the current operation: each costs two password hashes. */
let replaced = 0;
const MAX_REPLACED = 3;

/**
 * Replaces what a request of the last operation ended: a persona logged out (or whose password
 * changed), the deleted victim, the deleted role. Within an operation only the first few
 * personas are replaced; after that the operation goes on with a dead token, a 401 path too.
 */
async function freshWorld() {
  if (replaced < MAX_REPLACED && !(await alive(world.admin))) {
    replaced += 1;
    world.admin = await superuser();
  }
  if (replaced < MAX_REPLACED && !(await alive(world.user))) {
    replaced += 1;
    world.user = await persona();
  }
  const admin = world.admin.tokens.access_token;
  if (!(await alive(world.admin))) return world;
  if ((await authed(admin, `/users/${world.victim.id}`)).status !== 200) {
    world.victim = await registerUser();
  }
  const roles = (await (await authed(admin, '/rbac/roles')).json()) as { name: string }[];
  if (!roles.some((role) => role.name === world.role)) world.role = await ownRole(admin);
  return world;
}

/** Operations whose success may end a persona's session. */
const ENDS_SESSIONS = new Set([
  'POST /auth/jwt/logout',
  'POST /auth/cookie/logout',
  'DELETE /users/me/sessions/{id}',
  'PATCH /users/me',
]);

beforeAll(async () => {
  world = await makeWorld();
}, 60_000);

/** Roles the generated requests created: removed again, so other files' policies stay small. */
const createdRoles: string[] = [];

afterAll(async () => {
  const token = (await freshWorld()).admin.tokens.access_token;
  for (const role of createdRoles) await authed(token, `/rbac/roles/${role}`, { method: 'DELETE' });
}, 60_000);

describe('generated requests for every operation (issue 15)', () => {
  it('covers every operation of the document', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.map((operation) => operation.name)).toContain('PATCH /users/me');
  });

  it.each(operations.map((operation) => [operation.name, operation] as const))(
    '%s keeps its contract',
    async (name, operation) => {
      replaced = 0;
      const w = await freshWorld();
      await checkProperty(
        fc.asyncProperty(requestOf(operation, w), async (generated) => {
          const response = await sendToWorker(await toRequest(operation, generated, world));
          if (operation.name === 'POST /rbac/roles' && response.status === 201) {
            createdRoles.push(((await response.clone().json()) as { name: string }).name);
          }
          const problems = await contractViolations(operation, response);
          if (problems.length > 0) {
            throw new Error(
              `${operation.name} answered ${response.status}:\n  ${problems.join('\n  ')}`,
            );
          }
          if (ENDS_SESSIONS.has(operation.name) && response.ok) await freshWorld();
        }),
        { numRuns: RUNS, file: FILE, test: name },
      );
    },
    120_000,
  );
});
