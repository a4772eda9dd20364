/**
 * Preparing a real PostgreSQL and Redis for the local cloud to serve (`npm run test:services`,
 * `npm run bench -- --postgres … --redis-url …`): both are emptied first, so point them at
 * throwaway ones.
 */
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * As the superuser of `adminUrl`: creates the role of `ownerUrl` (login, not superuser) if
 * missing, empties the database and gives that role its `public` schema.
 *
 * @returns `adminUrl` with the owner's credentials: what the endpoint connects with.
 */
export async function prepareOwnerRole(adminUrl: string, ownerUrl: string): Promise<string> {
  const owner = new URL(ownerUrl);
  const role = decodeURIComponent(owner.username);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const ident = (name: string) => admin.escapeIdentifier(name);
    const [{ database }] = (await admin.query('SELECT current_database() AS database')).rows;
    try {
      await admin.query(
        `CREATE ROLE ${ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${admin.escapeLiteral(decodeURIComponent(owner.password))}`,
      );
    } catch (error) {
      // Roles belong to the whole server: another run may have created it meanwhile.
      if (
        !(
          error instanceof Error &&
          'code' in error &&
          ['42710', '23505'].includes(String(error.code))
        )
      )
        throw error;
    }
    await admin.query('DROP SCHEMA IF EXISTS drizzle CASCADE');
    await admin.query('DROP SCHEMA IF EXISTS public CASCADE');
    await admin.query(`CREATE SCHEMA public AUTHORIZATION ${ident(role)}`);
    await admin.query(`GRANT CONNECT, CREATE ON DATABASE ${ident(database)} TO ${ident(role)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = owner.username;
  url.password = owner.password;
  return url.href;
}

/** `FLUSHDB` on the database the URL names (its path, `/15`), leaving the others alone. */
export async function emptyRedisDatabase(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
