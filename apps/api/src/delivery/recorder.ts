// Over 300 lines: one class, whose buffering, write slots and three statements (rows, receipts,
// browsers) share one queue of batches; split, each part would reach into the others' state.
import type { Sql } from '../platform/db/database.js';
import { STREAMED_TO_USER } from './audience.js';
import { advance, CLOSED } from './status.js';

/** The most events of one kind one statement writes. */
const MAX_WRITE = 5000;

/** Delivery state changes reported by sockets, in the order they can happen. */
export type DeliveryEvent = 'sent' | 'delivered' | 'displayed' | 'clicked' | 'read' | 'closed';

interface Pending {
  notificationIds: string[];
  subscriberIds: string[];
  /** When it began to wait, in the order of `DeliveryRecorder.waiting`: the longest waiting is written first. */
  since: number;
}

interface PendingBrowsers {
  notificationIds: string[];
  subscriptionIds: string[];
  appIds: string[];
  subscriberIds: string[];
  since: number;
}

/**
 * What the recorder knows of the row an event is about: `row`, the user's delivery row exists (the
 * gateway emitted it from that row); `stream`, a topic send or broadcast the gateway sent this
 * user (its row is the receipt, written by the first event); `unknown`, a client's report.
 */
export type RowKnowledge = 'row' | 'stream' | 'unknown';

/** A buffered kind of event: the event, and what is known of its rows. */
type Key = `${DeliveryEvent}:${RowKnowledge}`;

export interface DeliveryRecorderOptions {
  /** Flush when this many events of one kind are waiting. */
  maxBatch?: number;
  /** Flush at the latest this long after the first waiting event. */
  maxDelayMs?: number;
  /**
   * Writes in flight at once (default 2). Receipts are bookkeeping: the acks of a broadcast to
   * 5,000 sockets would otherwise take ten of the pool's connections at once, and the next send's
   * store and dispatch would wait behind them. What arrives meanwhile joins the next, larger write.
   */
  maxInflight?: number;
  onError?: (error: unknown, event: DeliveryEvent, count: number) => void;
  /** After a batch is written: how many rows changed, and which notifications they belong to. */
  onWritten?: (event: DeliveryEvent, changed: number, notificationIds: string[]) => void;
}

/**
 * Buffers delivery state changes from many sockets and writes each kind with one UPDATE per
 * batch, so a burst of acks costs a handful of round trips instead of one each.
 *
 * Each change follows the rule of `delivery/status.ts`: forward only, never out of an ending.
 */
export class DeliveryRecorder {
  private readonly pending = new Map<Key, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;
  private readonly maxInflight: number;
  /** Counts the batches begun, for their `since`. */
  private waiting = 0;

  constructor(
    private readonly sql: Sql,
    private readonly options: DeliveryRecorderOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 25;
    this.maxInflight = Math.max(1, options.maxInflight ?? 2);
  }

  /**
   * `of`: what is known of the row (`RowKnowledge`). A stream notification has no row to update
   * yet: its receipt is written straight away. An event about a known row is one UPDATE; one about
   * an unknown row also looks for the rows it did not find (a receipt to write, or not the user's).
   */
  record(event: DeliveryEvent, notificationId: string, subscriberId: string, of: RowKnowledge = 'unknown'): void {
    const key: Key = `${event}:${of}`;
    let batch = this.pending.get(key);
    if (!batch) {
      batch = { notificationIds: [], subscriberIds: [], since: this.waiting++ };
      this.pending.set(key, batch);
    }
    batch.notificationIds.push(notificationId);
    batch.subscriberIds.push(subscriberId);
    if (batch.notificationIds.length >= this.maxBatch) {
      this.flushEvent(key);
    } else {
      this.flushLater();
    }
  }

  /** Browsers (push subscriptions) whose tab acknowledged a notification: no push for them. */
  private browsers: PendingBrowsers = this.noBrowsers();

  /** An empty browsers' batch; its `since` is set by the first browser recorded in it. */
  private noBrowsers(): PendingBrowsers {
    return { notificationIds: [], subscriptionIds: [], appIds: [], subscriberIds: [], since: 0 };
  }

  /**
   * A tab of a push-subscribed browser acknowledged a notification on its socket: that browser
   * gets no push for it (docs/web-push.md). Written with the acks' batches, only for sockets whose
   * browser registered a subscription.
   */
  recordBrowser(notificationId: string, subscriptionId: string, appId: string, subscriberId: string): void {
    if (this.browsers.notificationIds.length === 0) this.browsers.since = this.waiting++;
    const b = this.browsers;
    b.notificationIds.push(notificationId);
    b.subscriptionIds.push(subscriptionId);
    b.appIds.push(appId);
    b.subscriberIds.push(subscriberId);
    if (b.notificationIds.length >= this.maxBatch) this.flushBrowsers();
    else {
      this.flushLater();
    }
  }

  private flushBrowsers(): void {
    if (this.browsers.notificationIds.length === 0 || this.busy()) return;
    const b = this.browsers;
    this.browsers = this.noBrowsers();
    if (b.notificationIds.length > MAX_WRITE) {
      // What piled up behind a slow database goes in statements of a bounded size; the rest waits at the back.
      this.browsers = {
        notificationIds: b.notificationIds.splice(MAX_WRITE),
        subscriptionIds: b.subscriptionIds.splice(MAX_WRITE),
        appIds: b.appIds.splice(MAX_WRITE),
        subscriberIds: b.subscriberIds.splice(MAX_WRITE),
        since: this.waiting++,
      };
    }
    const write = this.sql
      .query(
        `INSERT INTO push_deliveries (notification_id, subscription_id, app_id, subscriber_id, status, socket_at)
         SELECT DISTINCT ON (n, s) n, s, a, u, 'socket', now()
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS x(n, s, a, u)
          WHERE EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.id = x.s)
         ON CONFLICT (notification_id, subscription_id) DO UPDATE SET socket_at = COALESCE(push_deliveries.socket_at, now())`,
        [b.notificationIds, b.subscriptionIds, b.appIds, b.subscriberIds],
      )
      .then(() => {})
      .catch((error: unknown) => this.options.onError?.(error, 'delivered', b.notificationIds.length))
      .finally(() => this.written(write));
    this.inflight.add(write);
  }

  /** Starts writing within `maxDelayMs` of the first thing buffered (as far as writes may be in flight). */
  private flushLater(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.startWrites();
    }, this.maxDelayMs);
  }

  /** Writes everything buffered; resolves when it is in the database. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (;;) {
      this.startWrites();
      if (this.inflight.size === 0) return;
      await Promise.all(this.inflight);
    }
  }

  /** Whether as many writes as allowed are in flight: what waits goes with the next one. */
  private busy(): boolean {
    return this.inflight.size >= this.maxInflight;
  }

  /** Starts writes of what is buffered, the longest waiting first, as many as may be in flight. */
  private startWrites(): void {
    const kinds: Array<[since: number, key: Key | 'browsers']> = [...this.pending].map(([key, b]) => [b.since, key]);
    if (this.browsers.notificationIds.length > 0) kinds.push([this.browsers.since, 'browsers']);
    kinds.sort((a, b) => a[0] - b[0]);
    for (const [, key] of kinds) {
      if (this.busy()) return;
      if (key === 'browsers') this.flushBrowsers();
      else this.flushEvent(key);
    }
  }

  /** A write ended: what waited for it goes now. */
  private written(write: Promise<void>): void {
    this.inflight.delete(write);
    this.startWrites();
  }

  private flushEvent(key: Key): void {
    const batch = this.pending.get(key);
    if (!batch || batch.notificationIds.length === 0 || this.busy()) return;
    if (batch.notificationIds.length > MAX_WRITE) {
      // What piled up behind a slow database goes in statements of a bounded size; the rest waits at the back.
      this.pending.set(key, {
        notificationIds: batch.notificationIds.splice(MAX_WRITE),
        subscriberIds: batch.subscriberIds.splice(MAX_WRITE),
        since: this.waiting++,
      });
    } else this.pending.delete(key);
    const [event, of] = key.split(':') as [DeliveryEvent, RowKnowledge];
    const write = (of === 'stream' ? this.writeReceipts(event, batch, true) : this.write(event, batch, of === 'row'))
      .then((changed) => this.options.onWritten?.(event, changed, [...new Set(batch.notificationIds)]))
      .catch((error: unknown) => this.options.onError?.(error, event, batch.notificationIds.length))
      .finally(() => this.written(write));
    this.inflight.add(write);
  }

  private async write(event: DeliveryEvent, batch: Omit<Pending, 'since'>, known: boolean): Promise<number> {
    // Counts rows that changed, so a repeated ack is not counted twice. Unless the rows are known
    // to exist, also returns the reports about a notification the user has no row of at all: a
    // topic send or broadcast (whose row is its receipt, written by the first thing that happens
    // to it), or an id that is not theirs.
    const { set, guard } = event === 'closed' ? CLOSED : advance(event);
    if (known) {
      const [row] = await this.sql.query<{ changed: number }>(
        `WITH changed AS (
           UPDATE deliveries AS d SET ${set}
             FROM (SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)) x
            WHERE d.notification_id = x.notification_id AND d.subscriber_id = x.subscriber_id AND ${guard}
            RETURNING 1
         )
         SELECT count(*)::int AS changed FROM changed`,
        [batch.notificationIds, batch.subscriberIds],
      );
      return row?.changed ?? 0;
    }
    const rows = await this.sql.query<{
      changed: number;
      notification_id: string | null;
      subscriber_id: string | null;
    }>(
      `WITH x AS (
         SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)
       ), changed AS (
         UPDATE deliveries AS d SET ${set} FROM x
          WHERE d.notification_id = x.notification_id AND d.subscriber_id = x.subscriber_id AND ${guard}
          RETURNING 1
       )
       SELECT (SELECT count(*)::int FROM changed) AS changed, m.* FROM (SELECT 1) one
         LEFT JOIN (
           SELECT x.notification_id::text, x.subscriber_id FROM x
            WHERE NOT EXISTS (SELECT 1 FROM deliveries d
                               WHERE d.notification_id = x.notification_id AND d.subscriber_id = x.subscriber_id)
         ) m ON true`,
      [batch.notificationIds, batch.subscriberIds],
    );
    const changed = rows[0]?.changed ?? 0;
    const missing = rows.filter((r) => r.notification_id !== null);
    if (missing.length === 0 || event === 'sent') return changed;
    return (
      changed +
      (await this.writeReceipts(event, {
        notificationIds: missing.map((r) => r.notification_id as string),
        subscriberIds: missing.map((r) => r.subscriber_id as string),
      }))
    );
  }

  /**
   * Receipts of topic sends and broadcasts: the user's row, written by the first thing that
   * happens to it for them (with no personal sequence number), moved forward by the next ones
   * like any delivery. Only for a notification that reached the user through one of its streams,
   * so a report naming any other id writes nothing.
   */
  private async writeReceipts(event: DeliveryEvent, batch: Omit<Pending, 'since'>, checked = false): Promise<number> {
    if (event === 'sent' || batch.notificationIds.length === 0) return 0;
    if (checked && event === 'delivered') {
      // Acks of copies the gateway sent to these users, having checked they are theirs: every
      // receipt has its delivered time, so one that exists already took this step.
      return this.counted(
        `INSERT INTO deliveries (notification_id, subscriber_id, status, delivered_at)
         SELECT DISTINCT x.notification_id, x.subscriber_id, 'delivered'::"DeliveryStatus", now()
           FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)
         ON CONFLICT (notification_id, subscriber_id) DO NOTHING
         RETURNING 1`,
        [batch.notificationIds, batch.subscriberIds],
      );
    }
    const { set, guard } = event === 'closed' ? CLOSED : advance(event);
    const step = event === 'closed' ? 'delivered' : event;
    const stamp = event === 'delivered' ? '' : `, ${event}_at`;
    return this.counted(
      `INSERT INTO deliveries AS d (notification_id, subscriber_id, status, delivered_at${stamp})
       SELECT n.id, s.id, '${step}', now()${stamp ? ', now()' : ''}
         FROM (SELECT DISTINCT * FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)) x
         JOIN subscribers s ON s.id = x.subscriber_id
         JOIN notifications n ON n.id = x.notification_id AND n.app_id = s.app_id
        WHERE ${STREAMED_TO_USER}
       ON CONFLICT (notification_id, subscriber_id) DO UPDATE SET ${set} WHERE ${guard}
       RETURNING 1`,
      [batch.notificationIds, batch.subscriberIds],
    );
  }

  /** How many rows a statement `RETURNING 1` wrote, counted by PostgreSQL (no row per write comes back). */
  private async counted(statement: string, values: unknown[]): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `WITH written AS (${statement}) SELECT count(*)::int AS n FROM written`,
      values,
    );
    return row?.n ?? 0;
  }
}
