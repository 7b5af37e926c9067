import { type Job, UnrecoverableError } from 'bullmq';
import { end } from '../delivery/status.js';
import { type DispatchDeps, dispatchMany, dispatchNotification } from '../fanout/dispatcher.js';
import type { DispatchJobData } from './notifications.js';

const FAIL = end('failed', 'the notification failed');

/**
 * The `dispatch` job: a plain function of (job, deps) so tests can call it directly. When the
 * last attempt fails, the notification is marked failed with the reason — it never silently
 * disappears.
 */
export async function processDispatch(job: Job<DispatchJobData>, deps: DispatchDeps) {
  const ids = 'notificationIds' in job.data ? job.data.notificationIds : [job.data.notificationId];
  try {
    if ('notificationIds' in job.data) return await dispatchMany(ids, deps);
    const notificationId = ids[0] as string;
    // Not the first run (a failed attempt, or a worker that died holding it): rows may exist unsent.
    const retry = job.attemptsMade > 0 || job.attemptsStarted > 1 || job.stalledCounter > 0;
    const result = await dispatchNotification(notificationId, deps, { retry });
    if (result.skipped === 'missing') {
      throw new UnrecoverableError(`notification ${notificationId} does not exist`);
    }
    return result;
  } catch (error) {
    const attempts = job.opts.attempts ?? 1;
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
    if (final) {
      const failed = await deps.prisma.notification
        .updateMany({
          where: { id: { in: ids }, status: { in: ['queued', 'scheduled', 'processing'] } },
          data: { status: 'failed', failureReason: String((error as Error).message).slice(0, 1000) },
        })
        .catch(() => ({ count: 0 }));
      if (failed.count > 0) {
        deps.onOutcome?.('failed', failed.count);
        // Its rows written at accept time (or by a fan-out that got that far) are never sent: were
        // they left queued, catch-up on connect would hand the failed notification out anyway.
        await deps.sql
          .query(
            `UPDATE deliveries d SET ${FAIL.set}
              WHERE d.notification_id = ANY($1::uuid[]) AND ${FAIL.guard}
                AND d.notification_id IN (SELECT id FROM notifications WHERE id = ANY($1::uuid[]) AND status = 'failed')`,
            [ids],
          )
          .catch(() => {});
      }
    }
    throw error;
  }
}
