import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import { TokenSchema } from '../../src/modules/auth/auth.schemas';
import { UserReadSchema } from '../../src/modules/users/users.schemas';
import { getDatabase } from '../../src/platform/db/client';
import { users } from '../../src/platform/db/schema';
import { getSettings } from '../../src/settings';
import { API, call, callWith, type Overrides } from './worker';

export const PASSWORD = 'Str0ngPassword';

/** The test database, through the same client and local endpoint the Worker uses. */
export function testDb() {
  return getDatabase(getSettings(env));
}

/** A fresh address per call: tests share one database. */
export function uniqueEmail(label = 'user') {
  return `${label}-${crypto.randomUUID().slice(0, 12)}@example.com`;
}

/** A client address of its own, so per-IP rate limits of one test never touch another. */
export function clientIp() {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  return `198.51.${byte()}.${byte()}`;
}

/** Sends JSON as a client at `ip` would. */
export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(`${API}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp(), ...headers },
    body: JSON.stringify(body),
  });
}

export interface TestUser {
  id: number;
  email: string;
  password: string;
}

/** Registers a user over HTTP (the verification e-mail is queued, not delivered). */
export async function registerUser(overrides: Record<string, unknown> = {}): Promise<TestUser> {
  const input = {
    email: uniqueEmail(),
    password: PASSWORD,
    first_name: 'Test',
    last_name: 'User',
    ...overrides,
  };
  const response = await postJson('/auth/register', input);
  if (response.status !== 201)
    throw new Error(`register: ${response.status} ${await response.text()}`);
  const { id, email } = UserReadSchema.parse(await response.json());
  return { id, email, password: input.password as string };
}

/**
 * Logs in with the OAuth2 password form, as Swagger UI does; with `overrides`, against the
 * Worker running with those settings.
 */
export function loginForm(
  username: string,
  password: string,
  headers: Record<string, string> = {},
  overrides?: Overrides,
) {
  const path = `${API}/auth/jwt/login`;
  const init = {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'CF-Connecting-IP': clientIp(),
      ...headers,
    },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  };
  return overrides ? callWith(overrides, path, init) : call(path, init);
}

/** The token pair a login answers with. */
export type Tokens = z.infer<typeof TokenSchema>;

export async function login(user: Pick<TestUser, 'email' | 'password'>): Promise<Tokens> {
  const response = await loginForm(user.email, user.password);
  if (response.status !== 200)
    throw new Error(`login: ${response.status} ${await response.text()}`);
  return TokenSchema.parse(await response.json());
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** GET/PATCH/DELETE… with a bearer token. */
export function authed(token: string, path: string, init: RequestInit = {}) {
  return call(`${API}${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...bearer(token), ...init.headers },
  });
}

/** A registered, logged-in superuser (promoted directly in the database, as `db:seed` does). */
export async function superuser() {
  const user = await registerUser();
  await testDb().update(users).set({ isSuperuser: true }).where(eq(users.id, user.id));
  return { ...user, tokens: await login(user) };
}
