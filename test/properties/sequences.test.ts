import fc from 'fast-check';
import { beforeAll, describe, inject, it } from 'vitest';
import { superuser, type Tokens } from '../helpers/users';
import { checkProperty } from './replay';
import { commands, Login, type Model, Register } from './sequence-model';

// Stateful sequences: short random runs of register, login, refresh, logout, profile changes,
// a superuser deactivating, reactivating, deleting and promoting accounts, and items and posts
// created, read, listed and deleted, checked against a small model of what each account may
// see (sequence-model.ts).

const FILE = 'test/properties/sequences.test.ts';
const RUNS = 15;
const MAX_COMMANDS = 30;

let admin: Tokens;

beforeAll(async () => {
  admin = (await superuser()).tokens;
}, 30_000);

describe('stateful sequences (issue 15)', () => {
  it('never accept what the model refuses, nor refuse what it allows', async () => {
    await checkProperty(
      fc.asyncProperty(
        fc.commands(commands, {
          maxCommands: MAX_COMMANDS,
          size: 'max',
          replayPath: inject('fastCheck').replayPath ?? undefined,
        }),
        async (run) => {
          const model: Model = {
            admin: admin.access_token,
            tag: `seq${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`,
            accounts: [],
            sessions: [],
            items: [],
            posts: [],
          };
          await new Register().run(model);
          await new Login(0).run(model);
          // The model and the handles are one object: each command updates what it expects
          // alongside the tokens and ids it got.
          await fc.asyncModelRun(() => ({ model, real: model }), run);
        },
      ),
      { numRuns: RUNS, file: FILE, test: 'never accept what the model refuses' },
    );
  }, 180_000);
});
