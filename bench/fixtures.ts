/**
 * What scenarios prepare over HTTP, as a client would: accounts, logins, client addresses.
 * Every request goes to the app's socket on 127.0.0.1.
 */

/** The API prefix (`API_V1_PREFIX` of wrangler.toml). */
export const API = '/api/v1';
/** The password of every benchmark account. */
const PASSWORD = 'Bench-Password-0123';

let addresses = 0;

/**
 * A client address never used before in this run (10.0.0.0/8, counted up). The app's rate
 * limits count per `CF-Connecting-IP`, so a fresh one per request keeps the benchmark
 * measuring the limiter's check rather than its 429s.
 */
export function freshIp(): string {
  const n = ++addresses;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** A registered account. */
export interface Account {
  id: number;
  email: string;
}

/** What a login answers. */
export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Register and log in against one app origin. */
export interface AppClient {
  register(): Promise<Account>;
  /** Registers `count` accounts, a few at a time. */
  registerMany(count: number): Promise<Account[]>;
  login(account: Account): Promise<Tokens>;
  /**
   * Sends `GET path` from `ip` until the API rate limit (`limit` a minute) answers 429, so
   * that address is blocked, and the block cached in the isolate, when the scenario starts.
   */
  exhaustRateLimit(path: string, ip: string, limit: number): Promise<void>;
  /** Sends JSON to `path` (under the API prefix) as the holder of `token`; expects `status`. */
  send(
    token: string,
    method: string,
    path: string,
    body: unknown,
    status: number,
  ): Promise<unknown>;
}

/** The form body of `POST /auth/jwt/login` (the OAuth2 password grant). */
export function loginForm(email: string): string {
  return new URLSearchParams({
    grant_type: 'password',
    username: email,
    password: PASSWORD,
  }).toString();
}

async function expectStatus(response: Response, status: number, what: string): Promise<unknown> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text) as unknown;
}

/** Calls setup endpoints of the app served at `origin`. */
export function appClient(origin: string): AppClient {
  let accounts = 0;
  const post = (path: string, contentType: string, body: string) =>
    fetch(`${origin}${API}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, 'CF-Connecting-IP': freshIp() },
      body,
      signal: AbortSignal.timeout(30_000),
    });

  const register = async (): Promise<Account> => {
    const email = `bench-${process.pid}-${++accounts}@example.com`;
    const body = JSON.stringify({
      email,
      password: PASSWORD,
      first_name: 'Bench',
      last_name: 'User',
    });
    const user = (await expectStatus(
      await post('/auth/register', 'application/json', body),
      201,
      'register',
    )) as { id: number };
    return { id: user.id, email };
  };

  return {
    register,
    async registerMany(count) {
      const registered: Account[] = [];
      // Four at a time: hashing dominates, and workerd runs on one core anyway.
      for (let i = 0; i < count; i += 4) {
        const batch = Math.min(4, count - i);
        registered.push(...(await Promise.all(Array.from({ length: batch }, register))));
      }
      return registered;
    },
    async login(account) {
      const response = await post(
        '/auth/jwt/login',
        'application/x-www-form-urlencoded',
        loginForm(account.email),
      );
      return (await expectStatus(response, 200, `login ${account.email}`)) as Tokens;
    },
    async send(token, method, path, body, status) {
      const response = await fetch(`${origin}${API}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'CF-Connecting-IP': freshIp(),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      return expectStatus(response, status, `${method} ${path}`);
    },
    async exhaustRateLimit(path, ip, limit) {
      const get = () =>
        fetch(`${origin}${path}`, {
          headers: { 'CF-Connecting-IP': ip },
          signal: AbortSignal.timeout(30_000),
        }).then(async (response) => {
          await response.arrayBuffer();
          return response.status;
        });
      const most = limit + 100;
      for (let sent = 0; sent < most; sent += 16) {
        const statuses = await Promise.all(Array.from({ length: 16 }, get));
        if (statuses.includes(429)) return;
      }
      throw new Error(`${path}: no 429 after ${most} requests from ${ip} (limit ${limit})`);
    },
  };
}

/**
 * Runs Redis commands on the local cloud's Upstash endpoint at `url`, untagged, so the
 * per-tag counters the benchmark reads do not count them.
 */
export function localRedis(url: string, token: string) {
  return async (command: string[]): Promise<unknown> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(command),
      signal: AbortSignal.timeout(10_000),
    });
    const reply = (await response.json()) as { result?: unknown; error?: string };
    if (!response.ok || reply.error)
      throw new Error(`redis ${command[0]}: ${reply.error ?? response.status}`);
    return reply.result;
  };
}
