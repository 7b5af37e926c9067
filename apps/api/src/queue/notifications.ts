import { type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** One job per accepted notification; the worker fans it out to every recipient. */
export const NOTIFICATIONS_QUEUE = 'notifications';

export const JobName = {
  Dispatch: 'dispatch',
  /** Immediate sends whose delivery rows were written (and which were dispatched) at accept time: emitted after one read. */
  DispatchBatch: 'dispatch-batch',
} as const;
export type JobName = (typeof JobName)[keyof typeof JobName];

/** Only ids travel: the notifications themselves live in PostgreSQL. */
export type DispatchJobData = { notificationId: string } | { notificationIds: string[] };

export type NotificationsQueue = Queue<DispatchJobData, void, JobName>;

export function createNotificationsQueue(connection: Redis, prefix: string): NotificationsQueue {
  return new Queue<DispatchJobData, void, JobName>(NOTIFICATIONS_QUEUE, { connection, prefix });
}

/**
 * BullMQ runs jobs without a priority before all prioritized ones, so `high` goes unprioritized
 * (straight to the head of the line, past any backlog) and the others queue behind it in order.
 */
const PRIORITY = { high: undefined, normal: 1, low: 2 } as const;

/** Deterministic job id (a retried enqueue is a no-op), retries with jittered backoff, bounded history. */
export function dispatchJobOptions(
  jobId: string,
  delayMs = 0,
  priority: keyof typeof PRIORITY = 'normal',
): JobsOptions {
  return {
    jobId,
    delay: delayMs > 0 ? delayMs : undefined,
    priority: PRIORITY[priority],
    attempts: 12,
    backoff: { type: 'exponential', delay: 500, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/**
 * Removes the dispatch jobs of notifications that no longer exist (an app's deleted with it), a
 * hundred at a time; a job that is running, or already gone, is left as it is. Stops at the first
 * chunk Redis did not answer in full. Resolves how many went. A job left behind ends with nothing
 * to do when it runs.
 */
export async function removeJobs(queue: NotificationsQueue, jobIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < jobIds.length; i += 100) {
    const results = await Promise.allSettled(jobIds.slice(i, i + 100).map((id) => queue.remove(id)));
    for (const r of results) if (r.status === 'fulfilled') removed += r.value;
    if (results.some((r) => r.status === 'rejected')) break;
  }
  return removed;
}
