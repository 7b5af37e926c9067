import { type NotificationPayload, ServerEvent, userRoom } from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { DeliveryRecorder } from './delivery-recorder.js';
import type { Emitter } from './dispatcher.js';

/** One notification on its way to sockets: its payload, and each recipient's user, row and sequence number. */
export interface Outgoing {
  appId: string;
  payload: Omit<NotificationPayload, 'seq'>;
  recipients: Array<[externalId: string, subscriberId: string, seq: number]>;
}

/** Hands a dispatch's notifications to the sockets. Called once per batch, never per recipient. */
export type Deliver = (batch: Outgoing[]) => void;

/** The Redis channel that carries dispatched batches from workers to gateway nodes. */
export const deliveriesChannel = (queuePrefix: string) => `${queuePrefix}:deliveries`;

/**
 * Emits to the sockets of this process, each with its own ack: an acked emit marks the row
 * delivered, one that timed out marks it sent, and a user with no socket here leaves it queued
 * (catch-up on their next connect sends it). Sockets are looked up in the room directly, so a
 * gateway that gets every batch of a cluster skips the users hosted elsewhere cheaply. (A room
 * emit with an ack would wait for every node of the cluster to answer, even with the local flag.)
 */
export function localDelivery(io: Emitter, recorder: DeliveryRecorder, ackTimeoutMs: number): Deliver {
  const nsp = io.of('/');
  const rooms = nsp.adapter.rooms;
  return (batch) => {
    for (const { appId, payload, recipients } of batch) {
      for (const [externalId, subscriberId, seq] of recipients) {
        const ids = rooms.get(userRoom(appId, externalId));
        if (!ids) continue;
        const packet = { ...payload, seq } as NotificationPayload;
        for (const id of ids) {
          nsp.sockets
            .get(id)
            ?.timeout(ackTimeoutMs)
            .emit(ServerEvent.Notification, packet, (err: Error | null) =>
              recorder.record(err ? 'sent' : 'delivered', payload.id, subscriberId),
            );
        }
      }
    }
  };
}

/**
 * A worker in a cluster: one sharded-channel message per dispatched batch, whatever its number of
 * recipients, read by every gateway node (`subscribeDeliveries`), each of which emits to its own
 * sockets and records their acks. Pub/sub is at most once: a node that misses a message leaves
 * its users' rows queued, and their next connect's catch-up sends them.
 */
export function channelDelivery(pub: Redis, channel: string, onError: (error: unknown) => void): Deliver {
  return (batch) => {
    if (batch.length === 0) return;
    pub.spublish(channel, JSON.stringify(batch)).catch(onError);
  };
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
    try {
      deliver(JSON.parse(message) as Outgoing[]);
    } catch (error) {
      onError(error);
    }
  });
  await sub.ssubscribe(channel);
}
