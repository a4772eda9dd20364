import { Cron } from 'croner';
import type { Broker } from './broker';
import { newId } from './broker';
import { PublishError } from './publish-request';
import type { MessageDraft } from './types';
import { bodyFields, headerView } from './views';

/** What `POST /v2/schedules/{destination}` asks for, once its headers are read. */
export interface ScheduleInput {
  /** `Upstash-Schedule-Id`: creates or replaces the schedule with this id. */
  scheduleId?: string;
  /** Five-field cron, optionally prefixed with `CRON_TZ=<IANA zone> `. */
  cron: string;
  /** The message each firing publishes (its `notBefore` is ignored). */
  template: MessageDraft;
  delayMs: number;
}

interface ScheduleRecord extends ScheduleInput {
  scheduleId: string;
  createdAt: number;
  isPaused: boolean;
  job: Cron;
  lastScheduleTime?: number;
}

export type Scheduler = ReturnType<typeof createScheduler>;

/**
 * QStash schedules: each one a `croner` job that publishes its template message through the
 * broker when its cron fires. `trigger` fires one now, so tests need not wait for the clock.
 */
export function createScheduler(broker: Broker) {
  const schedules = new Map<string, ScheduleRecord>();

  function fire(scheduleId: string): string | undefined {
    const schedule = schedules.get(scheduleId);
    if (!schedule) return undefined;
    schedule.lastScheduleTime = Date.now();
    const draft = { ...schedule.template, scheduleId, notBefore: Date.now() + schedule.delayMs };
    return broker.publish(draft).messageId;
  }

  return {
    create(input: ScheduleInput): string {
      const scheduleId = input.scheduleId ?? newId('scd');
      const { pattern, timezone } = parseCron(input.cron);
      let job: Cron;
      try {
        job = new Cron(pattern, { timezone, unref: true }, () => void fire(scheduleId));
      } catch (error) {
        throw new PublishError(`invalid cron: ${input.cron} (${(error as Error).message})`);
      }
      schedules.get(scheduleId)?.job.stop();
      schedules.set(scheduleId, {
        ...input,
        // Deduplication applies when the schedule is created, never to its firings.
        template: {
          ...input.template,
          deduplicationId: undefined,
          contentBasedDeduplication: false,
        },
        scheduleId,
        createdAt: Date.now(),
        isPaused: false,
        job,
      });
      return scheduleId;
    },
    get(scheduleId: string): ScheduleRecord | undefined {
      return schedules.get(scheduleId);
    },
    list(): ScheduleRecord[] {
      return [...schedules.values()];
    },
    remove(scheduleId: string): boolean {
      schedules.get(scheduleId)?.job.stop();
      return schedules.delete(scheduleId);
    },
    setPaused(scheduleId: string, paused: boolean): boolean {
      const schedule = schedules.get(scheduleId);
      if (!schedule) return false;
      schedule.isPaused = paused;
      if (paused) schedule.job.pause();
      else schedule.job.resume();
      return true;
    },
    /** Fires a schedule now, as if its cron had matched; returns the new message id. */
    trigger: fire,
    close(): void {
      for (const schedule of schedules.values()) schedule.job.stop();
      schedules.clear();
    },
  };
}

/** A schedule as `GET /v2/schedules[/{id}]` returns it. */
export function scheduleView(schedule: ScheduleRecord) {
  const { template } = schedule;
  return {
    scheduleId: schedule.scheduleId,
    cron: schedule.cron,
    createdAt: schedule.createdAt,
    destination: template.url,
    method: template.method,
    header: headerView(template.headers),
    ...bodyFields(template.body),
    retries: template.maxRetries,
    delay: Math.round(schedule.delayMs / 1000),
    callback: template.callback,
    failureCallback: template.failureCallback,
    queueName: template.queueName,
    label: template.label,
    isPaused: schedule.isPaused,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.isPaused ? undefined : schedule.job.nextRun()?.getTime(),
    callerIP: '127.0.0.1',
  };
}

function parseCron(cron: string): { pattern: string; timezone?: string } {
  const match = /^CRON_TZ=(\S+)\s+(.*)$/.exec(cron.trim());
  const pattern = (match?.[2] ?? cron).trim();
  if (pattern.split(/\s+/).length !== 5) {
    throw new PublishError(`invalid cron: ${cron} (QStash expects five fields)`);
  }
  return { pattern, timezone: match?.[1] };
}
