/**
 * `npm run dev`: the local cloud, pending migrations, then `wrangler dev` on :8787.
 * `npm run dev -- --reset` starts from an empty database.
 */
import { spawn } from 'node:child_process';
import { migrateDatabase } from './db/migrate';
import { loadDevVars } from './dev-vars';
import { closeOnSignal, startDevCloud } from './local-cloud/main';

const PORT = 8787;

const { vars, created } = await loadDevVars();
if (created) console.log('created .dev.vars from .dev.vars.example');

const cloud = await startDevCloud({ reset: process.argv.includes('--reset') });
const databaseUrl = vars.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is missing from .dev.vars');
const applied = await migrateDatabase({
  databaseUrl,
  fetchEndpoint: vars.NEON_FETCH_ENDPOINT || undefined,
});
console.log(`migrations: ${applied} applied`);

const api = `http://localhost:${PORT}${vars.API_V1_PREFIX || '/api/v1'}`;
console.log(`
API         ${api}
  health    ${api}/health
  docs      ${api}/docs
  redoc     ${api}/redoc
  openapi   ${api}/openapi.json
mailbox     ${cloud.urls.mailbox}/messages
console     ${cloud.urls.console}/        (the mailbox, QStash and counters in a browser)
`);

const wrangler = spawn('wrangler', ['dev', '--port', String(PORT), '--ip', '127.0.0.1'], {
  stdio: 'inherit',
});
wrangler.on('exit', async (code) => {
  await cloud.close();
  process.exit(code ?? 0);
});
closeOnSignal(cloud, () => wrangler.kill('SIGINT'));
