import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enqueue, type TaskName } from '../../../src/modules/jobs/jobs.service';
import { oneTimeTokens, sessions, users } from '../../../src/platform/db/schema';
import { deliverJobs, settingsWith } from '../../helpers/jobs';
import { testDb, uniqueEmail } from '../../helpers/users';

/** This file's public host: its jobs are delivered there. */
const BASE = 'http://jobs-housekeeping.localhost:8787';

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);
const inDays = (days: number) => new Date(Date.now() + days * DAY);

async function createUser(deletedAt: Date | null = null) {
  const [user] = await testDb()
    .insert(users)
    .values({ email: uniqueEmail('housekeeping'), deletedAt })
    .returning({ id: users.id });
  if (!user) throw new Error('no user inserted');
  return user.id;
}

/** Runs a housekeeping task the way cron does: through QStash to the Worker. */
async function run(task: Extract<TaskName, 'cleanup_expired_tokens' | 'purge_soft_deleted'>) {
  await enqueue({ settings: settingsWith({ PUBLIC_BASE_URL: BASE }) }, task, {});
  const delivered = await deliverJobs(BASE);
  expect(delivered.map((d) => d.status)).toEqual([200]);
}

describe('cleanup_expired_tokens', () => {
  it('deletes one-time tokens expired or used past retention, and keeps the rest', async () => {
    const userId = await createUser();
    const token = (label: string, expiresAt: Date, usedAt: Date | null = null) => ({
      userId,
      purpose: 'verify_email' as const,
      tokenHash: `${label}-${crypto.randomUUID()}`,
      email: 'someone@example.com',
      expiresAt,
      usedAt,
    });
    const rows = await testDb()
      .insert(oneTimeTokens)
      .values([
        token('expired-long-ago', daysAgo(8)),
        token('used-long-ago', inDays(1), daysAgo(8)),
        token('expired-recently', daysAgo(1)),
        token('used-recently', inDays(1), daysAgo(1)),
        token('valid', inDays(1)),
      ])
      .returning({ id: oneTimeTokens.id, tokenHash: oneTimeTokens.tokenHash });

    await run('cleanup_expired_tokens');

    const left = await testDb()
      .select({ tokenHash: oneTimeTokens.tokenHash })
      .from(oneTimeTokens)
      .where(
        inArray(
          oneTimeTokens.id,
          rows.map((row) => row.id),
        ),
      );
    expect(left.map((row) => row.tokenHash.replace(/-[0-9a-f-]{36}$/, '')).sort()).toEqual([
      'expired-recently',
      'used-recently',
      'valid',
    ]);
  });

  it('deletes old sessions but keeps a revoked one while its family is alive (reuse detection)', async () => {
    const userId = await createUser();
    const alive = crypto.randomUUID();
    const dead = crypto.randomUUID();
    const session = (label: string, familyId: string, expiresAt: Date, revokedAt: Date | null) => ({
      userId,
      familyId,
      tokenHash: `${label}-${crypto.randomUUID()}`,
      expiresAt,
      revokedAt,
    });
    const rows = await testDb()
      .insert(sessions)
      .values([
        session('expired-long-ago', crypto.randomUUID(), daysAgo(8), null),
        session('rotated-in-live-family', alive, inDays(20), daysAgo(8)),
        session('live', alive, inDays(20), null),
        session('revoked-in-dead-family', dead, inDays(20), daysAgo(8)),
        session('revoked-recently', crypto.randomUUID(), inDays(20), daysAgo(1)),
      ])
      .returning({ id: sessions.id });

    await run('cleanup_expired_tokens');

    const left = await testDb()
      .select({ tokenHash: sessions.tokenHash })
      .from(sessions)
      .where(
        inArray(
          sessions.id,
          rows.map((row) => row.id),
        ),
      );
    expect(left.map((row) => row.tokenHash.replace(/-[0-9a-f-]{36}$/, '')).sort()).toEqual([
      'live',
      'revoked-recently',
      'rotated-in-live-family',
    ]);
  });
});

describe('purge_soft_deleted', () => {
  it('hard-deletes users soft-deleted longer ago than the retention, with their rows', async () => {
    const old = await createUser(daysAgo(31));
    const recent = await createUser(daysAgo(29));
    const active = await createUser();
    await testDb()
      .insert(sessions)
      .values({
        userId: old,
        familyId: crypto.randomUUID(),
        tokenHash: `purged-${crypto.randomUUID()}`,
        expiresAt: inDays(1),
      });

    await run('purge_soft_deleted');

    const left = await testDb()
      .select({ id: users.id })
      .from(users)
      .where(inArray(users.id, [old, recent, active]));
    expect(left.map((row) => row.id).sort()).toEqual([recent, active].sort());
    expect(await testDb().select().from(sessions).where(eq(sessions.userId, old))).toEqual([]);
  });
});
