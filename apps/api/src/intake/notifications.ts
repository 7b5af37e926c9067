import { createHash, randomUUID } from 'node:crypto';
import type { AdminAccepted } from '@herald/protocol';
import stableStringify from 'safe-stable-stringify';
import type { Sql } from '../db/database.js';
import { end } from '../delivery/status.js';
import { fansOutAtAccept } from '../fanout/rule.js';
import { type DeliveryStatus, Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { Errors } from '../lib/errors.js';
import type { AcceptSource } from '../lib/metrics.js';
import { isUuid } from '../lib/text.js';
import { type UrlPolicy, urlProblem } from '../lib/urls.js';
import { type DispatchJobData, dispatchJobOptions, JobName, type NotificationsQueue } from '../queue/notifications.js';
import {
  DELIVERY_STATUSES,
  IDEMPOTENCY_WINDOW_MS,
  type ItemError,
  type SendNotificationBody,
  type Target,
} from '../schemas/notifications.js';

const CANCEL = end('cancelled');

export const MAX_DATA_BYTES = 4096;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

export type NotificationStatus =
  | 'queued'
  | 'scheduled'
  | 'processing'
  | 'dispatched'
  | 'cancelled'
  | 'failed'
  | 'expired';

export interface Accepted {
  id: string;
  status: NotificationStatus;
  recipients: number;
  /** True when an earlier request with the same idempotency key created it. */
  replayed: boolean;
  /**
   * Stored, but Redis did not take its job in time: it is accepted all the same (PostgreSQL is the
   * source of truth) and the housekeeping sweep queues it once Redis answers.
   */
  queueDelayed?: true;
}

type TargetKind = 'userId' | 'userIds' | 'topic' | 'broadcast';

/** A notification just stored and queued (not a replay), for the dashboard and the metrics. */
export interface AcceptedEvent {
  item: AdminAccepted;
  source: AcceptSource;
  priority: 'low' | 'normal' | 'high';
}

/** Checks that `to` names exactly one kind of target and returns which. */
export function targetKind(to: Target): TargetKind {
  const kinds = (['userId', 'userIds', 'topic', 'broadcast'] as const).filter((k) => to[k] !== undefined);
  if (kinds.length !== 1) {
    throw new Errors.TargetInvalid(
      kinds.length === 0
        ? '"to" must name a target: { userId }, { userIds: [...] }, { topic } or { broadcast: true }.'
        : `"to" must name exactly one target, but it has ${kinds.join(' and ')}.`,
    );
  }
  return kinds[0] as TargetKind;
}

/** A request checked and turned into the row to store. */
interface Prepared {
  row: Prisma.NotificationCreateManyInput & { id: string; status: 'queued' | 'scheduled' };
  kind: TargetKind;
  delayMs: number;
  priority: 'low' | 'normal' | 'high';
  /** Which front door it came through (metrics). */
  source: AcceptSource;
  /** Users whose delivery rows are written with the notification itself (see `fansOutAtAccept`). */
  users: string[];
}

/** Single sends stored by one statement at most (a larger group is split). */
const MAX_GROUP = 250;
/** Group commits in flight at once before new single sends wait to join the next group. */
const MAX_FLUSHING = 2;

/** A single send waiting for its group commit, and how to tell it the outcome. */
interface Waiting {
  p: Prepared;
  done: (committed: Committed) => void;
  fail: (e: unknown) => void;
}

/** A group commit's outcome for one send: stored (or lost its idempotency key to a concurrent one), and queued or not. */
interface Committed {
  inserted: boolean;
  queueDelayed: boolean;
}

/** Accepts notifications (store, then enqueue) and reports on them. */
export class NotificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
    private readonly queue: NotificationsQueue,
    /**
     * Whether the producer's Redis connection is up; when it is not, sends fail fast with 503 and
     * nothing is stored.
     */
    private readonly queueReady: () => boolean = () => true,
    /** How long a stored notification's job may take to reach Redis before the 202 goes without it. */
    private readonly enqueueTimeoutMs = 2000,
    /** Told about every notification accepted (not replayed): dashboard counters and live log. */
    private readonly onAccepted: (accepted: AcceptedEvent[]) => void = () => {},
    /** Told when stored notifications could not be queued in time (they are accepted; the sweep queues them). */
    private readonly onQueueDelayed: (error: unknown, count: number) => void = () => {},
    /** Where an app's notification URLs may point (its click-URL restriction). */
    private readonly urlPolicy: (appId: string) => Promise<UrlPolicy> = async () => ({ clickOrigins: null }),
  ) {}

  private announce(prepared: Prepared[]): void {
    const createdAt = new Date().toISOString();
    this.onAccepted(
      prepared.map((p) => ({
        item: {
          id: p.row.id,
          appId: p.row.appId,
          title: p.row.title,
          status: p.row.status,
          recipients: p.row.recipientCount ?? 0,
          createdAt,
        },
        source: p.source,
        priority: p.priority,
      })),
    );
  }

  /** Validates one request beyond its schema and builds its row. Throws a coded 4xx error. */
  private prepare(
    appId: string,
    input: SendNotificationBody,
    headerKey: string | undefined,
    now: number,
    policy: UrlPolicy | undefined,
    source: AcceptSource,
  ): Prepared {
    const kind = targetKind(input.to);
    for (const field of ['url', 'icon', 'image'] as const) {
      const value = input[field];
      const problem = value === undefined ? null : urlProblem(field, value, policy);
      if (problem) throw new Errors.UrlInvalid(problem);
    }
    if (kind === 'topic') {
      throw new Errors.TargetUnsupported('Sending to a topic is not supported yet; use userId, userIds or broadcast.');
    }
    const dataBytes = input.data === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.data));
    if (dataBytes > MAX_DATA_BYTES) throw new Errors.DataTooLarge(dataBytes, MAX_DATA_BYTES);

    let sendAt: Date | null = null;
    if (input.sendAt !== undefined) {
      sendAt = new Date(input.sendAt);
      if (Number.isNaN(sendAt.getTime())) throw new Errors.SendAtInvalid('"sendAt" is not a valid ISO 8601 time.');
      if (sendAt.getTime() - now > MAX_SCHEDULE_AHEAD_MS) {
        throw new Errors.SendAtInvalid('"sendAt" may be at most one year ahead.');
      }
      if (sendAt.getTime() <= now) sendAt = null;
    }
    const startsAt = sendAt?.getTime() ?? now;
    const idempotencyKey = input.idempotencyKey ?? headerKey ?? null;
    const { idempotencyKey: _key, ...request } = input;
    const priority = input.priority ?? 'normal';
    const recipients = kind === 'userId' ? 1 : kind === 'userIds' ? (input.to.userIds?.length ?? 0) : 0;
    const users = fansOutAtAccept(input.to, sendAt) ? (input.to.userIds ?? [input.to.userId as string]) : [];
    return {
      kind,
      delayMs: startsAt - now,
      priority,
      source,
      users,
      row: {
        id: randomUUID(),
        appId,
        target: input.to as Prisma.InputJsonValue,
        title: input.title,
        body: input.body ?? null,
        icon: input.icon ?? null,
        image: input.image ?? null,
        url: input.url ?? null,
        tag: input.tag ?? null,
        data: input.data === undefined ? Prisma.DbNull : (input.data as Prisma.InputJsonValue),
        priority,
        ttlSeconds: input.ttlSeconds ?? null,
        expiresAt: input.ttlSeconds ? new Date(startsAt + input.ttlSeconds * 1000) : null,
        sendAt,
        idempotencyKey,
        requestHash: idempotencyKey
          ? createHash('sha256')
              .update(stableStringify(request) ?? '')
              .digest('hex')
          : null,
        status: sendAt ? 'scheduled' : 'queued',
        recipientCount: recipients,
      },
    };
  }

  /**
   * The original for a reused idempotency key: the same request within 24 h gets it back; a
   * different request with the key is refused; after 24 h the key is free again.
   */
  private async original(p: Prepared): Promise<Accepted | null> {
    const { appId, idempotencyKey, requestHash } = p.row;
    if (!idempotencyKey) return null;
    const found = await this.prisma.notification.findUnique({
      where: { appId_idempotencyKey: { appId, idempotencyKey } },
      select: { id: true, status: true, recipientCount: true, requestHash: true, createdAt: true },
    });
    if (!found) return null;
    if (Date.now() - found.createdAt.getTime() > IDEMPOTENCY_WINDOW_MS) {
      await this.prisma.notification.updateMany({ where: { id: found.id }, data: { idempotencyKey: null } });
      return null;
    }
    if (found.requestHash && found.requestHash !== requestHash) {
      throw new Errors.IdempotencyMismatch(idempotencyKey);
    }
    return { id: found.id, status: found.status, recipients: found.recipientCount, replayed: true };
  }

  private async broadcastCount(appId: string): Promise<number> {
    return this.prisma.subscriber.count({ where: { appId } });
  }

  async send(
    appId: string,
    input: SendNotificationBody,
    headerKey?: string,
    source: AcceptSource = 'api',
  ): Promise<Accepted> {
    const policy = input.url === undefined ? undefined : await this.urlPolicy(appId);
    const p = this.prepare(appId, input, headerKey, Date.now(), policy, source);
    const replay = await this.original(p);
    if (replay) return replay;
    if (!this.queueReady()) throw new Errors.QueueUnavailable();
    if (p.kind === 'broadcast') p.row.recipientCount = await this.broadcastCount(appId);
    const stored = await this.commit(p);
    if (!stored.inserted) {
      // Two concurrent requests with one key: the loser returns the winner's notification.
      const winner = await this.original(p);
      if (winner) return winner;
      throw new Errors.IdempotencyMismatch(p.row.idempotencyKey ?? '');
    }
    return {
      id: p.row.id,
      status: p.row.status,
      recipients: p.row.recipientCount ?? 0,
      replayed: false,
      ...(stored.queueDelayed ? { queueDelayed: true as const } : {}),
    };
  }

  private waiting = new Map<string, Waiting[]>();
  private flushScheduled = false;
  /** Group commits on their way to PostgreSQL and Redis right now. */
  private flushing = 0;

  /**
   * Group commit: single sends are stored with one statement and queued with one Redis call (as
   * one batch job) per group. A group goes out at the end of the event-loop turn its first request
   * arrived in — unless `MAX_FLUSHING` groups are already on their way, in which case requests
   * gather until one of those returns. Nothing waits for a timer, so a lone request is not
   * delayed; under load, groups grow by themselves, and the database and Redis see a fraction of
   * the requests.
   */
  private commit(p: Prepared): Promise<Committed> {
    return new Promise((done, fail) => {
      const list = this.waiting.get(p.row.appId) ?? [];
      list.push({ p, done, fail });
      this.waiting.set(p.row.appId, list);
      if (list.length >= MAX_GROUP) {
        this.waiting.delete(p.row.appId);
        this.startFlush(list);
      } else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing >= MAX_FLUSHING) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const groups = [...this.waiting.values()];
      this.waiting.clear();
      for (const group of groups) this.startFlush(group);
    });
  }

  private startFlush(group: Parameters<NotificationService['flushGroup']>[0]): void {
    this.flushing++;
    void this.flushGroup(group).finally(() => {
      this.flushing--;
      if (this.waiting.size > 0) this.scheduleFlush();
    });
  }

  private async flushGroup(group: Waiting[]): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = await this.persist(group.map((g) => g.p));
    } catch (error) {
      // One request's problem must not fail the others that happened to share its statement.
      if (group.length > 1) {
        await Promise.all(group.map((g) => this.flushGroup([g])));
        return;
      }
      group[0]?.fail(error);
      return;
    }
    const stored = group.filter((g) => inserted.has(g.p.row.id)).map((g) => g.p);
    const queueDelayed = !(await this.enqueue(stored));
    this.announce(stored);
    for (const g of group) g.done({ inserted: inserted.has(g.p.row.id), queueDelayed });
  }

  /**
   * Many notifications in one request: one INSERT and one Redis round trip for all of them. Each
   * item gets its own result: accepted (or replayed), or the error that refused it.
   */
  async sendMany(
    appId: string,
    inputs: Array<SendNotificationBody | { error: ItemError }>,
  ): Promise<Array<Accepted | { error: ItemError }>> {
    const now = Date.now();
    const results: Array<Accepted | { error: ItemError } | undefined> = [];
    const fresh: Array<{ index: number; p: Prepared }> = [];
    const keys = new Set<string>();
    const policy = inputs.some((i) => 'url' in i && i.url !== undefined) ? await this.urlPolicy(appId) : undefined;
    for (const [index, input] of inputs.entries()) {
      // Refused already (it did not match the schema): its result is that error.
      if ('error' in input) {
        results[index] = input;
        continue;
      }
      try {
        const p = this.prepare(appId, input, undefined, now, policy, 'batch');
        const replay = await this.original(p);
        if (replay) {
          results[index] = replay;
          continue;
        }
        if (p.row.idempotencyKey) {
          if (keys.has(p.row.idempotencyKey)) throw new Errors.IdempotencyMismatch(p.row.idempotencyKey);
          keys.add(p.row.idempotencyKey);
        }
        fresh.push({ index, p });
      } catch (error) {
        const e = error as { statusCode?: number; code?: string; message: string };
        if (!e.statusCode || e.statusCode >= 500) throw error;
        results[index] = {
          error: { statusCode: e.statusCode, code: e.code ?? 'HERALD_ERR_BAD_REQUEST', message: e.message },
        };
      }
    }
    if (fresh.length > 0) {
      if (!this.queueReady()) throw new Errors.QueueUnavailable();
      if (fresh.some((f) => f.p.kind === 'broadcast')) {
        const count = await this.broadcastCount(appId);
        for (const f of fresh) if (f.p.kind === 'broadcast') f.p.row.recipientCount = count;
      }
      const inserted = await this.persist(fresh.map((f) => f.p));
      const stored = fresh.filter((f) => inserted.has(f.p.row.id)).map((f) => f.p);
      const queueDelayed = !(await this.enqueue(stored));
      this.announce(stored);
      for (const { index, p } of fresh) {
        if (inserted.has(p.row.id)) {
          results[index] = {
            id: p.row.id,
            status: p.row.status,
            recipients: p.row.recipientCount ?? 0,
            replayed: false,
            ...(queueDelayed ? { queueDelayed: true as const } : {}),
          };
        } else {
          // Lost a race for its idempotency key to a concurrent request.
          results[index] = (await this.original(p)) ?? {
            error: { statusCode: 409, code: 'HERALD_ERR_IDEMPOTENCY_CONFLICT', message: 'Retry this item.' },
          };
        }
      }
    }
    return results as Array<Accepted | { error: ItemError }>;
  }

  /**
   * Stores notifications — and, for small immediate sends, their delivery rows with each user's
   * next sequence numbers, in request order — in one statement, so one round trip whatever the
   * batch size. A notification whose idempotency key is taken meanwhile is skipped; returns the
   * ids actually inserted.
   */
  private async persist(prepared: Prepared[]): Promise<Set<string>> {
    // Row locks are taken in one order everywhere, but a deadlock can still come from elsewhere
    // (an operator's query): retry the statement, which is all-or-nothing, a couple of times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.persistOnce(prepared);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw error;
      }
    }
  }

  private async persistOnce(prepared: Prepared[]): Promise<Set<string>> {
    const rows = prepared.map(({ row }) => ({
      id: row.id,
      app_id: row.appId,
      target: row.target,
      title: row.title,
      body: row.body,
      icon: row.icon,
      image: row.image,
      url: row.url,
      tag: row.tag,
      data: row.data === Prisma.DbNull ? null : row.data,
      priority: row.priority,
      ttl_seconds: row.ttlSeconds,
      expires_at: row.expiresAt,
      send_at: row.sendAt,
      idempotency_key: row.idempotencyKey,
      request_hash: row.requestHash,
      status: row.status,
      recipient_count: row.recipientCount,
      failure_reason: null,
      created_at: new Date(),
      dispatched_at: null,
      cancelled_at: null,
    }));
    const pairs = { ids: [] as string[], users: [] as string[], order: [] as number[] };
    prepared.forEach((p, i) => {
      for (const user of p.users) {
        pairs.ids.push(p.row.id);
        pairs.users.push(user);
        pairs.order.push(i);
      }
    });
    const appId = prepared[0]?.row.appId ?? '';
    const inserted = await this.sql.query<{ id: string }>(
      `
      WITH input AS (
        SELECT * FROM json_populate_recordset(NULL::notifications, $1::json)
      ), ins AS (
        INSERT INTO notifications SELECT * FROM input
        ON CONFLICT (app_id, idempotency_key) DO NOTHING
        RETURNING id
      ), pairs AS (
        SELECT p.notification_id, p.external_id, p.ord
          FROM unnest($2::uuid[], $3::text[], $4::int[]) AS p(notification_id, external_id, ord)
          JOIN ins ON ins.id = p.notification_id
      ), counts AS (
        SELECT external_id, count(*)::int AS k FROM pairs GROUP BY external_id ORDER BY external_id
      ), bumped AS (
        -- One row per user, locked in a stable order: concurrent accepts cannot deadlock.
        INSERT INTO subscribers (id, app_id, external_id, last_seq)
        SELECT gen_random_uuid()::text, $5, external_id, k FROM counts
        ON CONFLICT (app_id, external_id) DO UPDATE SET last_seq = subscribers.last_seq + EXCLUDED.last_seq
        RETURNING id, external_id, last_seq
      ), numbered AS (
        SELECT p.notification_id, b.id AS subscriber_id,
               b.last_seq - c.k + row_number() OVER (PARTITION BY p.external_id ORDER BY p.ord) AS seq
          FROM pairs p JOIN bumped b USING (external_id) JOIN counts c USING (external_id)
      ), delivered AS (
        INSERT INTO deliveries (notification_id, subscriber_id, seq, status)
        SELECT notification_id, subscriber_id, seq, 'queued' FROM numbered
      )
      SELECT id::text FROM ins`,
      [JSON.stringify(rows), pairs.ids, pairs.users, pairs.order, appId],
    );
    return new Set(inserted.map((r) => r.id));
  }

  /**
   * One job per notification, except that immediate sends whose rows were written at accept time
   * share one `dispatch-batch` job per priority: the worker dispatches it with one statement.
   * Resolves false when Redis did not take the jobs in time. The notifications are stored by then,
   * so they stay accepted: a retry with the same idempotency key may already have been told they
   * exist, and the housekeeping sweep queues them once Redis answers again (a job that reached
   * Redis after all is found by its id, or at worst dispatched twice, a copy clients drop by id).
   */
  private async enqueue(prepared: Prepared[]): Promise<boolean> {
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
      await withTimeout<unknown>(
        one && jobs.length === 1 ? this.queue.add(one.name, one.data, one.opts) : this.queue.addBulk(jobs),
        this.enqueueTimeoutMs,
      );
      return true;
    } catch (error) {
      this.onQueueDelayed(error, prepared.length);
      return false;
    }
  }

  /**
   * Cancels what has not been delivered yet: a scheduled or queued notification entirely (and its
   * job), and, once it went out, every delivery no device of its user has acknowledged — so
   * catch-up never sends them. Returns the notification with `cancelled`, how many recipients this
   * call stopped. Cancelling twice is not an error (the second stops nobody); a notification with
   * nothing left to stop (every recipient has it, or it expired) is a 409.
   */
  async cancel(appId: string, id: string) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const cancelled = await this.prisma.$transaction(async (tx) => {
      // Locked: a fan-out writing delivery rows right now finishes first (and its rows are
      // cancelled below), or waits and then sees the notification cancelled and writes none.
      const [n] = await tx.$queryRaw<Array<{ status: NotificationStatus; recipients: number }>>`
        SELECT status::text AS status, recipient_count AS recipients FROM notifications
         WHERE id = ${id}::uuid AND app_id = ${appId} FOR UPDATE`;
      if (!n) throw new Errors.NotificationNotFound(id);
      if (n.status === 'cancelled') return 0;
      if (n.status === 'expired') throw new Errors.NotCancellable(id, 'it expired before it could be delivered');
      const [{ existing = 0 } = {}] = await tx.$queryRaw<Array<{ existing: number }>>`
        SELECT count(*)::int AS existing FROM deliveries WHERE notification_id = ${id}::uuid`;
      const rows = await tx.$executeRawUnsafe(
        `UPDATE deliveries d SET ${CANCEL.set} WHERE d.notification_id = $1::uuid AND ${CANCEL.guard}`,
        id,
      );
      const notSentYet = n.status === 'queued' || n.status === 'scheduled' || n.status === 'processing';
      if (!notSentYet && rows === 0) {
        throw new Errors.NotCancellable(
          id,
          n.status === 'failed'
            ? 'it failed, and none of its deliveries is left waiting'
            : 'every recipient already received it, so nothing is left to cancel',
        );
      }
      await tx.$executeRaw`
        UPDATE notifications SET status = 'cancelled', cancelled_at = now() WHERE id = ${id}::uuid`;
      // Before (or during) its fan-out, recipients without a row yet are stopped too.
      return notSentYet ? rows + Math.max(0, n.recipients - existing) : rows;
    });
    // The job may be running right now; the worker re-checks the status before sending anything.
    await this.queue.remove(id).catch(() => 0);
    return { ...(await this.get(appId, id)), cancelled };
  }

  async get(appId: string, id: string) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const n = await this.prisma.notification.findFirst({ where: { id, appId } });
    if (!n) throw new Errors.NotificationNotFound(id);
    const groups = await this.prisma.delivery.groupBy({
      by: ['status'],
      where: { notificationId: id },
      _count: { _all: true },
    });
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const g of groups) counts[g.status] = g._count._all;
    return {
      id: n.id,
      status: n.status,
      to: n.target,
      title: n.title,
      body: n.body,
      icon: n.icon,
      image: n.image,
      url: n.url,
      tag: n.tag,
      data: n.data,
      priority: n.priority,
      ttlSeconds: n.ttlSeconds,
      expiresAt: n.expiresAt?.toISOString() ?? null,
      sendAt: n.sendAt?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
      dispatchedAt: n.dispatchedAt?.toISOString() ?? null,
      cancelledAt: n.cancelledAt?.toISOString() ?? null,
      failureReason: n.failureReason,
      recipients: n.recipientCount,
      counts,
    };
  }

  /** Per-recipient state and timeline, ordered by user id, with a cursor. */
  async recipients(appId: string, id: string, options: { cursor?: string; limit: number; status?: string }) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const exists = await this.prisma.notification.count({ where: { id, appId } });
    if (!exists) throw new Errors.NotificationNotFound(id);
    const rows = await this.prisma.delivery.findMany({
      where: {
        notificationId: id,
        ...(options.status ? { status: options.status as DeliveryStatus } : {}),
        ...(options.cursor ? { subscriber: { externalId: { gt: options.cursor } } } : {}),
      },
      include: { subscriber: { select: { externalId: true } } },
      orderBy: { subscriber: { externalId: 'asc' } },
      take: options.limit + 1,
    });
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const page = rows.slice(0, options.limit);
    return {
      items: page.map((r) => ({
        userId: r.subscriber.externalId,
        seq: r.seq,
        status: r.status,
        reason: r.reason,
        queuedAt: r.createdAt.toISOString(),
        sentAt: iso(r.sentAt),
        deliveredAt: iso(r.deliveredAt),
        displayedAt: iso(r.displayedAt),
        clickedAt: iso(r.clickedAt),
        readAt: iso(r.readAt),
        expiredAt: iso(r.expiredAt),
        failedAt: iso(r.failedAt),
      })),
      nextCursor: rows.length > options.limit ? (page.at(-1)?.subscriber.externalId ?? null) : null,
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`enqueue took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
