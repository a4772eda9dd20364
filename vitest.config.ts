import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import type { LocalCloudUrls } from './dev/local-cloud/bindings.ts';
import { testBindings } from './test/test-env.ts';

/**
 * Two projects. `workers`: the suite, inside workerd, against the local cloud that
 * `test/global-setup.ts` starts on free loopback ports (`--mode services` serves a real
 * PostgreSQL and Redis through the same endpoints). `node`: checks that need Node, such as
 * validating the OpenAPI document with a validator that compiles schemas at run time, which
 * workerd forbids.
 */
export default defineConfig(({ mode }) => ({
  test: {
    // At the root, not in the `workers` project, so it loads with Node's module conditions
    // rather than workerd's; what it provides reaches every project.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // `npm run test:coverage`: istanbul, as workerd has no V8 inspector for native coverage.
    coverage: {
      provider: 'istanbul',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportOnFailure: true,
      thresholds: { lines: 90, branches: 84 },
    },
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: testBindings(inject<LocalCloudUrls>('localCloud')) },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/**/*.test.ts'],
          // Every console line of the run is checked for secrets (issue 15).
          setupFiles: ['./test/log-guard.ts'],
          exclude: ['test/node/**'],
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          // With `--mode services`, only what reads the database: the rest (the document, the
          // dev stack, the browser pages) runs on its own local cloud whatever the mode.
          include:
            mode === 'services' ? ['test/node/db-snapshot.test.ts'] : ['test/node/**/*.test.ts'],
        },
      },
    ],
  },
}));
