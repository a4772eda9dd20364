/**
 * `npm run dev`: the local cloud, pending migrations, then `wrangler dev` on :8787.
 * `npm run dev -- --reset` starts from an empty database; `npm run dev -- --port N` (or
 * `STRATUS_PORT=N`) serves the API on N and the local cloud on N+4 to N+8, with its own data
 * directory, so several instances run side by side.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { migrateDatabase } from './db/migrate';
import { devDataDir, devPort, loadDevVars } from './dev-vars';
import { closeOnSignal, startDevCloud } from './local-cloud/main';
import { takenPorts } from './local-cloud/ports';
import { DEFAULT_API_PORT, servicePorts } from './local-cloud/service';

const { port, rest } = devPort();

/** The first port N above `port` (by tens) whose API and local cloud ports are all free. */
async function freeBaseAfter(port: number): Promise<number | undefined> {
  for (let candidate = port + 10; candidate <= Math.min(port + 200, 65_527); candidate += 10) {
    if ((await takenPorts({ api: candidate, ...servicePorts(candidate) })).length === 0) {
      return candidate;
    }
  }
  return undefined;
}

const taken = await takenPorts({ api: port, ...servicePorts(port) });
if (taken.length > 0) {
  console.error(`npm run dev: cannot start on port ${port}:`);
  for (const line of taken) console.error(`  ${line}`);
  const free = await freeBaseAfter(port);
  console.error(
    `Stop it, or start on other ports${free ? `: npm run dev -- --port ${free}` : ''}.`,
  );
  process.exit(1);
}

const { vars, moved, created } = await loadDevVars(port);
if (created) console.log('created .dev.vars from .dev.vars.example');

const cloud = await startDevCloud({ port, reset: rest.includes('--reset') });
const databaseUrl = vars.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is missing from .dev.vars');
const applied = await migrateDatabase({
  databaseUrl,
  fetchEndpoint: vars.NEON_FETCH_ENDPOINT || undefined,
});
console.log(`migrations: ${applied} applied`);

const api = `http://localhost:${port}${vars.API_V1_PREFIX || '/api/v1'}`;
console.log(`
API         ${api}
  health    ${api}/health
  docs      ${api}/docs
  redoc     ${api}/redoc
  openapi   ${api}/openapi.json
mailbox     ${cloud.urls.mailbox}/messages
console     ${cloud.urls.console}/        (the mailbox, QStash and counters in a browser)
`);

// Beside another port than 8787, `.dev.vars` is read as usual and the URLs moved to this
// instance's ports are passed over it; wrangler's local storage goes to this instance's data.
const instance =
  port === DEFAULT_API_PORT
    ? []
    : [
        ...Object.entries(moved).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
        '--persist-to',
        join(devDataDir(port), 'wrangler'),
      ];
const wrangler = spawn(
  'wrangler',
  ['dev', '--port', String(port), '--ip', '127.0.0.1', ...instance],
  { stdio: 'inherit' },
);
wrangler.on('exit', async (code) => {
  await cloud.close();
  process.exit(code ?? 0);
});
closeOnSignal(cloud, () => wrangler.kill('SIGINT'));
