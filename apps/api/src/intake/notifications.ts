// Past 300 lines: the service's two front doors (single sends gathered into group commits, and
// batches) share its replay, store and queue steps, which split files would pass around.
import type { AdminAccepted, NotificationStatus, Priority } from '@herald/protocol';
import type { DispatchHandoff } from '../fanout/handoff.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Sql } from '../platform/db/database.js';
import { Errors } from '../platform/lib/errors.js';
import type { UrlPolicy } from '../platform/lib/urls.js';
import type { AcceptSource } from '../platform/metrics/metrics.js';
import type { NotificationsQueue } from '../queue/notifications.js';
import { awaitingEmit } from '../queue/outbox.js';
import { IDEMPOTENCY_WINDOW_MS, type ItemError, type SendNotificationBody } from '../schemas/notifications.js';
import { enqueue } from './enqueue.js';
import { answeredStatus, type Prepared, prepare } from './prepare.js';
import { store } from './store.js';
import { refuseMissingTopics } from './streams.js';

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

/** A notification just stored and queued (not a replay), for the dashboard and the metrics. */
export interface AcceptedEvent {
  item: AdminAccepted;
  source: AcceptSource;
  priority: Priority;
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
    /** Told about every notification accepted (not replayed): dashboard counters and live log. */
    private readonly onAccepted: (accepted: AcceptedEvent[]) => void = () => {},
    /** Told when stored notifications could not be queued in time (they are accepted; the sweep queues them). */
    private readonly onQueueDelayed: (error: unknown, count: number) => void = () => {},
    /** Where an app's notification URLs may point (its click-URL restriction), and its categories. */
    private readonly urlPolicy: (appId: string) => Promise<UrlPolicy> = async () => ({ clickOrigins: null }),
    /** This process's worker, when it has one: what its jobs will emit is handed to it (fanout/handoff.ts). */
    private readonly handoff?: DispatchHandoff,
  ) {}

  private announce(prepared: Prepared[]): void {
    const createdAt = new Date().toISOString();
    this.onAccepted(
      prepared.map((p) => ({
        item: {
          id: p.row.id,
          appId: p.row.appId,
          title: p.row.title,
          status: answeredStatus(p),
          recipients: p.row.recipientCount ?? 0,
          createdAt,
        },
        source: p.source,
        priority: p.priority,
      })),
    );
  }

  /**
   * The original for a reused idempotency key: the same request within 24 h gets it back; a
   * different request with the key is refused; after 24 h the key is free again.
   */
  private async original(p: Prepared): Promise<Accepted | null> {
    const { appId, idempotencyKey, requestHash } = p.row;
    if (!idempotencyKey) return null;
    // At most one: (app_id, idempotency_key) is unique among keyed notifications (a partial index).
    const found = await this.prisma.notification.findFirst({
      where: { appId, idempotencyKey },
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
    // As the first answer had it while its job has not emitted it (the notification log's rule).
    const status =
      found.status === 'dispatched' && (await awaitingEmit(this.prisma, found.id)) ? 'queued' : found.status;
    return { id: found.id, status, recipients: found.recipientCount, replayed: true };
  }

  /** A 404 for a topic send to a topic that does not exist (its recipients are counted as it is stored). */
  private async checkTopics(p: Prepared): Promise<void> {
    if (p.streams.length > 0) await refuseMissingTopics(this.sql, p.row.appId, p.streams);
  }

  /**
   * The original of a send that repeats an idempotency key within its 24 h, storing nothing; null
   * for a send without a key, a new key, or a body that would be refused. (For a send over its
   * key's budget: a replay costs none.)
   */
  async replayOf(appId: string, input: SendNotificationBody, headerKey?: string): Promise<Accepted | null> {
    if (!headerKey && !input.idempotencyKey) return null;
    try {
      return await this.original(await this.prepared(appId, input, headerKey, 'api'));
    } catch {
      return null;
    }
  }

  /** A send checked and made ready to store (the app's URL policy read only when the send needs it). */
  private async prepared(
    appId: string,
    input: SendNotificationBody,
    headerKey: string | undefined,
    source: AcceptSource,
  ) {
    const policy = input.url === undefined && input.category === undefined ? undefined : await this.urlPolicy(appId);
    return prepare(appId, input, headerKey, Date.now(), policy, source);
  }

  async send(
    appId: string,
    input: SendNotificationBody,
    headerKey?: string,
    source: AcceptSource = 'api',
  ): Promise<Accepted> {
    const p = await this.prepared(appId, input, headerKey, source);
    const replay = await this.original(p);
    if (replay) return replay;
    if (!this.queueReady()) throw new Errors.QueueUnavailable();
    await this.checkTopics(p);
    const stored = await this.commit(p);
    if (!stored.inserted) {
      // Two concurrent requests with one key: the loser returns the winner's notification.
      const winner = await this.original(p);
      if (winner) return winner;
      throw new Errors.IdempotencyMismatch(p.row.idempotencyKey ?? '');
    }
    return {
      id: p.row.id,
      status: answeredStatus(p),
      recipients: p.row.recipientCount ?? 0,
      replayed: false,
      ...(stored.queueDelayed ? { queueDelayed: true as const } : {}),
    };
  }

  /** The store statement this process has in PostgreSQL, if any: the next one waits for it. */
  private storing: Promise<unknown> = Promise.resolve();

  /**
   * One storing statement at a time per process. Concurrent ones bump the same users' sequences,
   * so they wait on each other's row locks anyway, and their contention for the same few pages cost
   * PostgreSQL CPU: in a burst of 500-notification batches, about a tenth of its time per
   * notification. Requests keep arriving meanwhile: single sends gather into the next group, and a
   * batch waits its turn (each statement takes tens of milliseconds at most).
   */
  private storeInLine(prepared: Prepared[]): Promise<Set<string>> {
    const turn = this.storing.then(() => store(this.sql, prepared, this.handoff));
    this.storing = turn.catch(() => {});
    return turn;
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

  /** Queues the jobs of what one statement stored; false when Redis did not take them in time. */
  private enqueued(prepared: Prepared[], inserted: Set<string>): Promise<boolean> {
    return enqueue(this.queue, prepared, inserted, this.onQueueDelayed);
  }

  private async flushGroup(group: Waiting[]): Promise<void> {
    let inserted: Set<string>;
    try {
      inserted = await this.storeInLine(group.map((g) => g.p));
    } catch (error) {
      // A group is one app's: when the app is gone, it is gone for every request of it.
      if (error instanceof Errors.AppNotFound) {
        for (const g of group) g.fail(error);
        return;
      }
      // One request's problem must not fail the others that happened to share its statement.
      if (group.length > 1) {
        await Promise.all(group.map((g) => this.flushGroup([g])));
        return;
      }
      group[0]?.fail(error);
      return;
    }
    const stored = group.filter((g) => inserted.has(g.p.row.id)).map((g) => g.p);
    const queueDelayed = !(await this.enqueued(
      group.map((g) => g.p),
      inserted,
    ));
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
    /** Each idempotency key of the batch: the first item naming it, and that item's request hash. */
    const keys = new Map<string, { index: number; hash: string | null }>();
    /** Items repeating an earlier item of the batch, key and body alike: its result, replayed. */
    const repeats = new Map<number, number>();
    const policy = inputs.some((i) => 'title' in i && (i.url !== undefined || i.category !== undefined))
      ? await this.urlPolicy(appId)
      : undefined;
    for (const [index, input] of inputs.entries()) {
      // Refused already (it did not match the schema): its result is that error.
      if ('error' in input) {
        results[index] = input;
        continue;
      }
      try {
        const p = prepare(appId, input, undefined, now, policy, 'batch');
        const replay = await this.original(p);
        if (replay) {
          results[index] = replay;
          continue;
        }
        const key = p.row.idempotencyKey;
        const first = key ? keys.get(key) : undefined;
        if (key && first) {
          // The same key earlier in this batch: the same request is a replay of that item, another one a 422.
          if (first.hash !== (p.row.requestHash ?? null)) throw new Errors.IdempotencyMismatch(key);
          repeats.set(index, first.index);
          continue;
        }
        await this.checkTopics(p);
        if (key) keys.set(key, { index, hash: p.row.requestHash ?? null });
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
      const inserted = await this.storeInLine(fresh.map((f) => f.p));
      const stored = fresh.filter((f) => inserted.has(f.p.row.id)).map((f) => f.p);
      const queueDelayed = !(await this.enqueued(
        fresh.map((f) => f.p),
        inserted,
      ));
      this.announce(stored);
      for (const { index, p } of fresh) {
        if (inserted.has(p.row.id)) {
          results[index] = {
            id: p.row.id,
            status: answeredStatus(p),
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
    for (const [index, first] of repeats) {
      const original = results[first];
      results[index] = original && !('error' in original) ? { ...original, replayed: true } : original;
    }
    return results as Array<Accepted | { error: ItemError }>;
  }
}
