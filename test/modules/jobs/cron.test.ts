import { createScheduledController, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../../src/index';
import { MODULES } from '../../../src/modules/index';
import { cronTable } from '../../../src/modules/jobs/jobs.cron';
import wranglerToml from '../../../wrangler.toml?raw';
import { deliverJobs } from '../../helpers/jobs';
import { localQStashMessages } from '../../helpers/qstash';
import { API } from '../../helpers/worker';

/** This file's public host: the jobs its crons enqueue are delivered there. */
const BASE = 'http://jobs-cron.localhost:8787';

/** Fires `cron` as Cloudflare would, at a time of its own so deduplication never mixes tests. */
async function fire(cron: string, scheduledTime = Date.now() + Math.floor(Math.random() * 1e9)) {
  const controller = createScheduledController({ cron, scheduledTime });
  await worker.scheduled(controller, { ...env, PUBLIC_BASE_URL: BASE });
  return scheduledTime;
}

async function queuedTasks(since: number) {
  const messages = await localQStashMessages(`${BASE}/`);
  return messages
    .filter((message) => message.createdAt >= since)
    .map((message) => ({ url: message.url, maxRetries: message.maxRetries }));
}

describe('scheduled()', () => {
  it('enqueues the token cleanup on the hourly cron, which then runs', async () => {
    const since = Date.now();
    await fire('0 * * * *');
    expect(await queuedTasks(since)).toEqual([
      { url: `${BASE}${API}/jobs/cleanup_expired_tokens`, maxRetries: 3 },
    ]);
    const delivered = await deliverJobs(BASE);
    expect(delivered.map((d) => [d.url, d.status])).toEqual([
      [`${BASE}${API}/jobs/cleanup_expired_tokens`, 200],
    ]);
  });

  it('enqueues the purges the manifests list for the daily cron, which then run', async () => {
    // From the manifests, so a module with a purge (npm run new:module) needs no edit here.
    const daily = cronTable(MODULES).get('30 3 * * *') ?? [];
    expect(daily).toEqual(
      expect.arrayContaining(['purge_soft_deleted', 'purge_deleted_items', 'purge_deleted_posts']),
    );
    const since = Date.now();
    await fire('30 3 * * *');
    expect(await queuedTasks(since)).toEqual(
      daily.map((task) => ({ url: `${BASE}${API}/jobs/${task}`, maxRetries: 3 })),
    );
    expect((await deliverJobs(BASE)).map((d) => d.status)).toEqual(daily.map(() => 200));
  });

  it('enqueues once when the same trigger fires twice', async () => {
    const since = Date.now();
    const scheduledTime = await fire('0 * * * *');
    await fire('0 * * * *', scheduledTime);
    expect(await queuedTasks(since)).toHaveLength(1);
    await deliverJobs(BASE);
  });

  it('fails loudly on a cron it has no tasks for', async () => {
    await expect(fire('*/5 * * * *')).rejects.toThrow(/No tasks for cron "\*\/5 \* \* \* \*"/);
  });

  it('has tasks for exactly the crons wrangler.toml declares', () => {
    const crons = /^crons\s*=\s*\[(.*)\]/m.exec(wranglerToml)?.[1] ?? '';
    const declared = [...crons.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.sort()).toEqual([...cronTable(MODULES).keys()].sort());
  });
});
