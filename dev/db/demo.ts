import { and, eq, inArray, sql } from 'drizzle-orm';
import type { NeonHttpDatabase } from 'drizzle-orm/neon-http';
import { hashPassword } from '../../src/platform/crypto/password';
import { casbinRule, items, posts, users } from '../../src/platform/db/schema';

/** The password of every demo account, printed by `npm run db:seed -- --demo`. */
export const DEMO_PASSWORD = 'DemoPassw0rd!';

/**
 * The demo accounts, one per kind of account the API knows: superuser, and a user of each
 * seeded role (admin, editor, viewer), unverified, deactivated. Each owns a few items; the
 * admin and the editor each wrote a published post and a draft.
 */
interface DemoUser {
  email: string;
  firstName: string;
  lastName: string;
  isSuperuser?: boolean;
  isVerified?: boolean;
  isActive?: boolean;
  /** A role of the seeded RBAC roles, beside the default viewer. */
  role?: 'admin' | 'editor' | 'viewer';
}

const DEMO_USERS: readonly DemoUser[] = [
  { email: 'admin@demo.stratus.test', firstName: 'Ada', lastName: 'Admin', isSuperuser: true },
  { email: 'jane@demo.stratus.test', firstName: 'Jane', lastName: 'Doe', role: 'admin' },
  { email: 'john@demo.stratus.test', firstName: 'John', lastName: 'Roe', role: 'editor' },
  { email: 'vic@demo.stratus.test', firstName: 'Vic', lastName: 'Viewer', role: 'viewer' },
  { email: 'new@demo.stratus.test', firstName: 'Nia', lastName: 'New', isVerified: false },
  { email: 'gone@demo.stratus.test', firstName: 'Gus', lastName: 'Gone', isActive: false },
];

const DEMO_POSTS = [
  { title: 'Welcome to Stratus', content: 'Published: every reader sees it.', published: true },
  {
    title: 'Notes for later',
    content: 'A draft: its author and editors see it.',
    published: false,
  },
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
      DEMO_USERS.map(({ role: _role, ...user }) => ({
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
    const role = DEMO_USERS.find((user) => user.email === account.email.toLowerCase())?.role;
    const written = role && role !== 'viewer' ? await seedPosts(db, account.id) : 0;
    // The role table is unique per rule: a second run adds nothing. Every demo account also
    // holds the default role (viewer) that registration would have given it.
    await db
      .insert(casbinRule)
      .values(
        [...new Set(['viewer', ...(role ? [role] : [])])].map((name) => ({
          ptype: 'g',
          v0: `user:${account.id}`,
          v1: name,
        })),
      )
      .onConflictDoNothing();
    const kind = account.isSuperuser
      ? 'superuser'
      : !account.isActive
        ? 'deactivated'
        : account.isVerified
          ? 'user'
          : 'unverified';
    const label = role ? `${kind} (${role})` : kind;
    lines.push(
      `${account.email.padEnd(25)} ${label.padEnd(16)} ${missing.length} items, ${written} posts added`,
    );
  }
  return lines.sort();
}

/** The demo posts of `authorId` that are missing (matched by title); returns how many it added. */
async function seedPosts(db: NeonHttpDatabase, authorId: number): Promise<number> {
  const existing = await db
    .select({ title: posts.title })
    .from(posts)
    .where(
      and(
        eq(posts.authorId, authorId),
        inArray(
          posts.title,
          DEMO_POSTS.map((post) => post.title),
        ),
      ),
    );
  const have = new Set(existing.map((post) => post.title));
  const missing = DEMO_POSTS.filter((post) => !have.has(post.title));
  if (missing.length > 0) {
    await db.insert(posts).values(missing.map((post) => ({ ...post, authorId })));
  }
  return missing.length;
}
