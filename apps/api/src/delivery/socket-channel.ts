import {
  BROADCAST_STREAM,
  type ClosingEvent,
  type NotificationPayload,
  ServerEvent,
  streamRoom,
  userRoom,
} from '@herald/protocol';
import type { Redis } from 'ioredis';
import type { CatchUpState, Emitter } from '../gateway/types.js';
import type { Sql } from '../platform/db/database.js';
import { DELIVERY_ROW_COLUMNS, type DeliveryRow, toPayload } from './payload.js';
import { type CategoryRules, modeNow, type StoredPreferences, silencedFor } from './preferences.js';
import type { DeliveryRecorder } from './recorder.js';
import { PENDING } from './status.js';

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
  emit?(event: typeof ServerEvent.Closing, payload: ClosingEvent): unknown;
  conn?: { close(): void };
  data: {
    appId?: string;
    /** The user's preferences: popups they would not want go to the inbox silently. */
    preferences?: StoredPreferences;
    catchUp?: CatchUpState;
    subscriberId?: string;
    /** The user's topics and where each membership's window starts (gateway/topic-rooms.ts). */
    topics?: Map<string, number>;
    /** Windows in topics the user left while this socket was connected. */
    ended?: Map<string, Array<[number, number]>>;
    /** When the user became known to the app, ms since the epoch: broadcasts accepted before it are not theirs. */
    knownSince?: number;
    /** The socket's browser's push subscription, once registered: its acks spare that browser the push. */
    pushSubscriptionId?: string;
    /** Notifications acked before the browser registered (see `ackedBy`). */
    earlyAcks?: string[];
  };
  /** When the handshake came, ms since the epoch (Socket.IO's `handshake.issued`). */
  handshake?: { issued: number };
  timeout(ms: number): { emit(event: string, packet: NotificationPayload, ack: (err: Error | null) => void): unknown };
}

/** Where acks go: the recorder (delivered, or sent when none came in time) and the ack-latency metric. */
export interface AckRecording {
  recorder: DeliveryRecorder;
  ackTimeoutMs: number;
  observeAck?: (seconds: number) => void;
  /** An app's categories, without waiting (the app directory's last copy): users' preferences apply by them. */
  rules?: (appId: string) => CategoryRules | undefined;
  /** Whether the app has Web Push subscriptions (without waiting): only then are early acks kept. */
  pushApp?: (appId: string) => boolean;
}

/** How long after its handshake a socket's acks wait for its browser's `push:subscribe`, and how many. */
export const EARLY_ACKS_MS = 30_000;
export const EARLY_ACKS_MAX = 100;

/**
 * A tab acknowledged a notification: its browser gets no push for it. The SDK registers the
 * browser (`push:subscribe`) on every connect, but what catch-up on connect sends (or a live
 * notification) is often acked before that reply: such acks, in the socket's first
 * `EARLY_ACKS_MS`, are kept on it (the latest `EARLY_ACKS_MAX`) and recorded for the browser
 * once it registers (gateway/push.ts).
 */
function ackedBy(socket: DeliverySocket, notificationId: string, subscriberId: string, acks: AckRecording) {
  const { data } = socket;
  if (data.pushSubscriptionId) {
    if (data.appId) acks.recorder.recordBrowser(notificationId, data.pushSubscriptionId, data.appId, subscriberId);
    return;
  }
  // An app none of whose users' browsers subscribed to push (as this node last read it) keeps none.
  if (!data.appId || !acks.pushApp?.(data.appId)) return;
  const since = socket.handshake?.issued;
  if (since === undefined || Date.now() - since > EARLY_ACKS_MS) {
    data.earlyAcks = undefined;
    return;
  }
  data.earlyAcks ??= [];
  if (data.earlyAcks.length >= EARLY_ACKS_MAX) data.earlyAcks.shift();
  data.earlyAcks.push(notificationId);
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
  const state = socket.data.catchUp;
  // What the user would not want popping up goes to their inbox silently.
  const { appId, preferences } = socket.data;
  if (!packet.silent && acks.rules && appId && silencedFor(preferences, acks.rules(appId), packet)) {
    packet.silent = true;
  }
  if (packet.stream) {
    // In no personal sequence: it carries the position this socket already has, so a client that
    // keeps the highest `seq` it saw skips nothing by keeping it.
    packet.seq = Math.max(packet.seq, state?.seq ?? 0);
  } else if (state && packet.seq > state.seq) state.seq = packet.seq;
  const stream = packet.stream !== undefined;
  socket.timeout(acks.ackTimeoutMs).emit(ServerEvent.Notification, packet, (err: Error | null) => {
    if (!err) acks.observeAck?.((performance.now() - emitted) / 1000);
    // A stream notification has no row until something happens to it for the user: an ack that
    // did not come changes nothing.
    if (!err || !stream) acks.recorder.record(err ? 'sent' : 'delivered', packet.id, subscriberId, stream);
    if (!err) ackedBy(socket, packet.id, subscriberId, acks);
    done?.();
  });
}

/**
 * Whether a topic send or broadcast accepted when the stream's counter reached `audience` is for
 * this socket's user: a member of the topic whose window started before it, or, for a broadcast,
 * a user the app knew when it was accepted.
 */
export function isFor(socket: DeliverySocket, stream: string, audience: number, createdAt: string): boolean {
  if (stream === BROADCAST_STREAM) return (socket.data.knownSince ?? 0) <= Date.parse(createdAt);
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
   * A topic send or broadcast: each socket of its rooms whose user it is for, once, through the
   * first of its topics that socket's user is in. The packet is encoded once per stream and
   * written to every such socket, as Socket.IO's own room emit does — a live copy carries `seq` 0
   * (it is in no personal sequence) — each ack saying which socket it came from. A socket still
   * catching up gets it afterwards, unless its catch-up already sent it. A user whose preferences
   * turn it off gets nothing; one who takes it in the inbox only, or is inside quiet hours, gets
   * the copy that does not pop up (encoded once too).
   */
  const deliverStream = (appId: string, payload: Outgoing['payload'], streams: StreamPlace[]) => {
    const reached = new Set<string>();
    const categories = payload.category ? rules(appId) : undefined;
    const rule = payload.category ? categories?.get(payload.category) : undefined;
    const at = Date.now();
    for (const [stream, seq, audience] of streams) {
      const ids = rooms.get(streamRoom(appId, stream));
      if (!ids) continue;
      const packet = { ...payload, seq: 0, stream: { name: stream, seq } } as NotificationPayload;
      const now: DeliverySocket[] = [];
      const quiet: DeliverySocket[] = [];
      for (const id of ids) {
        if (reached.has(id)) continue;
        const socket = nsp.sockets.get(id) as (DeliverySocket & object) | undefined;
        const subscriberId = socket?.data.subscriberId;
        if (!socket || !subscriberId || !isFor(socket, stream, audience, payload.createdAt)) continue;
        reached.add(id);
        const mode = modeNow(socket.data.preferences, payload.category, rule, stream, at);
        if (mode === 'off') continue;
        const silent = packet.silent || mode === 'inbox';
        const catchUp = socket.data.catchUp;
        if (catchUp?.held) hold(socket, catchUp.held, [{ ...packet, silent }, subscriberId]);
        else if (!catchUp || seq > (catchUp.streams[stream] ?? 0)) (silent ? quiet : now).push(socket);
      }
      emitOnce(nsp, now, packet, acks);
      emitOnce(nsp, quiet, { ...packet, silent: true }, acks);
    }
  };
  return async (batch) => {
    for (const { appId, payload, recipients, streams } of batch) {
      if (streams) deliverStream(appId, payload, streams);
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

/** Live notifications one socket may have waiting for its catch-up; past that it is closed. */
export const MAX_HELD = 1000;

/**
 * Keeps a live notification for a socket still catching up. A socket that falls this far behind
 * (it acks slowly, or not at all, while a busy topic keeps sending) would hold them in memory for
 * as long as it stays: its transport is closed instead, and the client, reconnecting, catches up
 * on all of it from the database.
 */
function hold(socket: DeliverySocket, held: NonNullable<CatchUpState['held']>, entry: [NotificationPayload, string]) {
  if (held.length < MAX_HELD) {
    held.push(entry);
    return;
  }
  if (held.length === MAX_HELD) {
    held.push(entry); // once: the close below is said once
    socket.emit?.(ServerEvent.Closing, {
      code: 'HERALD_ERR_UNAVAILABLE',
      message: 'This device fell too far behind while catching up; reconnect to catch up on the rest.',
      reconnect: true,
    });
    socket.conn?.close();
  }
}

/** Socket.IO's own parts that its adapter uses to write one encoded packet to many sockets. */
interface Engine {
  _ids: number;
  name: string;
  adapter: { _encode?: (packet: object, opts: object) => unknown[] };
}
interface EngineSocket {
  acks: Map<number, (this: DeliverySocket, ...args: unknown[]) => void>;
  client: { writeToEngine(encoded: unknown[], opts: object): void };
}

/** socket.io-parser's EVENT packet type. */
const EVENT = 2;

/**
 * Emits one packet to many sockets, each with its ack: encoded once (and framed once for
 * WebSocket), like the adapter's `broadcastWithAck`, but each ack records its own socket's user,
 * which a room emit with an ack cannot say. One timer forgets the acks that did not come. Falls
 * back to one emit per socket if Socket.IO's internals are not what this expects.
 */
function emitOnce(nsp: unknown, sockets: DeliverySocket[], packet: NotificationPayload, acks: AckRecording): void {
  if (sockets.length === 0) return;
  const engine = nsp as Engine;
  const first = sockets[0] as unknown as Partial<EngineSocket>;
  if (typeof engine.adapter._encode !== 'function' || !(first.acks instanceof Map) || !first.client?.writeToEngine) {
    for (const socket of sockets) emitNotification(socket, { ...packet }, socket.data.subscriberId as string, acks);
    return;
  }
  const id = engine._ids++;
  const opts = { preEncoded: true };
  const encoded = engine.adapter._encode(
    { type: EVENT, nsp: engine.name, id, data: [ServerEvent.Notification, packet] },
    opts,
  );
  const sent = performance.now();
  // Socket.IO calls an ack with the socket as `this`: one function for every socket.
  const onAck = function (this: DeliverySocket) {
    acks.observeAck?.((performance.now() - sent) / 1000);
    acks.recorder.record('delivered', packet.id, this.data.subscriberId as string, true);
    ackedBy(this, packet.id, this.data.subscriberId as string, acks);
  };
  for (const socket of sockets as unknown as EngineSocket[]) {
    socket.acks.set(id, onAck);
    socket.client.writeToEngine(encoded, opts);
  }
  setTimeout(() => {
    for (const socket of sockets as unknown as EngineSocket[]) socket.acks.delete(id);
  }, acks.ackTimeoutMs).unref();
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
