import { env } from 'cloudflare:test';
import { afterAll, afterEach } from 'vitest';
import { SECRET_SETTINGS } from '../src/settings';
import { failOnLeaks, installLogGuard, registerSecret } from './helpers/leaks';

// Every file of the `workers` project runs this first: every console line of the Worker and of
// the tests is checked for a secret, and the test during which one was written fails (issue 15).
installLogGuard();
for (const name of SECRET_SETTINGS) registerSecret(env[name], name);

afterEach(failOnLeaks);
// Lines written after a file's last test (work left to `waitUntil`) fail the file.
afterAll(failOnLeaks);
