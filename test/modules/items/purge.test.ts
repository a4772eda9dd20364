import { inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { enqueue } from '../../../src/modules/jobs/jobs.service';
import { items } from '../../../src/platform/db/schema';
import { itemOwner } from '../../helpers/items';
import { deliverJobs, settingsWith } from '../../helpers/jobs';
import { testDb } from '../../helpers/users';

/** This file's public host: its jobs are delivered there. */
const BASE = 'http://items-purge.localhost:8787';
const DAY = 24 * 60 * 60 * 1000;

describe('purge_deleted_items', () => {
  it('hard-deletes items soft-deleted longer ago than SOFT_DELETE_RETENTION_DAYS', async () => {
    const owner = await itemOwner();
    const deletedDaysAgo = (days: number | null) => ({
      title: `deleted ${days}`,
      ownerId: owner.id,
      deletedAt: days === null ? null : new Date(Date.now() - days * DAY),
    });
    const rows = await testDb()
      .insert(items)
      .values([deletedDaysAgo(31), deletedDaysAgo(29), deletedDaysAgo(null)])
      .returning({ id: items.id, title: items.title });

    await enqueue({ settings: settingsWith({ PUBLIC_BASE_URL: BASE }) }, 'purge_deleted_items', {});
    expect((await deliverJobs(BASE)).map((delivery) => delivery.status)).toEqual([200]);

    const left = await testDb()
      .select({ title: items.title })
      .from(items)
      .where(
        inArray(
          items.id,
          rows.map((row) => row.id),
        ),
      );
    expect(left.map((row) => row.title).sort()).toEqual(['deleted 29', 'deleted null']);
  });
});
