import { type Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { channelDelivery, type Deliver, deliveriesChannel } from '../delivery/socket-channel.js';
import type { DispatchDeps } from '../fanout/dispatcher.js';
import type { DispatchHandoff } from '../fanout/handoff.js';
import type { Database } from '../platform/db/database.js';
import type { HeraldMetrics } from '../platform/metrics/metrics.js';
import { createRedis, type RedisEndpoint } from '../platform/redis/endpoint.js';
import { processDispatch } from './dispatch-processor.js';
import { type Housekeeping, startHousekeeping } from './maintenance.js';
import { createNotificationsQueue, type DispatchJobData, JobName, NOTIFICATIONS_QUEUE } from './notifications.js';
import {
  createPushQueue,
  PUSH_QUEUE,
  PushGate,
  PushJob,
  type PushJobData,
  type PushSettings,
  processPush,
  pushDeps,
  requeuePushes,
  schedulePushCheck,
} from './push-jobs.js';

export interface WorkerOptions {
  db: Database;
  redis: RedisEndpoint;
  queuePrefix: string;
  concurrency: number;
  freshnessMs: number;
  /** Lock duration of a job; after a crash, its job is picked up again once this runs out. */
  jobLockMs?: number;
  fanoutChunk?: number;
  /** How often the housekeeping sweep runs (default 30 s). */
  sweepIntervalMs?: number;
  /** How long a due notification may go without a job before the sweep queues it again (default 60 s). */
  requeueAfterMs?: number;
  /** Notifications that went out longer ago than this many days are deleted (default 90; 0 keeps them). */
  retentionDays?: number;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** The process's metrics (shared with the gateway in the `all` role). */
  metrics?: HeraldMetrics;
  /**
   * The gateway of this process (its `deliverLocally`), in the `all` role without a cluster: it
   * emits to its own sockets and records their acks. Without it, each dispatched batch is published
   * once on Redis for every gateway node (any clustered deployment, `all` nodes included).
   */
  localDelivery?: Deliver;
  /** Web Push: without it, no push is sent (tests of other things). */
  push?: PushSettings;
  /** The intake of this process (the `all` role) hands its batches over here (fanout/handoff.ts). */
  handoff?: DispatchHandoff;
}

export interface RunningWorker {
  worker: Worker<DispatchJobData | PushJobData>;
  housekeeping: Housekeeping;
  close(): Promise<void>;
}

/** How long closing a worker waits for the jobs in hand to finish. */
const CLOSE_GRACE_MS = 10_000;

/** Whether `work` settles (either way) within `ms`. */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = work.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts the queue worker. The only place a BullMQ Worker is constructed. */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  // Workers wait for Redis forever instead of failing jobs while it restarts.
  const connection = createRedis(opts.redis, { maxRetriesPerRequest: null, connectionName: 'herald:worker' });
  connection.on('error', (err) => opts.log.warn({ err }, 'worker redis connection error'));

  // Housekeeping's producer connection also publishes dispatched batches (channel delivery).
  const producer = createRedis(opts.redis, { maxRetriesPerRequest: null, connectionName: 'herald:worker:producer' });
  producer.on('error', () => {});
  const deliver = opts.localDelivery ?? channelDelivery(producer, deliveriesChannel(opts.queuePrefix));
  const deps: DispatchDeps = {
    prisma: opts.db.prisma,
    sql: opts.db.sql,
    deliver,
    freshnessMs: opts.freshnessMs,
    chunk: opts.fanoutChunk,
    onOutcome: (outcome, count) => opts.metrics?.[outcome].inc(count),
    handoff: opts.handoff,
  };
  const lockDuration = opts.jobLockMs ?? 30_000;
  // Housekeeping's queue handle also schedules push jobs.
  const notifications = createNotificationsQueue(producer, opts.queuePrefix);
  // Its connection's errors are the worker connection's too, which reports them.
  notifications.on('error', () => {});
  const push = opts.push;
  const gate = new PushGate(opts.db.sql);
  const pushQueue = createPushQueue(producer, opts.queuePrefix);
  pushQueue.on('error', () => {});
  const pushing = push
    ? pushDeps(opts.db.sql, pushQueue, push, opts.freshnessMs, (outcome) => opts.metrics?.pushAttempts.inc({ outcome }))
    : undefined;
  const workerOptions = {
    connection,
    prefix: opts.queuePrefix,
    concurrency: opts.concurrency,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
    // A crashed worker's job is retried; attempts (with backoff) bound the whole thing.
    maxStalledCount: 10,
  };
  const worker = new Worker<DispatchJobData | PushJobData>(
    NOTIFICATIONS_QUEUE,
    async (job) => {
      // Queued here by a worker of an earlier version.
      if (job.name === PushJob.Check || job.name === PushJob.Retry) {
        return pushing ? processPush(job as Job<PushJobData>, pushing) : 0;
      }
      if (job.name !== JobName.Dispatch && job.name !== JobName.DispatchBatch)
        throw new Error(`unknown job ${job.name}`);
      const result = await processDispatch(job as Job<DispatchJobData>, deps);
      if ('skipped' in result && result.skipped === 'missing') {
        // Gone with its app (or its retention period); said, in case it is something else (a
        // worker on another database than the API that queued it, two installations on one prefix).
        opts.log.warn({ jobId: job.id }, 'dispatch job: its notification no longer exists; nothing to do');
        return result;
      }
      if (push) {
        const data = job.data as DispatchJobData;
        const ids = 'notificationIds' in data ? data.notificationIds : [data.notificationId];
        // Best effort: a push that could not be scheduled must not send the dispatch again.
        await schedulePushCheck(pushQueue, gate, push, ids).catch((err: unknown) =>
          opts.log.warn({ err }, 'could not schedule the push check'),
        );
      }
      return result;
    },
    workerOptions,
  );
  // Web Push's own worker, on its own queue: pushes wait on push services (up to a post's deadline),
  // and never take a slot a dispatch needs.
  const pushWorker = pushing
    ? new Worker<PushJobData>(PUSH_QUEUE, (job) => processPush(job, pushing), workerOptions)
    : undefined;
  pushWorker?.on('failed', (job, err) =>
    opts.log.warn({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'push job failed'),
  );
  pushWorker?.on('error', (err) => opts.log.error({ err }, 'push worker error'));
  worker.on('failed', (job, err) =>
    opts.log.warn({ err, jobId: job?.id, attemptsMade: job?.attemptsMade }, 'dispatch job failed'),
  );
  worker.on('error', (err) => opts.log.error({ err }, 'worker error'));

  await Promise.all([worker.waitUntilReady(), pushWorker?.waitUntilReady()]);

  // Housekeeping: expiry, idempotency window, and re-enqueueing notifications whose job was lost
  // (all of them when Redis lost its data). On a timer in every worker, not scheduled in Redis.
  const housekeeping = startHousekeeping({
    prisma: opts.db.prisma,
    queue: notifications,
    redis: producer,
    queuePrefix: opts.queuePrefix,
    intervalMs: opts.sweepIntervalMs,
    requeueAfterMs: opts.requeueAfterMs,
    retentionDays: opts.retentionDays,
    log: opts.log,
    onSwept: (result) => {
      if (result.expired > 0) opts.metrics?.expired.inc(result.expired);
    },
    ...(push && {
      requeuePushes: () =>
        requeuePushes(opts.db.sql, pushQueue, {
          windowMs: push.windowMs,
          freshnessMs: opts.freshnessMs,
        }),
    }),
  });

  return {
    worker,
    housekeeping,
    async close() {
      await housekeeping.close();
      // Jobs in hand get to finish while Redis answers. Without Redis, BullMQ's close can wait for
      // a reconnect forever (seen when it is called while the connection is down): give up soon,
      // which is safe, since a job left behind is taken over once its lock runs out.
      const graceMs = connection.status === 'ready' ? CLOSE_GRACE_MS : 1000;
      if (!(await settlesWithin(Promise.all([worker.close(), pushWorker?.close()]), graceMs))) {
        opts.log.warn({ graceMs }, 'the queue worker did not stop in time (is Redis down?); stopping anyway');
        connection.disconnect();
        producer.disconnect();
        return;
      }
      await Promise.all([notifications.close(), pushQueue.close()]);
      await producer.quit().catch(() => producer.disconnect());
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
