import type { ServiceName } from './service.ts';
import { LOCAL_CREDENTIALS } from './service.ts';

/** The local cloud's URLs, by service. */
export type LocalCloudUrls = Record<ServiceName, string>;

/** The connection string a Worker on the local cloud sends; the local endpoint checks it. */
export const LOCAL_DATABASE_URL = 'postgresql://stratus:stratus@localhost:5432/stratus';

/**
 * The settings of a Worker served by a local cloud at `urls`, for the test suite and the
 * benchmark (which run the same Worker against the same services).
 */
export function localCloudBindings(urls: LocalCloudUrls): Record<string, string> {
  return {
    APP_ENV: 'test',
    LOG_LEVEL: 'error',
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    PUBLIC_BASE_URL: 'http://localhost:8787',
    BACKEND_CORS_ORIGINS: 'http://localhost:3000,https://app.example.com',
    DATABASE_URL: LOCAL_DATABASE_URL,
    NEON_FETCH_ENDPOINT: urls.postgres,
    UPSTASH_REDIS_REST_URL: urls.redis,
    UPSTASH_REDIS_REST_TOKEN: LOCAL_CREDENTIALS.redisToken,
    QSTASH_URL: urls.qstash,
    QSTASH_TOKEN: LOCAL_CREDENTIALS.qstashToken,
    QSTASH_CURRENT_SIGNING_KEY: LOCAL_CREDENTIALS.qstashCurrentSigningKey,
    QSTASH_NEXT_SIGNING_KEY: LOCAL_CREDENTIALS.qstashNextSigningKey,
    EMAIL_PROVIDER: 'resend',
    RESEND_API_URL: urls.mailbox,
    RESEND_API_KEY: LOCAL_CREDENTIALS.resendApiKey,
    EMAIL_FROM: 'Stratus <no-reply@stratus.test>',
  };
}
