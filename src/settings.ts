import { z } from 'zod';

const integer = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const seconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().replace(/\/$/, ''))
      .filter(Boolean),
  );

/** The most `MAX_PAGE_SIZE` may be: the OpenAPI document bounds every page's `items` by it. */
export const PAGE_SIZE_CEILING = 1000;

/**
 * Every setting the Worker reads, from Worker vars and secrets (`.dev.vars` locally).
 * `.dev.vars.example` lists each one with a comment.
 */
const settingsSchema = z.object({
  APP_ENV: z.enum(['development', 'test', 'production']).default('production'),
  PROJECT_NAME: z.string().min(1).default('Stratus'),
  VERSION: z.string().min(1).default('0.1.0'),
  API_V1_PREFIX: z
    .string()
    .regex(/^\/[\w/-]*[^/]$/, 'must start with / and not end with /')
    .default('/api/v1'),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters'),
  ACCESS_TOKEN_EXPIRE_MINUTES: integer(15),
  REFRESH_TOKEN_EXPIRE_DAYS: integer(30),
  REFRESH_REUSE_INTERVAL_SECONDS: seconds(10),
  BACKEND_CORS_ORIGINS: commaList,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DEFAULT_PAGE_SIZE: integer(20),
  MAX_PAGE_SIZE: z.coerce.number().int().positive().max(PAGE_SIZE_CEILING).default(100),
  MAX_BODY_SIZE: integer(1024 * 1024),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL'),
  NEON_FETCH_ENDPOINT: z.url().optional(),
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  QSTASH_URL: z.url().optional(),
  QSTASH_TOKEN: z.string().min(1).optional(),
  QSTASH_CURRENT_SIGNING_KEY: z.string().min(1).optional(),
  QSTASH_NEXT_SIGNING_KEY: z.string().min(1).optional(),
  PUBLIC_BASE_URL: z.url().default('http://localhost:8787'),
  FRONTEND_URL: z.url().optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GITHUB_CLIENT_ID: z.string().min(1).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
  OAUTH_LINK_VERIFIED_EMAILS: flag(true),
  OAUTH_PROVIDER_TIMEOUT_MS: integer(10_000),
  OAUTH_STORE_TOKENS: flag(false),
  OAUTH_TOKEN_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  EMAIL_PROVIDER: z.enum(['resend', 'log']).default('log'),
  EMAIL_FROM: z.string().min(3).default('Stratus <no-reply@example.com>'),
  RESEND_API_URL: z.url().default('https://api.resend.com'),
  RESEND_API_KEY: z.string().min(1).optional(),
  RATE_LIMIT_PER_MINUTE: integer(300),
  LOGIN_ACCOUNT_LIMIT_PER_HOUR: integer(100),
  // #region retention
  TOKEN_RETENTION_DAYS: integer(7),
  SOFT_DELETE_RETENTION_DAYS: integer(30),
  // #endregion retention
  REQUIRE_VERIFIED_LOGIN: flag(false),
  DEFAULT_ROLE: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,49}$/, 'must be a role name (a-z, 0-9, _ and -)')
    .default('viewer'),
  POLICY_CHECK_INTERVAL_MS: integer(1000),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Settings holding secrets: never echoed, and refused in production while they hold a placeholder. */
const SECRET_SETTINGS = [
  'SECRET_KEY',
  'DATABASE_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'QSTASH_TOKEN',
  'QSTASH_CURRENT_SIGNING_KEY',
  'QSTASH_NEXT_SIGNING_KEY',
  'GOOGLE_CLIENT_SECRET',
  'GITHUB_CLIENT_SECRET',
  'OAUTH_TOKEN_ENCRYPTION_KEY',
  'RESEND_API_KEY',
] as const satisfies readonly (keyof Settings)[];

/** Optional while developing, but the auth routes fail closed without Redis and jobs need QStash. */
const REQUIRED_IN_PRODUCTION = [
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'QSTASH_URL',
  'QSTASH_TOKEN',
  'QSTASH_CURRENT_SIGNING_KEY',
  'QSTASH_NEXT_SIGNING_KEY',
] as const satisfies readonly (keyof Settings)[];

/** Values shipped in `.dev.vars.example` and the local cloud: fine locally, fatal in production. */
const PLACEHOLDER =
  /change[-_]?me|placeholder|dev-only|^local-|^sig_local_|^re_local_|stratus:stratus@/i;

/** A misconfiguration found at startup. Its message names the variables, never their values. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function parseSettings(env: Record<string, unknown>): Settings {
  const raw = Object.fromEntries(
    Object.keys(settingsSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]),
  );
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new SettingsError(`Invalid settings:\n  ${problems.join('\n  ')}`);
  }
  const settings = result.data;
  if (settings.OAUTH_STORE_TOKENS && !settings.OAUTH_TOKEN_ENCRYPTION_KEY) {
    throw new SettingsError(
      'Invalid settings:\n  OAUTH_TOKEN_ENCRYPTION_KEY: required when OAUTH_STORE_TOKENS=true',
    );
  }
  if (settings.APP_ENV === 'production') {
    const missing = REQUIRED_IN_PRODUCTION.filter((key) => !settings[key]);
    const placeholders = SECRET_SETTINGS.filter((key) => PLACEHOLDER.test(settings[key] ?? ''));
    const problems = [
      ...(missing.length > 0 ? [`required when APP_ENV=production: ${missing.join(', ')}`] : []),
      ...(placeholders.length > 0
        ? [`placeholder secrets are refused when APP_ENV=production: ${placeholders.join(', ')}`]
        : []),
    ];
    if (problems.length > 0)
      throw new SettingsError(`Invalid settings:\n  ${problems.join('\n  ')}`);
  }
  return settings;
}

/**
 * `FRONTEND_URL`, defaulting to `PUBLIC_BASE_URL`: the base of the links in e-mails and where
 * cookie-mode social logins land.
 *
 * @example
 * frontendUrl(settings).origin; // 'http://localhost:8787' when FRONTEND_URL is unset
 */
export function frontendUrl(settings: Settings): URL {
  return new URL(settings.FRONTEND_URL ?? settings.PUBLIC_BASE_URL);
}

const parsed = new WeakMap<object, Settings>();

/**
 * The settings of this isolate, parsed on first use and remembered for the same `env`.
 *
 * @example
 * const settings = getSettings(c.env);
 * settings.ACCESS_TOKEN_EXPIRE_MINUTES; // 15
 */
export function getSettings(env: Env): Settings {
  let settings = parsed.get(env);
  if (!settings) {
    settings = parseSettings(env as unknown as Record<string, unknown>);
    parsed.set(env, settings);
  }
  return settings;
}
