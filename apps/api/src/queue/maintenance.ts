import { randomUUID } from 'node:crypto';
import type { Priority } from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { end } from '../delivery/status.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { IDEMPOTENCY_WINDOW_MS } from '../schemas/notifications.js';
import { markFailed } from './dispatch-processor.js';
import { dispatchJobOptions, JobName, type NotificationsQueue } from './notifications.js';
import { forgetOld, RETENTION_BUDGET_MS, RETENTION_DAYS } from './retention.js';

const EXPIRE = end('expired');

/** How often each worker runs the housekeeping sweep, unless configured (`HERALD_SWEEP_INTERVAL_MS`). */
export const SWEEP_EVERY_MS = 30_000;

/** How far back the sweep looks for notifications that expired with deliveries still pending. */
export const EXPIRY_LOOKBACK_MS = 24 * 3600 * 1000;
/**
 * A notification still queued this long after it was due has lost its job (Redis lost data, or did
 * not take the job when it was accepted): enqueue it again. Configurable: `HERALD_REQUEUE_AFTER_MS`.
 */
export const STUCK_AFTER_MS = 60_000;

/** Notifications re-enqueued per statement and Redis round trip when Redis lost its data. */
const RECOVERY_PAGE = 1000;

export interface SweepResult {
  expired: number;
  idempotencyKeysCleared: number;
  requeued: number;
}

/**
 * - marks deliveries whose notification's ttl ran out before delivery as expired;
 * - forgets idempotency keys older than the 24 h window;
 * - re-enqueues notifications whose job vanished (e.g. Redis did not take it, or restarted without
 *   its data): the job id is the notification id, so a job that still exists is left alone; and
 *   the outbox rows' jobs likewise (a process killed between its accept's commit and the queue
 *   call, or Redis not taking the job).
 */
export async function sweep(
  prisma: PrismaClient,
  queue: NotificationsQueue,
  options: { requeueAfterMs?: number } = {},
): Promise<SweepResult> {
  const stuckAfterS = (options.requeueAfterMs ?? STUCK_AFTER_MS) / 1000;
  // Only notifications that expired within the last day: each sweep would otherwise revisit every
  // notification that ever expired. (Catch-up and the inbox skip expired ones by their own test.)
  const expired = await prisma.$executeRawUnsafe(
    `UPDATE deliveries d SET ${EXPIRE.set}
       FROM notifications n
      WHERE n.id = d.notification_id AND ${EXPIRE.guard}
        AND n.expires_at <= now() AND n.expires_at > now() - make_interval(secs => $1)`,
    EXPIRY_LOOKBACK_MS / 1000,
  );
  const idempotencyKeysCleared = await prisma.$executeRaw`
    UPDATE notifications SET idempotency_key = NULL
     WHERE idempotency_key IS NOT NULL AND created_at < now() - make_interval(secs => ${IDEMPOTENCY_WINDOW_MS / 1000})`;
  const stuck = await prisma.$queryRaw<Array<{ id: string; priority: Priority }>>`
    SELECT id::text, priority::text AS priority FROM notifications
     WHERE (status IN ('queued', 'processing') AND created_at < now() - make_interval(secs => ${stuckAfterS}))
        OR (status = 'scheduled' AND send_at < now() - make_interval(secs => ${stuckAfterS}))
     ORDER BY created_at LIMIT 1000`;
  // An outbox row's job has the row's id: whether it still exists is known, backlog or not.
  let requeued = await requeueOutbox(prisma, queue, await outboxRows(prisma, stuckAfterS));
  // A backlog may still hold their jobs (a batch job has its own id): only an idle queue proves them lost.
  const backlog = await queue.getJobCounts('waiting', 'prioritized', 'active');
  if ((backlog.waiting ?? 0) + (backlog.prioritized ?? 0) + (backlog.active ?? 0) > 0) {
    return { expired, idempotencyKeysCleared, requeued };
  }
  // Which of their jobs still exist, asked all at once; the missing ones added in one call.
  const jobs = await Promise.all(stuck.map((n) => queue.getJob(n.id)));
  const lost = stuck.filter((_, i) => !jobs[i]);
  if (lost.length > 0) {
    await queue.addBulk(
      lost.map((n) => ({
        name: JobName.Dispatch,
        data: { notificationId: n.id },
        opts: dispatchJobOptions(n.id, 0, n.priority),
      })),
    );
  }
  requeued += lost.length;
  return { expired, idempotencyKeysCleared, requeued };
}

/**
 * After Redis lost its data every job is gone: gives every notification still waiting to go out
 * (queued, half fanned out, or scheduled) its job again, a scheduled one with the delay it has
 * left, so that nothing waits for the stuck-job timeout and nothing scheduled goes out late.
 * Job ids are the notification ids, so a job that did survive is left as it is; a notification
 * that was in a surviving batch job may be dispatched twice, which sends nobody anything twice
 * (dispatch only emits rows still unacknowledged, and clients drop copies by id). Returns how many.
 */
export async function requeueAll(prisma: PrismaClient, queue: NotificationsQueue): Promise<number> {
  let count = 0;
  // Every outbox row's job (its id is the row's: one that survived is left as it is).
  for (let after = { createdAt: '-infinity', id: '' }; ; ) {
    const rows = await outboxRows(prisma, 0, after);
    if (rows.length > 0) await queue.addBulk(rows.map(outboxJob));
    count += rows.reduce((a, r) => a + r.ids.length, 0);
    const last = rows.at(-1);
    if (!last || rows.length < RECOVERY_PAGE) break;
    after = { createdAt: last.created_at, id: last.id };
  }
  // Oldest first, a page at a time (keyset on the creation time, as text so that it round-trips exactly).
  let after = { createdAt: '-infinity', id: '00000000-0000-0000-0000-000000000000' };
  for (;;) {
    const page = await prisma.$queryRaw<
      Array<{ id: string; priority: Priority; send_ms: number | null; created_at: string }>
    >`
      SELECT id::text, priority::text AS priority, (extract(epoch FROM send_at) * 1000)::float8 AS send_ms,
             created_at::text AS created_at
        FROM notifications
       WHERE status IN ('queued', 'processing', 'scheduled')
         AND (created_at, id) > (${after.createdAt}::timestamp, ${after.id}::uuid)
       ORDER BY created_at, id LIMIT ${RECOVERY_PAGE}`;
    if (page.length === 0) return count;
    const now = Date.now();
    await queue.addBulk(
      page.map((n) => ({
        name: JobName.Dispatch,
        data: { notificationId: n.id },
        opts: dispatchJobOptions(n.id, n.send_ms === null ? 0 : n.send_ms - now, n.priority),
      })),
    );
    count += page.length;
    const last = page.at(-1);
    if (!last || page.length < RECOVERY_PAGE) return count;
    after = { createdAt: last.created_at, id: last.id };
  }
}

interface OutboxRow {
  id: string;
  ids: string[];
  priority: Priority;
  created_at: string;
}

/** An outbox row's job (`dispatch-batch`, the row's id as its id). */
const outboxJob = (row: OutboxRow) => ({
  name: JobName.DispatchBatch,
  data: { notificationIds: row.ids },
  opts: dispatchJobOptions(row.id, 0, row.priority),
});

/**
 * Outbox rows (sends dispatched by their accepting statement, not emitted yet), oldest first: those
 * older than `olderThanS`, after `after` (a keyset on the creation time, as text so that it
 * round-trips exactly, and the id).
 */
function outboxRows(
  prisma: PrismaClient,
  olderThanS: number,
  after = { createdAt: '-infinity', id: '' },
): Promise<OutboxRow[]> {
  return prisma.$queryRaw<OutboxRow[]>`
    SELECT id, notification_ids::text[] AS ids, priority::text AS priority, created_at::text AS created_at
      FROM dispatch_outbox
     WHERE created_at <= now() - make_interval(secs => ${olderThanS})
       AND (created_at, id) > (${after.createdAt}::timestamp, ${after.id})
     ORDER BY created_at, id LIMIT ${RECOVERY_PAGE}`;
}

/**
 * Gives outbox rows whose job is gone their job again. A row left empty by cancels goes, and so
 * does a row whose job finished (a job's read deletes its row, and a job that failed for good
 * deletes it too, but a worker of an earlier version, during a rolling deploy, leaves it); a job
 * that failed without its processor's last word (BullMQ gave up on it after it stalled too often)
 * has its notifications marked failed as that would have.
 */
async function requeueOutbox(prisma: PrismaClient, queue: NotificationsQueue, rows: OutboxRow[]): Promise<number> {
  // Their jobs, asked all at once.
  const jobs = await Promise.all(rows.map((row) => (row.ids.length === 0 ? undefined : queue.getJob(row.id))));
  const done: string[] = [];
  const lost: OutboxRow[] = [];
  for (const [i, row] of rows.entries()) {
    const existing = jobs[i];
    if (row.ids.length === 0 || existing?.finishedOn) {
      if (existing?.failedReason) await markFailed(prisma, row.ids, existing.failedReason, true);
      done.push(row.id);
    } else if (!existing) lost.push(row);
  }
  if (done.length > 0) await prisma.$executeRaw`DELETE FROM dispatch_outbox WHERE id = ANY(${done})`;
  if (lost.length > 0) await queue.addBulk(lost.map(outboxJob));
  return lost.reduce((n, row) => n + row.ids.length, 0);
}

export interface HousekeepingOptions {
  prisma: PrismaClient;
  queue: NotificationsQueue;
  /** A connection that waits for Redis rather than failing (`maxRetriesPerRequest: null`). */
  redis: Redis;
  queuePrefix: string;
  intervalMs?: number;
  requeueAfterMs?: number;
  /** Notifications that went out longer ago than this are deleted (`forgetOld`); 0 keeps them. */
  retentionDays?: number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Told what each sweep did (metrics: deliveries it expired). */
  onSwept?: (result: SweepResult) => void;
  /** After Redis lost its data, also re-queues Web Push's jobs (a worker that sends pushes). */
  requeuePushes?: () => Promise<number>;
}

export interface Housekeeping {
  /** Runs one round now (unless one is running); resolves when it is done. */
  tick(): Promise<void>;
  /** Stops the timer and waits (a little) for a round in progress. */
  close(): Promise<void>;
}

/**
 * The housekeeping sweep (and the retention period's deletes), run by every worker on a timer of
 * its own, so that nothing about it lives only in Redis: a Redis that comes back empty cannot
 * take the schedule with it. A lock key in Redis lets one worker of a deployment sweep per
 * interval; a marker key that Redis loses with the rest of its data tells the first worker to
 * sweep after such a loss to give every waiting notification its job again (`requeueAll`). A
 * round also runs at start and whenever the connection comes back.
 */
export function startHousekeeping(opts: HousekeepingOptions): Housekeeping {
  const intervalMs = opts.intervalMs ?? SWEEP_EVERY_MS;
  const lockKey = `${opts.queuePrefix}:housekeeping:lock`;
  const markerKey = `${opts.queuePrefix}:housekeeping:marker`;
  const node = randomUUID();
  let running: Promise<void> | undefined;
  let closed = false;
  /** The stream notifications the last round deleted: this round deletes receipts written since (`forgetOld`). */
  let streamed: string[] = [];

  const round = async () => {
    // Held for most of an interval: one sweep per interval across the deployment's workers.
    const lockMs = Math.max(500, intervalMs - 500);
    if ((await opts.redis.set(lockKey, node, 'PX', lockMs, 'NX')) !== 'OK') return;
    if (!(await opts.redis.exists(markerKey))) {
      const requeued = await requeueAll(opts.prisma, opts.queue);
      const pushJobs = (await opts.requeuePushes?.()) ?? 0;
      // Set only once everything is queued again: a round that fails half-way is repeated.
      await opts.redis.set(markerKey, new Date().toISOString());
      if (requeued || pushJobs)
        opts.log.warn(
          { requeued, pushJobs },
          'Redis had lost its data: re-enqueued every notification waiting to go out, and the pushes of those that may still pop up',
        );
    }
    const result = await sweep(opts.prisma, opts.queue, { requeueAfterMs: opts.requeueAfterMs });
    opts.onSwept?.(result);
    if (result.requeued) opts.log.warn(result, 're-enqueued notifications whose job was lost');
    const retentionDays = opts.retentionDays ?? RETENTION_DAYS;
    // Well inside the lock, so that no other worker starts a round meanwhile.
    const budgetMs = Math.min(RETENTION_BUDGET_MS, lockMs / 4);
    const forgotten = await forgetOld(opts.prisma, retentionDays, { budgetMs, after: streamed });
    streamed = forgotten.streamed;
    if (forgotten.deleted) {
      opts.log.info(
        { forgotten: forgotten.deleted, retentionDays },
        'deleted notifications older than the retention period',
      );
    }
  };

  const tick = () => {
    if (closed) return Promise.resolve();
    running ??= round()
      .catch((err) => {
        // A round cut short by shutdown is no failure worth reporting.
        if (!closed) opts.log.error({ err }, 'housekeeping sweep failed');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), intervalMs);
  // Back from an outage (perhaps a Redis that restarted empty): look at once, not an interval later.
  const onReady = () => void tick();
  opts.redis.on('ready', onReady);
  void tick();

  return {
    tick,
    async close() {
      closed = true;
      clearInterval(timer);
      opts.redis.off('ready', onReady);
      // Not forever: with Redis away, a round waits for it.
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (wait = setTimeout(resolve, 2000)))]);
      clearTimeout(wait);
    },
  };
}
