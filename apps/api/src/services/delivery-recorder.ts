import type { Sql } from '../db/database.js';

/** Delivery state changes reported by sockets, in the order they can happen. */
export type DeliveryEvent = 'sent' | 'delivered' | 'displayed' | 'clicked' | 'read' | 'closed';

const timestampColumn: Record<DeliveryEvent, string> = {
  sent: 'sent_at',
  delivered: 'delivered_at',
  displayed: 'displayed_at',
  clicked: 'clicked_at',
  read: 'read_at',
  closed: 'closed_at',
};

interface Pending {
  notificationIds: string[];
  subscriberIds: string[];
}

export interface DeliveryRecorderOptions {
  /** Flush when this many events of one kind are waiting. */
  maxBatch?: number;
  /** Flush at the latest this long after the first waiting event. */
  maxDelayMs?: number;
  onError?: (error: unknown, event: DeliveryEvent, count: number) => void;
  /** After a batch is written: how many rows changed, and which notifications they belong to. */
  onWritten?: (event: DeliveryEvent, changed: number, notificationIds: string[]) => void;
}

/**
 * Buffers delivery state changes from many sockets and writes each kind with one UPDATE per
 * batch, so a burst of acks costs a handful of round trips instead of one each.
 *
 * Status only moves forward (PostgreSQL compares enum values in declaration order:
 * queued < sent < delivered < displayed < clicked < read), never out of a terminal state
 * (expired, failed, cancelled); each timestamp is set once.
 */
export class DeliveryRecorder {
  private readonly pending = new Map<DeliveryEvent, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<void>>();
  private readonly maxBatch: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly sql: Sql,
    private readonly options: DeliveryRecorderOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 25;
  }

  record(event: DeliveryEvent, notificationId: string, subscriberId: string): void {
    let batch = this.pending.get(event);
    if (!batch) {
      batch = { notificationIds: [], subscriberIds: [] };
      this.pending.set(event, batch);
    }
    batch.notificationIds.push(notificationId);
    batch.subscriberIds.push(subscriberId);
    if (batch.notificationIds.length >= this.maxBatch) {
      this.flushEvent(event);
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.maxDelayMs);
    }
  }

  /** Writes everything buffered; resolves when it is in the database. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const event of [...this.pending.keys()]) this.flushEvent(event);
    await Promise.all(this.inflight);
  }

  private flushEvent(event: DeliveryEvent): void {
    const batch = this.pending.get(event);
    if (!batch || batch.notificationIds.length === 0) return;
    this.pending.delete(event);
    const write = this.write(event, batch)
      .then((changed) => this.options.onWritten?.(event, changed, [...new Set(batch.notificationIds)]))
      .catch((error: unknown) => this.options.onError?.(error, event, batch.notificationIds.length))
      .finally(() => this.inflight.delete(write));
    this.inflight.add(write);
  }

  private async write(event: DeliveryEvent, batch: Pending): Promise<number> {
    const column = timestampColumn[event];
    if (event === 'closed') {
      // A closed popup is a fact with a time, not a step forward in the delivery's status.
      return this.count(
        `UPDATE deliveries AS d SET closed_at = COALESCE(d.closed_at, now())
           FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)
          WHERE d.notification_id = x.notification_id AND d.subscriber_id = x.subscriber_id AND d.closed_at IS NULL
          RETURNING 1`,
        batch,
      );
    }
    // Reaching a later state implies the earlier ones: a displayed notification was delivered.
    const implied = event === 'sent' ? '' : `, delivered_at = COALESCE(d.delivered_at, now())`;
    // Counts rows whose timestamp was newly set, so a repeated ack is not counted twice.
    return this.count(
      `UPDATE deliveries AS d
          SET status = GREATEST(d.status, '${event}'::"DeliveryStatus"),
              ${column} = COALESCE(d.${column}, now())${event === 'delivered' ? '' : implied}
         FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)
        WHERE d.notification_id = x.notification_id
          AND d.subscriber_id = x.subscriber_id
          AND d.status < 'expired'::"DeliveryStatus" AND d.${column} IS NULL
        RETURNING 1`,
      batch,
    );
  }

  private async count(text: string, batch: Pending): Promise<number> {
    return (await this.sql.query(text, [batch.notificationIds, batch.subscriberIds])).length;
  }
}
