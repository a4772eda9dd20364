import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientIp } from '../helpers/users';
import { API, call } from '../helpers/worker';
import { invalidValue, type JsonSchema, validValue } from './json-schema-arbitrary';
import { checkProperty } from './replay';

// A property that is wrong on purpose ("verifying with any body answers 400") fails on the
// first generated body the route refuses with 422. The report names the seed and path, and
// running again with them finds the same counterexample at once: a CI failure replays.

const VerifyBody: JsonSchema = {
  type: 'object',
  properties: { token: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['token'],
};

const body = fc.oneof(validValue(VerifyBody), invalidValue(VerifyBody) as fc.Arbitrary<unknown>);

const alwaysBadToken = fc.asyncProperty(body, async (value) => {
  const response = await call(`${API}/auth/verify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'CF-Connecting-IP': clientIp() },
    body: JSON.stringify(value),
  });
  expect(response.status).toBe(400);
});

async function failure(parameters: fc.Parameters<unknown>) {
  const details = await fc.check(alwaysBadToken, { ...parameters, numRuns: 50 });
  if (!details.failed) throw new Error('the broken property passed');
  return { seed: details.seed, path: details.counterexamplePath, value: details.counterexample };
}

describe('a seeded failure replays (issue 15)', () => {
  it('finds the same counterexample twice with the same seed, and at once with its path', async () => {
    const first = await failure({ seed: 4242 });
    const again = await failure({ seed: 4242 });
    expect(again).toEqual(first);

    const replayed = await failure({ seed: first.seed, path: first.path ?? undefined });
    expect(replayed.value).toEqual(first.value);
  });

  it('prints the command that replays a failure', async () => {
    const run = checkProperty(alwaysBadToken, {
      numRuns: 50,
      file: 'test/properties/replay.test.ts',
      test: 'a broken property',
    });
    await expect(run).rejects.toThrow(
      /Replay: FC_SEED=-?\d+ FC_PATH=[\d:]+ npx vitest run test\/properties\/replay\.test\.ts -t "a broken property"/,
    );
  });
});
