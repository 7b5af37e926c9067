import { type ClosingEvent, type NotificationPayload, ServerEvent } from '@herald/protocol';
import type { CatchUpState } from '../gateway/types.js';
import { type CategoryRules, type StoredPreferences, silencedFor } from './preferences.js';
import type { DeliveryRecorder } from './recorder.js';

/** What emitting to a socket uses of it (a Socket.IO socket, or a test's stand-in). */
export interface DeliverySocket {
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
    /** The broadcast stream's counter when the app came to know the user: broadcasts numbered after it are theirs. */
    broadcastSince?: number;
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
    if (!err || !stream)
      acks.recorder.record(err ? 'sent' : 'delivered', packet.id, subscriberId, stream ? 'stream' : 'row');
    if (!err) ackedBy(socket, packet.id, subscriberId, acks);
    done?.();
  });
}

/** Live notifications one socket may have waiting for its catch-up; past that it is closed. */
export const MAX_HELD = 1000;

/**
 * Keeps a live notification for a socket still catching up. A socket that falls this far behind
 * (it acks slowly, or not at all, while a busy topic keeps sending) would hold them in memory for
 * as long as it stays: its transport is closed instead, and the client, reconnecting, catches up
 * on all of it from the database.
 */
export function hold(
  socket: DeliverySocket,
  held: NonNullable<CatchUpState['held']>,
  entry: [NotificationPayload, string],
) {
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
export function emitOnce(
  nsp: unknown,
  sockets: DeliverySocket[],
  packet: NotificationPayload,
  acks: AckRecording,
): void {
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
    acks.recorder.record('delivered', packet.id, this.data.subscriberId as string, 'stream');
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
