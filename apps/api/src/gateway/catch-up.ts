import { HandshakeErrorCode, type NotificationPayload, own, ServerEvent } from '@herald/protocol';
import type { AckRecording } from '../delivery/socket-emit.js';
import { emitNotification } from '../delivery/socket-emit.js';
import type { InboxService, Subscriber } from '../inbox/inbox.js';
import type { CatchUpState, GatewaySocket } from './types.js';

/** Notifications per catch-up page; the next page goes once the client acked this one (or timed out). */
export const CATCH_UP_PAGE = 100;

export interface CatchUpDeps extends AckRecording {
  inbox: InboxService;
  log: { error(obj: object, msg: string): void };
  /** Told how many notifications each catch-up sent (metrics). */
  onCaughtUp?: (count: number) => void;
}

/**
 * Catch-up on connect, for any Socket.IO client that follows the contract, not only Herald's SDK:
 * everything after the handshake's `auth.since` (without it, every notification not yet delivered
 * to any of the user's devices) is sent oldest first, page by page as the client acks, marked
 * `replay: true` if it was accepted before the handshake (one accepted since is news, not something
 * missed while away: the SDK shows it as it shows a live one); then `synced` with the user's head;
 * then the live notifications that arrived meanwhile (held back until now, those already sent by the catch-up skipped) and everything
 * after. The socket joined its room before this starts, so nothing falls between the two.
 *
 * If the database fails midway, the socket's transport is closed: the client reconnects (Socket.IO
 * clients do so by themselves after a transport close) and catches up again.
 */
export async function catchUp(socket: GatewaySocket, subscriber: Subscriber, deps: CatchUpDeps): Promise<void> {
  const state = socket.data.catchUp as CatchUpState;
  let since = socket.data.since ?? null;
  const streams = { ...socket.data.streamCursors };
  let confirm = true;
  let count = 0;
  let head = 0;
  let heads: Record<string, number> = {};
  let kept: Record<string, number> = {};
  // Without the handshake's time (a test's stand-in), everything catch-up sends is a replay.
  const connectedAt = socket.handshake?.issued ?? Number.POSITIVE_INFINITY;
  try {
    for (;;) {
      // The first page confirms what the client says it has (everything up to `since`).
      const page = await deps.inbox.sync(subscriber, since, CATCH_UP_PAGE, {
        confirm,
        streams,
        presented: socket.data.since ?? null,
      });
      confirm = false;
      head = page.head;
      heads = page.allHeads ?? page.streams;
      kept = page.streams;
      if (socket.disconnected || page.notifications.length === 0) break;
      await Promise.all(
        page.notifications.map(
          (n) =>
            new Promise<void>((acked) =>
              emitNotification(socket, missedWhileAway(n, connectedAt), subscriber.id, deps, acked),
            ),
        ),
      );
      // Each list moves past what this page sent: the personal one, and each stream.
      for (const n of page.notifications) {
        if (n.stream) streams[n.stream.name] = Math.max(own(streams, n.stream.name) ?? 0, n.stream.seq);
      }
      since = (page.notifications.at(-1) as NotificationPayload).seq;
      state.upTo = since;
      count += page.notifications.length;
    }
  } catch (err) {
    deps.log.error({ err, userId: subscriber.externalId }, 'catch-up on connect failed');
    socket.emit(ServerEvent.Closing, {
      code: HandshakeErrorCode.Unavailable,
      message: 'The server could not send what this device missed; reconnect to try again.',
      reconnect: true,
    });
    socket.conn.close();
    return;
  }
  if (socket.disconnected) return;
  deps.onCaughtUp?.(count);
  // The last (empty) page read every stream up to its head: live copies up to there were sent.
  state.streams = heads;
  socket.emit(ServerEvent.Synced, { count, head, streams: kept, now: Date.now() });
  const held = state.held ?? [];
  state.held = null;
  // Personal ones in sequence order; stream copies keep the order they arrived in.
  const personal = held.filter(([p]) => !p.stream).sort(([a], [b]) => a.seq - b.seq);
  for (const [packet, subscriberId] of [...personal, ...held.filter(([p]) => p.stream)]) {
    if (packet.stream ? packet.stream.seq <= (heads[packet.stream.name] ?? 0) : packet.seq <= state.upTo) continue;
    emitNotification(socket, packet, subscriberId, deps);
  }
}

/** Whether a notification was missed while away: accepted before the socket's handshake (catch-up, and a sync's answer). */
export const acceptedBefore = (n: NotificationPayload, connectedAt: number) => Date.parse(n.createdAt) < connectedAt;

/** A notification catch-up sends, marked `replay` when it was accepted before the socket's handshake. */
function missedWhileAway(n: NotificationPayload, connectedAt: number): NotificationPayload {
  return acceptedBefore(n, connectedAt) ? { ...n, replay: true } : { ...n };
}
