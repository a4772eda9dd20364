import { and, eq, inArray, sql } from 'drizzle-orm';
import type { NeonHttpDatabase } from 'drizzle-orm/neon-http';
import { hashPassword } from '../../src/platform/crypto/password';
import { items, users } from '../../src/platform/db/schema';

/** The password of every demo account, printed by `npm run db:seed -- --demo`. */
export const DEMO_PASSWORD = 'DemoPassw0rd!';

/**
 * The demo accounts, one per kind of account the API knows: superuser, verified user,
 * unverified user, deactivated user. Each owns a few items.
 */
const DEMO_USERS = [
  { email: 'admin@demo.stratus.test', firstName: 'Ada', lastName: 'Admin', isSuperuser: true },
  { email: 'jane@demo.stratus.test', firstName: 'Jane', lastName: 'Doe' },
  { email: 'john@demo.stratus.test', firstName: 'John', lastName: 'Roe' },
  { email: 'new@demo.stratus.test', firstName: 'Nia', lastName: 'New', isVerified: false },
  { email: 'gone@demo.stratus.test', firstName: 'Gus', lastName: 'Gone', isActive: false },
] as const;

const DEMO_ITEMS = [
  { title: 'Read the README', description: 'Quick start, then the local cloud console.' },
  { title: 'Try the API docs', description: 'Authorize with a demo account at /api/v1/docs.' },
  { title: 'Write a module', description: null },
] as const;

/**
 * Creates the demo accounts and their items. Idempotent: accounts are matched by e-mail and
 * items by owner and title, so a second run adds nothing and changes nothing.
 *
 * @returns one line per account, for the command's output.
 */
export async function seedDemo(db: NeonHttpDatabase): Promise<string[]> {
  const hashedPassword = await hashPassword(DEMO_PASSWORD);
  await db
    .insert(users)
    .values(
      DEMO_USERS.map((user) => ({
        isSuperuser: false,
        isVerified: true,
        isActive: true,
        ...user,
        hashedPassword,
      })),
    )
    .onConflictDoNothing();
  const accounts = await db
    .select({
      id: users.id,
      email: users.email,
      isSuperuser: users.isSuperuser,
      isVerified: users.isVerified,
      isActive: users.isActive,
    })
    .from(users)
    .where(
      inArray(
        sql`lower(${users.email})`,
        DEMO_USERS.map((user) => user.email),
      ),
    );
  const lines: string[] = [];
  for (const account of accounts) {
    const existing = await db
      .select({ title: items.title })
      .from(items)
      .where(
        and(
          eq(items.ownerId, account.id),
          inArray(
            items.title,
            DEMO_ITEMS.map((item) => item.title),
          ),
        ),
      );
    const have = new Set(existing.map((item) => item.title));
    const missing = DEMO_ITEMS.filter((item) => !have.has(item.title));
    if (missing.length > 0) {
      await db.insert(items).values(missing.map((item) => ({ ...item, ownerId: account.id })));
    }
    const kind = account.isSuperuser
      ? 'superuser'
      : !account.isActive
        ? 'deactivated'
        : account.isVerified
          ? 'user'
          : 'unverified';
    lines.push(`${account.email.padEnd(25)} ${kind.padEnd(11)} ${missing.length} items added`);
  }
  return lines.sort();
}
