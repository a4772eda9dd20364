import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/modules/jobs/jobs.service';
import { posts } from '../../../src/platform/db/schema';
import { deliverJobs, settingsWith } from '../../helpers/jobs';
import { registerUser, testDb } from '../../helpers/users';

/** This file's public host: its jobs are delivered there. */
const BASE = 'http://posts-purge.localhost:8787';
const DAY = 24 * 60 * 60 * 1000;

describe('purge_deleted_posts (issue 11)', () => {
  it('hard-deletes posts soft-deleted longer ago than SOFT_DELETE_RETENTION_DAYS', async () => {
    const author = await registerUser();
    const deletedDaysAgo = (days: number | null) => ({
      title: `deleted ${days}`,
      content: 'x',
      authorId: author.id,
      deletedAt: days === null ? null : new Date(Date.now() - days * DAY),
    });
    const rows = await testDb()
      .insert(posts)
      .values([deletedDaysAgo(31), deletedDaysAgo(29), deletedDaysAgo(null)])
      .returning({ id: posts.id });

    await enqueue({ settings: settingsWith({ PUBLIC_BASE_URL: BASE }) }, 'purge_deleted_posts', {});
    expect((await deliverJobs(BASE)).map((delivery) => delivery.status)).toEqual([200]);

    const left = await testDb()
      .select({ title: posts.title })
      .from(posts)
      .where(
        inArray(
          posts.id,
          rows.map((row) => row.id),
        ),
      );
    expect(left.map((row) => row.title).sort()).toEqual(['deleted 29', 'deleted null']);
  });
});
