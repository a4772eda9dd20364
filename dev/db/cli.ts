/**
 * `npm run db:migrate` and `npm run db:seed`.
 *
 * Target: `DATABASE_URL` (and `NEON_FETCH_ENDPOINT`) from the environment when set, e.g. your
 * Neon database: `DATABASE_URL=postgresql://…neon.tech/app npm run db:migrate`. Otherwise
 * both come from `.dev.vars`: the local cloud, which `npm run dev` (or `npm run local-cloud`)
 * must be running.
 */

import { neon } from '@neondatabase/serverless';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-http';
import { hashPassword } from '../../src/platform/crypto/password';
import { casbinRule, users } from '../../src/platform/db/schema';
import { loadDevVars } from '../dev-vars';
import { type DatabaseTarget, migrateDatabase } from './migrate';

async function target(): Promise<DatabaseTarget & { vars: Record<string, string | undefined> }> {
  if (process.env.DATABASE_URL) {
    return {
      databaseUrl: process.env.DATABASE_URL,
      fetchEndpoint: process.env.NEON_FETCH_ENDPOINT || undefined,
      vars: process.env,
    };
  }
  const { vars } = await loadDevVars();
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

const command = process.argv[2];
try {
  const database = await target();
  if (command === 'migrate') {
    console.log(`migrations: ${await migrateDatabase(database)} applied`);
  } else if (command === 'seed') {
    await migrateDatabase(database);
    console.log(await seed(database));
  } else {
    throw new Error(`unknown command ${command}: use migrate or seed`);
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
