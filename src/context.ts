import type { Logger } from './lib/logger';
import type { AccessClaims } from './modules/auth/auth.tokens';
import type { Preflight } from './modules/preflight';
import type { CachedUser } from './modules/users/users.service';
import type { Cache } from './platform/cache';
import type { Database } from './platform/db/client';
import type { QStash } from './platform/qstash';
import type { Redis } from './platform/redis';
import type { Settings } from './settings';

/**
 * Per-request values, set by the `services` middleware and the auth middleware. Read one with
 * `c.get('settings')`: hono builds `c.var` afresh from all of them on every access, so `c.var`
 * is for handing the whole set to a service once (`authService.login(c.var, …)`).
 */
export interface AppVariables {
  requestId: string;
  settings: Settings;
  logger: Logger;
  db: Database;
  redis: Redis;
  /** Redis plus the `Server-Timing` report: what `remember` / `forget` take. */
  cache: Cache;
  qstash: QStash;
  /** The authenticated user, set by the `authenticate` middleware on protected routes. */
  user?: CachedUser;
  /** The verified claims of the access token that authenticated the request. */
  auth?: AccessClaims;
  /** What the request's one Redis round trip read for its access token (`preflight()`). */
  preflight?: Preflight;
  /** `RateLimit-Remaining` as reported so far, when a rate limit has counted the request. */
  rateLimitRemaining?: number;
  /**
   * The route's own `ip` rate limits, checked in the preflight's request: what applies each
   * result, by policy name.
   */
  rateLimitChecks?: Map<string, () => Promise<void>>;
}

/** The Hono environment of every router in the app. */
export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

/** The environment of routes behind `authenticate()`: the user and the token's claims are set. */
export interface AuthedEnv extends AppEnv {
  Variables: AppVariables & { user: CachedUser; auth: AccessClaims };
}
