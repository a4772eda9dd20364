/**
 * `npm run db:migrate`, `npm run db:seed [-- --demo]`, `npm run db:backup [-- file]` and
 * `npm run db:restore -- file [--force]`.
 *
 * Target: `DATABASE_URL` (and `NEON_FETCH_ENDPOINT`) from the environment when set, e.g. your
 * Neon database: `DATABASE_URL=postgresql://…neon.tech/app npm run db:migrate`. Otherwise
 * both come from `.dev.vars`: the local cloud, which `npm run dev` (or `npm run local-cloud`)
 * must be running; `-- --port N` (or `STRATUS_PORT=N`) reaches the one started with that port.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { neon } from '@neondatabase/serverless';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import { hashPassword } from '../../src/platform/crypto/password';
import { casbinRule, users } from '../../src/platform/db/schema';
import { devPort, loadDevVars } from '../dev-vars';
import { DEMO_PASSWORD, seedDemo } from './demo';
import { connect, type DatabaseTarget, migrateDatabase } from './migrate';
import { progressBar } from './progress';
import { backupDatabase, restoreDatabase } from './snapshot';

const { port, rest } = devPort();

async function target(): Promise<DatabaseTarget & { vars: Record<string, string | undefined> }> {
  if (process.env.DATABASE_URL) {
    return {
      databaseUrl: process.env.DATABASE_URL,
      fetchEndpoint: process.env.NEON_FETCH_ENDPOINT || undefined,
      vars: process.env,
    };
  }
  const { vars } = await loadDevVars(port);
  if (!vars.DATABASE_URL) throw new Error('DATABASE_URL is not set (environment or .dev.vars)');
  return {
    databaseUrl: vars.DATABASE_URL,
    fetchEndpoint: vars.NEON_FETCH_ENDPOINT || undefined,
    vars,
  };
}

/**
 * Creates `FIRST_SUPERUSER_EMAIL` once, holding the `admin` role (so the last-admin rule guards
 * it); later runs leave the account as it is.
 */
async function seed({ databaseUrl, vars }: Awaited<ReturnType<typeof target>>) {
  const email = vars.FIRST_SUPERUSER_EMAIL?.trim().toLowerCase();
  const password = vars.FIRST_SUPERUSER_PASSWORD;
  if (!email || !password)
    throw new Error('Set FIRST_SUPERUSER_EMAIL and FIRST_SUPERUSER_PASSWORD');
  const db = drizzle({ client: neon(databaseUrl), casing: 'snake_case' });
  const created = await db
    .insert(users)
    .values({
      email,
      hashedPassword: await hashPassword(password),
      isSuperuser: true,
      isVerified: true,
      firstName: 'Admin',
    })
    .onConflictDoNothing()
    .returning({ id: users.id });
  if (created[0]) {
    await db
      .insert(casbinRule)
      .values({ ptype: 'g', v0: `user:${created[0].id}`, v1: 'admin' })
      .onConflictDoNothing();
    return `created superuser ${email} (id ${created[0].id}), role admin`;
  }
  const [existing] = await db
    .select({ id: users.id, isSuperuser: users.isSuperuser })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email));
  return `superuser ${email} already exists (id ${existing?.id}${existing?.isSuperuser ? '' : ', not a superuser'}); left unchanged`;
}

/** Writes the snapshot to `file` (default `backups/<UTC time>.jsonl`). */
async function backup(database: DatabaseTarget, file?: string) {
  const path = file ?? `backups/${new Date().toISOString().replaceAll(':', '-')}.jsonl`;
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: 'wx' });
  const tables = await backupDatabase(
    connect(database),
    async (line) => {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    },
    progressBar('backup '),
  );
  await new Promise((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve(null))),
  );
  const rows = tables.reduce((sum, table) => sum + table.rows, 0);
  return `backed up ${tables.length} tables, ${rows} rows, to ${path}`;
}

/** Migrates the target, then restores `file` into it. */
async function restore(database: DatabaseTarget, file: string | undefined, force: boolean) {
  if (!file) throw new Error('name the backup file: npm run db:restore -- backups/….jsonl');
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  await migrateDatabase(database);
  const tables = await restoreDatabase(connect(database), lines, {
    force,
    onProgress: progressBar('restore'),
  });
  const rows = tables.reduce((sum, table) => sum + table.rows, 0);
  return `restored ${tables.length} tables, ${rows} rows, from ${file}`;
}

const [command, ...args] = rest;
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const [file] = args.filter((arg) => !arg.startsWith('--'));
try {
  const database = await target();
  if (command === 'migrate') {
    console.log(`migrations: ${await migrateDatabase(database)} applied`);
  } else if (command === 'seed') {
    await migrateDatabase(database);
    console.log(await seed(database));
    if (flags.has('--demo')) {
      const db = drizzle({ client: connect(database), casing: 'snake_case' });
      console.log(`demo accounts (password ${DEMO_PASSWORD}):`);
      for (const line of await seedDemo(db)) console.log(`  ${line}`);
    }
  } else if (command === 'backup') {
    console.log(await backup(database, file));
  } else if (command === 'restore') {
    console.log(await restore(database, file, flags.has('--force')));
  } else {
    throw new Error(`unknown command ${command}: use migrate, seed, backup or restore`);
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`db:${command} failed: ${message}`);
  if (/fetch failed|ECONNREFUSED|connecting to database/i.test(message)) {
    console.error(
      'Is the database reachable? Locally, start it with `npm run dev` or `npm run local-cloud`.',
    );
  }
  process.exit(1);
}
