import type { Sql } from '../platform/db/database.js';
import { advance, CLOSED } from './status.js';

/** Delivery state changes reported by sockets, in the order they can happen. */
export type DeliveryEvent = 'sent' | 'delivered' | 'displayed' | 'clicked' | 'read' | 'closed';

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
 * Each change follows the rule of `delivery/status.ts`: forward only, never out of an ending.
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
    // Counts rows that changed, so a repeated ack is not counted twice.
    const { set, guard } = event === 'closed' ? CLOSED : advance(event);
    return this.count(
      `UPDATE deliveries AS d SET ${set}
         FROM unnest($1::uuid[], $2::text[]) AS x(notification_id, subscriber_id)
        WHERE d.notification_id = x.notification_id AND d.subscriber_id = x.subscriber_id AND ${guard}
        RETURNING 1`,
      batch,
    );
  }

  private async count(text: string, batch: Pending): Promise<number> {
    return (await this.sql.query(text, [batch.notificationIds, batch.subscriberIds])).length;
  }
}
