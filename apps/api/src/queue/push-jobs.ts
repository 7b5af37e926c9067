import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EndpointPolicy } from '../delivery/push/endpoint.js';
import type { PushDeps } from '../delivery/push/post.js';
import { pushNotifications, retryPushes } from '../delivery/push/pusher.js';
import type { Sql } from '../platform/db/database.js';

/**
 * Web Push's jobs have a queue of their own, with a worker of their own: a push service that is
 * slow (or an endpoint made to be slow) can delay pushes, never the dispatch of notifications to
 * sockets (docs/web-push.md "Sending").
 */
export const PUSH_QUEUE = 'push';

export function createPushQueue(connection: Redis, prefix: string): Queue<PushJobData> {
  return new Queue<PushJobData>(PUSH_QUEUE, { connection, prefix });
}

/** Web Push's jobs (in PUSH_QUEUE; a worker of an earlier version queued them with the notifications). */
export const PushJob = {
  /** After the socket window: post to the browsers that did not acknowledge. */
  Check: 'push-check',
  /** A later attempt for browsers whose push service asked to wait. */
  Retry: 'push-retry',
} as const;

export type PushJobData = { notificationIds: string[] } | { notificationId: string; subscriptionIds: string[] };

export interface PushSettings {
  windowMs: number;
  policy: EndpointPolicy;
  subject: string;
  /** Where service workers post receipts (`<public URL>/push/receipts`). */
  receiptsUrl: string;
}

/**
 * Whether any browser of this installation has an active push subscription: an installation
 * without push pays no job per dispatch, only this tiny read a few times a second. A "no" is
 * trusted for `noMs` (a first subscription is seen that soon), a "yes" for `yesMs` (a wrong yes
 * costs one job that finds nobody).
 */
export class PushGate {
  private known: { any: boolean; at: number } | undefined;
  private reading: Promise<boolean> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly noMs = 250,
    private readonly yesMs = 10_000,
  ) {}

  async any(): Promise<boolean> {
    if (this.known && Date.now() - this.known.at < (this.known.any ? this.yesMs : this.noMs)) return this.known.any;
    this.reading ??= this.sql
      .query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM push_subscriptions WHERE status = 'active') AS any`)
      .then(([row]) => {
        this.known = { any: row?.any === true, at: Date.now() };
        return this.known.any;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}

const KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
const CHECK_OPTIONS = { attempts: 5, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 }, ...KEEP };
const RETRY_OPTIONS = { attempts: 3, ...KEEP };
/** Notifications one recovered `push-check` job names. */
const RECOVERY_CHUNK = 100;

/** Schedules the push check of dispatched notifications, after the socket window. */
export async function schedulePushCheck(
  queue: Queue,
  gate: PushGate,
  settings: PushSettings,
  notificationIds: string[],
): Promise<void> {
  if (notificationIds.length === 0 || !(await gate.any())) return;
  await queue.add(PushJob.Check, { notificationIds } satisfies PushJobData, {
    delay: settings.windowMs,
    ...CHECK_OPTIONS,
  });
}

/**
 * After Redis lost its data, Web Push's jobs went with it: checks again each notification that
 * could still pop up (dispatched within the freshness window, not expired, in an app with a
 * subscribed browser), after the socket window, and tries again each browser that was waiting
 * for a retry. Both are safe to repeat: a browser is claimed before it is posted to (a check
 * posts only to browsers with no row yet, or whose claim was orphaned), and a retry takes only
 * rows still pending. Returns how many jobs were queued.
 */
export async function requeuePushes(
  sql: Sql,
  queue: Queue,
  settings: { windowMs: number; freshnessMs: number },
): Promise<number> {
  const freshS = settings.freshnessMs / 1000;
  const [checks, retries] = await Promise.all([
    sql.query<{ id: string }>(
      `SELECT n.id::text AS id FROM notifications n
        WHERE n.status = 'dispatched' AND n.created_at > now() - make_interval(secs => $1)
          AND (n.expires_at IS NULL OR n.expires_at > now())
          AND EXISTS (SELECT 1 FROM push_subscriptions ps WHERE ps.app_id = n.app_id AND ps.status = 'active')
        ORDER BY n.created_at`,
      [freshS],
    ),
    sql.query<{ id: string; subscriptions: string[] }>(
      `SELECT pd.notification_id::text AS id, array_agg(pd.subscription_id) AS subscriptions
         FROM push_deliveries pd JOIN notifications n ON n.id = pd.notification_id
        WHERE pd.status = 'pending' AND pd.attempts <> '[]'::jsonb
          AND n.created_at > now() - make_interval(secs => $1)
        GROUP BY pd.notification_id`,
      [freshS],
    ),
  ]);
  const jobs = [
    ...Array.from({ length: Math.ceil(checks.length / RECOVERY_CHUNK) }, (_, i) => ({
      name: PushJob.Check,
      data: { notificationIds: checks.slice(i * RECOVERY_CHUNK, (i + 1) * RECOVERY_CHUNK).map((c) => c.id) },
      opts: { delay: settings.windowMs, ...CHECK_OPTIONS },
    })),
    ...retries.map((r) => ({
      name: PushJob.Retry,
      data: { notificationId: r.id, subscriptionIds: r.subscriptions },
      opts: RETRY_OPTIONS,
    })),
  ];
  if (jobs.length > 0) await queue.addBulk(jobs);
  return jobs.length;
}

/** The worker's dependencies for push jobs. */
export function pushDeps(
  sql: Sql,
  queue: Queue,
  settings: PushSettings,
  freshnessMs: number,
  onAttempt?: (o: string) => void,
): PushDeps {
  return {
    sql,
    policy: settings.policy,
    subject: settings.subject,
    receiptsUrl: settings.receiptsUrl,
    freshnessMs,
    onAttempt,
    async retryLater(notificationId, subscriptionIds, delayMs) {
      await queue.add(PushJob.Retry, { notificationId, subscriptionIds } satisfies PushJobData, {
        delay: delayMs,
        ...RETRY_OPTIONS,
      });
    },
    async continueWith(notificationIds, delayMs) {
      await queue.add(PushJob.Check, { notificationIds } satisfies PushJobData, {
        ...CHECK_OPTIONS,
        ...(delayMs ? { delay: delayMs } : {}),
      });
    },
  };
}

export function processPush(job: Job<PushJobData>, deps: PushDeps): Promise<number> {
  const data = job.data;
  if ('notificationIds' in data) return pushNotifications(data.notificationIds, deps);
  return retryPushes(data.notificationId, data.subscriptionIds, deps);
}
