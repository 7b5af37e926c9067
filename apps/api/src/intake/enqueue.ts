import { type DispatchJobData, dispatchJobOptions, JobName, type NotificationsQueue } from '../queue/notifications.js';
import type { Prepared } from './prepare.js';

/**
 * One job per notification, except that immediate sends whose rows were written at accept time
 * share one `dispatch-batch` job per priority: the worker dispatches it with one statement.
 * Resolves false when Redis did not take the jobs in time (the producer's client gives up on a
 * command after HERALD_REDIS_TIMEOUT_MS, and at once while disconnected). The notifications are stored by then,
 * so they stay accepted: a retry with the same idempotency key may already have been told they
 * exist, and the housekeeping sweep queues them once Redis answers again (a job that reached
 * Redis after all is found by its id, or at worst dispatched twice, a copy clients drop by id).
 */
export async function enqueue(
  queue: NotificationsQueue,
  prepared: Prepared[],
  onDelayed: (error: unknown, count: number) => void,
): Promise<boolean> {
  if (prepared.length === 0) return true;
  const single = (p: Prepared) => ({
    name: JobName.Dispatch as JobName,
    data: { notificationId: p.row.id } as DispatchJobData,
    opts: dispatchJobOptions(p.row.id, p.delayMs, p.priority),
  });
  const jobs: Array<ReturnType<typeof single>> = [];
  const groups = new Map<Prepared['priority'], Prepared[]>();
  for (const p of prepared) {
    if (p.users.length > 0 && p.delayMs <= 0) groups.set(p.priority, [...(groups.get(p.priority) ?? []), p]);
    else jobs.push(single(p));
  }
  for (const [priority, group] of groups) {
    const [first] = group;
    if (!first) continue;
    // A job of one keeps the notification's own id (so the sweep and cancel find it).
    jobs.push({
      name: JobName.DispatchBatch,
      data: { notificationIds: group.map((p) => p.row.id) },
      opts: dispatchJobOptions(group.length === 1 ? first.row.id : `batch-${first.row.id}`, 0, priority),
    });
  }
  try {
    const [one] = jobs;
    await (one && jobs.length === 1 ? queue.add(one.name, one.data, one.opts) : queue.addBulk(jobs));
    return true;
  } catch (error) {
    onDelayed(error, prepared.length);
    return false;
  }
}
