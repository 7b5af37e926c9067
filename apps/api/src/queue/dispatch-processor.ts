import { type Job, UnrecoverableError } from 'bullmq';
import { end } from '../delivery/status.js';
import { type DispatchDeps, dispatchHanded, dispatchMany, dispatchNotification } from '../fanout/dispatcher.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { DispatchJobData } from './notifications.js';

const FAIL = end('failed', 'the notification failed');

/**
 * The `dispatch` job: a plain function of (job, deps) so tests can call it directly. When the
 * last attempt fails, the notification is marked failed with the reason — it never silently
 * disappears.
 */
export async function processDispatch(job: Job<DispatchJobData>, deps: DispatchDeps) {
  const ids = 'notificationIds' in job.data ? job.data.notificationIds : [job.data.notificationId];
  const batch = 'notificationIds' in job.data;
  // Not the first run (a failed attempt, or a worker that died holding it): rows may exist unsent.
  const retry = job.attemptsMade > 0 || job.attemptsStarted > 1 || job.stalledCounter > 0;
  try {
    if (batch) {
      // A batch job's id is its outbox row's (intake/enqueue.ts); its first run here may find its
      // batch handed over by this process's intake.
      const handed = job.id ? deps.handoff?.take(job.id) : undefined;
      if (handed && job.id && !retry) return await dispatchHanded(handed, ids, deps, job.id);
      return await dispatchMany(ids, deps, job.id ?? null);
    }
    // A notification that no longer exists went with its app (or its retention period): its job
    // ends with nothing to do, like a cancelled one's, not as a failure to look into.
    return await dispatchNotification(ids[0] as string, deps, { retry });
  } catch (error) {
    const attempts = job.opts.attempts ?? 1;
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= attempts;
    if (final) {
      const failed = await markFailed(deps.prisma, ids, (error as Error).message, batch).catch(() => 0);
      if (failed > 0) deps.onOutcome?.('failed', failed);
      if (batch) await deps.sql.query('DELETE FROM dispatch_outbox WHERE id = $1', [job.id]).catch(() => {});
    }
    throw error;
  }
}

/**
 * Marks a job's notifications failed with the reason (those not gone out, and for a batch job,
 * dispatched by their accept, the ones it did not emit), and their rows written at accept time
 * (or by a fan-out that got that far): were they left queued, catch-up on connect would hand the
 * failed notification out anyway. Returns how many notifications.
 */
export async function markFailed(prisma: PrismaClient, ids: string[], reason: string, batch: boolean): Promise<number> {
  const failed = await prisma.notification.updateMany({
    where: {
      id: { in: ids },
      status: { in: ['queued', 'scheduled', 'processing', ...(batch ? ['dispatched' as const] : [])] },
    },
    data: { status: 'failed', failureReason: String(reason).slice(0, 1000) },
  });
  if (failed.count > 0) {
    await prisma
      .$executeRawUnsafe(
        `UPDATE deliveries d SET ${FAIL.set}
          WHERE d.notification_id = ANY($1::uuid[]) AND ${FAIL.guard}
            AND d.notification_id IN (SELECT id FROM notifications WHERE id = ANY($1::uuid[]) AND status = 'failed')`,
        ids,
      )
      .catch(() => {});
  }
  return failed.count;
}
