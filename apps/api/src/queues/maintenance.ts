import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PrismaClient } from '../generated/prisma/client.js';
import { dispatchJobOptions, JobName, type NotificationsQueue } from './notifications.js';

/** Periodic housekeeping, run by whichever worker picks the job up. */
export const MAINTENANCE_QUEUE = 'maintenance';
export const SWEEP_JOB = 'sweep';
export const SWEEP_EVERY_MS = 30_000;

/** Idempotency keys are honoured for this long. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** How far back the sweep looks for notifications that expired with deliveries still pending. */
export const EXPIRY_LOOKBACK_MS = 24 * 3600 * 1000;
/** A notification still queued this long after it was due has lost its job (Redis lost data): enqueue it again. */
export const STUCK_AFTER_MS = 60_000;

export function createMaintenanceQueue(connection: Redis, prefix: string): Queue {
  return new Queue(MAINTENANCE_QUEUE, { connection, prefix });
}

/** Registers the repeating sweep once per deployment (idempotent across workers). */
export async function scheduleSweep(queue: Queue, everyMs = SWEEP_EVERY_MS): Promise<void> {
  await queue.upsertJobScheduler(
    SWEEP_JOB,
    { every: everyMs },
    { name: SWEEP_JOB, opts: { removeOnComplete: 100, removeOnFail: 100 } },
  );
}

export interface SweepResult {
  expired: number;
  idempotencyKeysCleared: number;
  requeued: number;
}

/**
 * - marks deliveries whose notification's ttl ran out before delivery as expired;
 * - forgets idempotency keys older than the 24 h window;
 * - re-enqueues notifications whose job vanished (e.g. Redis restarted without its data): the
 *   job id is the notification id, so a job that still exists is left alone.
 */
export async function sweep(prisma: PrismaClient, queue: NotificationsQueue): Promise<SweepResult> {
  // Only notifications that expired within the last day: each sweep would otherwise revisit every
  // notification that ever expired. (Catch-up and the inbox skip expired ones by their own test.)
  const expired = await prisma.$executeRaw`
    UPDATE deliveries d SET status = 'expired', expired_at = now()
      FROM notifications n
     WHERE n.id = d.notification_id AND d.status IN ('queued', 'sent')
       AND n.expires_at <= now() AND n.expires_at > now() - make_interval(secs => ${EXPIRY_LOOKBACK_MS / 1000})`;
  const idempotencyKeysCleared = await prisma.$executeRaw`
    UPDATE notifications SET idempotency_key = NULL
     WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(secs => ${IDEMPOTENCY_WINDOW_MS / 1000})`;
  const stuck = await prisma.$queryRaw<Array<{ id: string; priority: 'low' | 'normal' | 'high' }>>`
    SELECT id::text, priority::text AS priority FROM notifications
     WHERE (status IN ('queued', 'processing') AND created_at < now() - make_interval(secs => ${STUCK_AFTER_MS / 1000}))
        OR (status = 'scheduled' AND send_at < now() - make_interval(secs => ${STUCK_AFTER_MS / 1000}))
     ORDER BY created_at LIMIT 1000`;
  let requeued = 0;
  // A backlog may still hold their jobs (a batch job has its own id): only an idle queue proves them lost.
  const backlog = await queue.getJobCounts('waiting', 'prioritized', 'active');
  if ((backlog.waiting ?? 0) + (backlog.prioritized ?? 0) + (backlog.active ?? 0) > 0) {
    return { expired, idempotencyKeysCleared, requeued };
  }
  for (const n of stuck) {
    const existing = await queue.getJob(n.id);
    if (existing) continue;
    await queue.add(JobName.Dispatch, { notificationId: n.id }, dispatchJobOptions(n.id, 0, n.priority));
    requeued++;
  }
  return { expired, idempotencyKeysCleared, requeued };
}
