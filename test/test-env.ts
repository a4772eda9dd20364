import type { ServiceName } from '../dev/local-cloud/service.ts';
import { LOCAL_CREDENTIALS } from '../dev/local-cloud/service.ts';

export type LocalCloudUrls = Record<ServiceName, string>;

declare module 'vitest' {
  export interface ProvidedContext {
    localCloud: LocalCloudUrls;
  }
}

/** The connection string the Worker sends; the local endpoint serves its own database. */
export const TEST_DATABASE_URL = 'postgresql://stratus:stratus@localhost:5432/stratus';

/** Every setting the Worker under test sees, pointing at the local cloud. */
export function testBindings(urls: LocalCloudUrls): Record<string, string> {
  return {
    APP_ENV: 'test',
    LOG_LEVEL: 'error',
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    PUBLIC_BASE_URL: 'http://localhost:8787',
    BACKEND_CORS_ORIGINS: 'http://localhost:3000,https://app.example.com',
    DATABASE_URL: TEST_DATABASE_URL,
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
    // Test requests without CF-Connecting-IP all count as one client for the default API limit.
    RATE_LIMIT_PER_MINUTE: '10000',
  };
}
