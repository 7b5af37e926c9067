import { BROADCAST_STREAM, type NotificationPayload, own, streamRoom, userRoom } from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { Emitter } from '../gateway/types.js';
import type { Sql } from '../platform/db/database.js';
import { DELIVERY_ROW_COLUMNS, type DeliveryRow, toPayload } from './payload.js';
import { type CategoryRules, modeNow, topicChoice } from './preferences.js';
import type { DeliveryRecorder } from './recorder.js';
import { type AckRecording, type DeliverySocket, emitNotification, emitOnce, hold } from './socket-emit.js';
import { PENDING_OF } from './status.js';

/**
 * A topic send's or broadcast's place in one of its streams: the stream (a topic, or `*`), its
 * number there, and the stream's counter when it was accepted (its audience: members whose window
 * started before it).
 */
export type StreamPlace = [stream: string, seq: number, audience: number];

/** One notification on its way to sockets: its payload, and each recipient's user, row and sequence number. */
export interface Outgoing {
  appId: string;
  payload: Omit<NotificationPayload, 'seq'>;
  recipients: Array<[externalId: string, subscriberId: string, seq: number]>;
  /**
   * A topic send or broadcast (no recipients): emitted to its streams' rooms, to each socket whose
   * user it is for, once per socket (in the order of the send's topics).
   */
  streams?: StreamPlace[];
  /**
   * Of a scheduled topic send: members it was for who left its topics before it went out, each with
   * the index in `streams` of the topic it is theirs through. Their sockets are not in the topics'
   * rooms; they are reached through their user rooms.
   */
  formerMembers?: Array<[externalId: string, stream: number]>;
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

/**
 * Whether a topic send or broadcast accepted when the stream's counter reached `audience` is for
 * this socket's user: a member of the topic whose window started before it, or, for a broadcast,
 * a user the app knew before it was accepted.
 */
export function isFor(socket: DeliverySocket, stream: string, audience: number): boolean {
  if (stream === BROADCAST_STREAM)
    return socket.data.broadcastSince !== undefined && socket.data.broadcastSince < audience;
  const since = socket.data.topics?.get(stream);
  if (since !== undefined && since < audience) return true;
  return socket.data.ended?.get(stream)?.some(([from, until]) => from < audience && audience <= until) ?? false;
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
  rules: (appId: string) => CategoryRules | undefined = () => undefined,
  pushApp: (appId: string) => boolean = () => false,
): Deliver {
  const nsp = io.of('/');
  const rooms = nsp.adapter.rooms;
  const acks: AckRecording = { recorder, ackTimeoutMs, observeAck, rules, pushApp };
  /**
   * A topic send or broadcast: each socket of its rooms whose user it is for, once, through the one
   * of its topics that user lets through most, the first listed among equals (`topicChoice`). The
   * packet is encoded once per stream and written to every such socket, as Socket.IO's own room
   * emit does — a live copy carries `seq` 0 (it is in no personal sequence) — each ack saying
   * which socket it came from. A socket still catching up gets it afterwards, unless its catch-up
   * already sent it. A user whose preferences turn it off gets nothing; one who takes it in the
   * inbox only, or is inside quiet hours, gets the copy that does not pop up (encoded once too).
   */
  const deliverStream = (
    appId: string,
    payload: Outgoing['payload'],
    streams: StreamPlace[],
    formerMembers: NonNullable<Outgoing['formerMembers']> = [],
  ) => {
    const categories = payload.category ? rules(appId) : undefined;
    const rule = payload.category ? categories?.get(payload.category) : undefined;
    const at = Date.now();
    const audience = streamAudience(appId, streams);
    if (formerMembers.length > 0) {
      // Left the topic after the send was accepted: theirs all the same, wherever their sockets are.
      const reached = new Set(audience.flat());
      for (const [externalId, index] of formerMembers) {
        for (const id of rooms.get(userRoom(appId, externalId)) ?? []) {
          const socket = nsp.sockets.get(id) as (DeliverySocket & object) | undefined;
          if (socket?.data.subscriberId && !reached.has(socket)) {
            reached.add(socket);
            audience[index]?.push(socket);
          }
        }
      }
    }
    audience.forEach((sockets, index) => {
      const [stream, seq] = streams[index] as StreamPlace;
      const packet = { ...payload, seq: 0, stream: { name: stream, seq } } as NotificationPayload;
      const now: DeliverySocket[] = [];
      const quiet: DeliverySocket[] = [];
      for (const socket of sockets) {
        const mode = modeNow(socket.data.preferences, payload.category, rule, stream, at);
        if (mode === 'off') continue;
        const silent = packet.silent || mode === 'inbox';
        const catchUp = socket.data.catchUp;
        if (catchUp?.held) hold(socket, catchUp.held, [{ ...packet, silent }, socket.data.subscriberId as string]);
        else if (!catchUp || seq > (own(catchUp.streams, stream) ?? 0)) (silent ? quiet : now).push(socket);
      }
      emitOnce(nsp, now, packet, acks);
      emitOnce(nsp, quiet, { ...packet, silent: true }, acks);
    });
  };
  /** The sockets of a stream notification's rooms it is for, by the index of the stream each gets it through. */
  const streamAudience = (appId: string, streams: StreamPlace[]): DeliverySocket[][] => {
    const socketFor = (id: string, stream: string, audience: number) => {
      const socket = nsp.sockets.get(id) as (DeliverySocket & object) | undefined;
      return socket?.data.subscriberId && isFor(socket, stream, audience) ? socket : undefined;
    };
    if (streams.length === 1) {
      // One topic, or the broadcasts: every socket of the room the notification is for.
      const [stream, , audience] = streams[0] as StreamPlace;
      const sockets: DeliverySocket[] = [];
      for (const id of rooms.get(streamRoom(appId, stream)) ?? []) {
        const socket = socketFor(id, stream, audience);
        if (socket) sockets.push(socket);
      }
      return [sockets];
    }
    const best = new Map<string, { socket: DeliverySocket; index: number; choice: number }>();
    streams.forEach(([stream, , audience], index) => {
      for (const id of rooms.get(streamRoom(appId, stream)) ?? []) {
        const was = best.get(id);
        if (was && was.choice === 2) continue; // popup: no later topic does better
        const socket = socketFor(id, stream, audience);
        if (!socket) continue;
        const choice = topicChoice(socket.data.preferences, stream);
        if (!was || choice > was.choice) best.set(id, { socket, index, choice });
      }
    });
    const byStream: DeliverySocket[][] = streams.map(() => []);
    for (const { socket, index } of best.values()) byStream[index]?.push(socket);
    return byStream;
  };
  return async (batch) => {
    for (const { appId, payload, recipients, streams, formerMembers } of batch) {
      if (streams) deliverStream(appId, payload, streams, formerMembers);
      for (const [externalId, subscriberId, seq] of recipients) {
        const ids = rooms.get(userRoom(appId, externalId));
        if (!ids) continue;
        const packet = { ...payload, seq } as NotificationPayload;
        for (const id of ids) {
          const socket = nsp.sockets.get(id) as (DeliverySocket & object) | undefined;
          if (!socket) continue;
          const catchUp = socket.data.catchUp;
          if (catchUp?.held) hold(socket, catchUp.held, [packet, subscriberId]);
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
    // Per user, their (subscriber_id, seq) key from their settled mark on. (A row left pending
    // for long, say expired but not swept, keeps the mark below it: the rows after it are read
    // until the limit, no index holding the status, until a device syncs past it.)
    const rows = await sql.query<QueuedRow>(
      `SELECT ${DELIVERY_ROW_COLUMNS}, n.app_id, d.subscriber_id, s.external_id
         FROM subscribers s
         CROSS JOIN LATERAL (
           SELECT * FROM deliveries d
            WHERE ${PENDING_OF('s')} AND d.status = 'queued'
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
