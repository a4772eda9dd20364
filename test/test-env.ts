import { type LocalCloudUrls, localCloudBindings } from '../dev/local-cloud/bindings.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    localCloud: LocalCloudUrls;
    /** The superuser URL of the real PostgreSQL in `--mode services`, null with PGlite. */
    postgresAdminUrl: string | null;
    /**
     * `FC_SEED`, `FC_PATH`, `FC_RUNS` and `FC_REPLAY_PATH` (of a command sequence) of the
     * shell: replay a property-test failure (docs/testing.md).
     */
    fastCheck: {
      seed: string | null;
      path: string | null;
      runs: string | null;
      replayPath: string | null;
    };
  }
}

/** Every setting the Worker under test sees, pointing at the local cloud. */
export function testBindings(urls: LocalCloudUrls): Record<string, string> {
  return {
    ...localCloudBindings(urls),
    // Test requests without CF-Connecting-IP all count as one client for the default API limit.
    RATE_LIMIT_PER_MINUTE: '10000',
    // Every line the code can write is written, for the log guard to check (test/log-guard.ts);
    // the guard prints only the error lines.
    LOG_LEVEL: 'debug',
  };
}
