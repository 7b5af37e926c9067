import { type DispatchJobData, dispatchJobOptions, JobName, type NotificationsQueue } from '../queue/notifications.js';
import type { Prepared } from './prepare.js';

/** One `dispatch-batch` job of sends dispatched by their accepting statement, and its outbox row. */
export interface DispatchGroup {
  /** The job's id and its outbox row's: the notification's own id for a group of one (cancel finds it). */
  id: string;
  priority: Prepared['priority'];
  notificationIds: string[];
}

/**
 * The immediate sends whose rows are written at accept time (stored `dispatched`) share one job per
 * priority: the same groups for the accepting statement, which writes each one's outbox row, and
 * for `enqueue`, whatever of them the statement skipped (a taken idempotency key: the job then
 * finds nothing of it).
 */
export function dispatchGroups(prepared: Prepared[]): DispatchGroup[] {
  const groups = new Map<Prepared['priority'], string[]>();
  for (const p of prepared) {
    if (p.row.status !== 'dispatched') continue;
    const ids = groups.get(p.priority);
    if (ids) ids.push(p.row.id);
    else groups.set(p.priority, [p.row.id]);
  }
  return [...groups].map(([priority, ids]) => ({
    id: ids.length === 1 ? (ids[0] as string) : `batch-${ids[0]}`,
    priority,
    notificationIds: ids,
  }));
}

/**
 * One job per notification, except for the groups of `dispatchGroups` (one `dispatch-batch` job
 * each, which only reads and emits). Resolves false when Redis did not take the jobs in time (the
 * producer's client gives up on a command after HERALD_REDIS_TIMEOUT_MS, and at once while
 * disconnected). The notifications are stored by then, so they stay accepted: a retry with the
 * same idempotency key may already have been told they exist, and the housekeeping sweep queues
 * them once Redis answers again (a job that reached Redis after all is found by its id, or at
 * worst dispatched twice, a copy clients drop by id).
 */
export async function enqueue(
  queue: NotificationsQueue,
  prepared: Prepared[],
  inserted: Set<string>,
  onDelayed: (error: unknown, count: number) => void,
): Promise<boolean> {
  const jobs = prepared
    .filter((p) => inserted.has(p.row.id) && p.row.status !== 'dispatched')
    .map((p) => ({
      name: JobName.Dispatch as JobName,
      data: { notificationId: p.row.id } as DispatchJobData,
      opts: dispatchJobOptions(p.row.id, p.delayMs, p.priority),
    }));
  for (const group of dispatchGroups(prepared)) {
    if (!group.notificationIds.some((id) => inserted.has(id))) continue;
    jobs.push({
      name: JobName.DispatchBatch,
      data: { notificationIds: group.notificationIds },
      opts: dispatchJobOptions(group.id, 0, group.priority),
    });
  }
  if (jobs.length === 0) return true;
  try {
    const [one] = jobs;
    await (one && jobs.length === 1 ? queue.add(one.name, one.data, one.opts) : queue.addBulk(jobs));
    return true;
  } catch (error) {
    onDelayed(error, inserted.size);
    return false;
  }
}
