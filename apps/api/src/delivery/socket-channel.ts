import { type NotificationPayload, ServerEvent, userRoom } from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { CatchUpState, Emitter } from '../gateway/types.js';
import type { Sql } from '../platform/db/database.js';
import { DELIVERY_ROW_COLUMNS, type DeliveryRow, toPayload } from './payload.js';
import type { DeliveryRecorder } from './recorder.js';
import { PENDING } from './status.js';

/** One notification on its way to sockets: its payload, and each recipient's user, row and sequence number. */
export interface Outgoing {
  appId: string;
  payload: Omit<NotificationPayload, 'seq'>;
  recipients: Array<[externalId: string, subscriberId: string, seq: number]>;
}

/**
 * Hands a dispatch's notifications to the sockets. Called once per batch, never per recipient;
 * resolves once they are handed over (emitted here, or published to the gateways), and rejects if
 * they could not be, so that the dispatch job fails and its retry sends them.
 */
export type Deliver = (batch: Outgoing[]) => Promise<void>;

/** A queued delivery with what it takes to send it: its notification's row, app, user and subscriber. */
export interface QueuedRow extends DeliveryRow {
  app_id: string;
  subscriber_id: string;
  external_id: string;
}

/** Groups rows (in sequence order) into one `Outgoing` per notification, its payload built once. */
export function outgoingOf(rows: QueuedRow[], freshnessMs: number, now = Date.now()): Outgoing[] {
  const outgoing = new Map<string, Outgoing>();
  for (const r of rows) {
    let o = outgoing.get(r.id);
    if (!o) {
      o = { appId: r.app_id, payload: toPayload(r, freshnessMs, now), recipients: [] };
      outgoing.set(r.id, o);
    }
    o.recipients.push([r.external_id, r.subscriber_id, r.seq]);
  }
  return [...outgoing.values()];
}

/** The Redis channel that carries dispatched batches from workers to gateway nodes. */
export const deliveriesChannel = (queuePrefix: string) => `${queuePrefix}:deliveries`;

interface DeliverySocket {
  data: { catchUp?: CatchUpState };
  timeout(ms: number): { emit(event: string, packet: NotificationPayload, ack: (err: Error | null) => void): unknown };
}

/** Where acks go: the recorder (delivered, or sent when none came in time) and the ack-latency metric. */
export interface AckRecording {
  recorder: DeliveryRecorder;
  ackTimeoutMs: number;
  observeAck?: (seconds: number) => void;
}

/**
 * Emits one notification to one socket and records its ack: delivered when the client acked in
 * time, sent when it did not; then calls `done`. (A callback, not a promise: live delivery makes
 * one of these per recipient socket and waits for none.)
 */
export function emitNotification(
  socket: DeliverySocket,
  packet: NotificationPayload,
  subscriberId: string,
  acks: AckRecording,
  done?: () => void,
): void {
  const emitted = performance.now();
  socket.timeout(acks.ackTimeoutMs).emit(ServerEvent.Notification, packet, (err: Error | null) => {
    if (!err) acks.observeAck?.((performance.now() - emitted) / 1000);
    acks.recorder.record(err ? 'sent' : 'delivered', packet.id, subscriberId);
    done?.();
  });
}

/**
 * Emits to the sockets of this process, each with its own ack: an acked emit marks the row
 * delivered, one that timed out marks it sent, and a user with no socket here leaves it queued
 * (catch-up on their next connect sends it). Sockets are looked up in the room directly, so a
 * gateway that gets every batch of a cluster skips the users hosted elsewhere cheaply. (A room
 * emit with an ack would wait for every node of the cluster to answer, even with the local flag.)
 */
export function localDelivery(
  io: Emitter,
  recorder: DeliveryRecorder,
  ackTimeoutMs: number,
  /** Told each ack's latency, in seconds from the emit (metrics). */
  observeAck: (seconds: number) => void = () => {},
): Deliver {
  const nsp = io.of('/');
  const rooms = nsp.adapter.rooms;
  const acks: AckRecording = { recorder, ackTimeoutMs, observeAck };
  return async (batch) => {
    for (const { appId, payload, recipients } of batch) {
      for (const [externalId, subscriberId, seq] of recipients) {
        const ids = rooms.get(userRoom(appId, externalId));
        if (!ids) continue;
        const packet = { ...payload, seq } as NotificationPayload;
        for (const id of ids) {
          const socket = nsp.sockets.get(id) as (DeliverySocket & object) | undefined;
          if (!socket) continue;
          const catchUp = socket.data.catchUp;
          if (catchUp?.held) catchUp.held.push([packet, subscriberId]);
          else if (!catchUp || seq > catchUp.upTo) emitNotification(socket, packet, subscriberId, acks);
        }
      }
    }
  };
}

/**
 * A worker in a cluster: one sharded-channel message per dispatched batch, whatever its number of
 * recipients, read by every gateway node (`subscribeDeliveries`), each of which emits to its own
 * sockets and records their acks. Pub/sub is at most once: a node that was unsubscribed for a while
 * sends its users what is still queued for them when it is back (`resendQueued`).
 */
export function channelDelivery(pub: Redis, channel: string): Deliver {
  return async (batch) => {
    if (batch.length === 0) return;
    await pub.spublish(channel, JSON.stringify(batch));
  };
}

/** At most this many queued rows per user are sent again by `resendQueued` (the oldest first). */
export const RESEND_PER_USER = 200;

/**
 * Sends again what the users connected to this node may have missed while its channel was down
 * (pub/sub keeps nothing for a disconnected subscriber): each user's deliveries still queued of a
 * notification that went out (dispatched, or still fanning out), oldest first, up to
 * `RESEND_PER_USER` each (more than that waits for the user's next connect). Run when the channel
 * comes back; a copy of something that did arrive is dropped by the client, by id. Returns how
 * many rows it sent.
 */
export async function resendQueued(io: Emitter, sql: Sql, deliver: Deliver, freshnessMs: number): Promise<number> {
  const subscriberIds = [
    ...new Set([...io.of('/').sockets.values()].map((s) => (s.data as { subscriberId?: string }).subscriberId)),
  ].filter((id): id is string => typeof id === 'string');
  let sent = 0;
  for (let i = 0; i < subscriberIds.length; i += 500) {
    // Per user, through the partial index of pending rows.
    const rows = await sql.query<QueuedRow>(
      `SELECT ${DELIVERY_ROW_COLUMNS}, n.app_id, d.subscriber_id, s.external_id
         FROM subscribers s
         CROSS JOIN LATERAL (
           SELECT * FROM deliveries d
            WHERE d.subscriber_id = s.id AND ${PENDING} AND d.status = 'queued'
            ORDER BY d.seq LIMIT $2
         ) d
         JOIN notifications n ON n.id = d.notification_id
        WHERE s.id = ANY($1::text[]) AND n.status IN ('processing', 'dispatched')
          AND (n.expires_at IS NULL OR n.expires_at > now())
        ORDER BY d.subscriber_id, d.seq`,
      [subscriberIds.slice(i, i + 500), RESEND_PER_USER],
    );
    await deliver(outgoingOf(rows, freshnessMs));
    sent += rows.length;
  }
  return sent;
}

/** A gateway node in a cluster: every batch published on `channel` goes to `deliver`. */
export async function subscribeDeliveries(
  sub: Redis,
  channel: string,
  deliver: Deliver,
  onError: (error: unknown) => void,
): Promise<void> {
  sub.on('smessage', (from: string, message: string) => {
    if (from !== channel) return;
    let batch: Outgoing[];
    try {
      batch = JSON.parse(message) as Outgoing[];
    } catch (error) {
      onError(error);
      return;
    }
    deliver(batch).catch(onError);
  });
  await sub.ssubscribe(channel);
}
