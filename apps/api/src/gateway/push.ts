import {
  ClientEvent,
  type ErrorReply,
  type PushKeyReply,
  type PushSubscribeRequest,
  ServerEvent,
} from '@herald/protocol';
import type { PushKeyEvent, VapidKeyStore } from '../delivery/push/keys.js';
import type { PushSubscriptionStore } from '../delivery/push/subscriptions.js';
import type { DeliveryRecorder } from '../delivery/recorder.js';
import type { GatewayServer, GatewaySocket } from './types.js';

type Answer = <R>(reply: ((r: R | ErrorReply) => void) | undefined, work: () => Promise<R | ErrorReply>) => void;

/**
 * Web Push over the user's socket (docs/web-push.md): the app's public key to subscribe with, and
 * this browser's subscription, registered on subscribing and on every connect — from then on the
 * socket knows which browser it is in (`data.pushSubscriptionId`): an ack on it spares that
 * browser the push, and so do the acks it gave just before (`data.earlyAcks`).
 */
export function handlePush(
  socket: GatewaySocket,
  deps: {
    vapid: VapidKeyStore;
    pushSubscriptions: PushSubscriptionStore;
    recorder: Pick<DeliveryRecorder, 'recordBrowser'>;
  },
  answer: Answer,
): void {
  const { appId, subscriberId } = socket.data;
  socket.on(ClientEvent.PushKey, (_request, done) =>
    answer(done, async (): Promise<PushKeyReply | ErrorReply> => {
      const keys = await deps.vapid.get(appId);
      if (!keys) return { ok: false, code: 'HERALD_ERR_APP_UNKNOWN', message: `App "${appId}" does not exist.` };
      return { ok: true, publicKey: keys.publicKey };
    }),
  );
  socket.on(ClientEvent.PushSubscribe, (request, done) =>
    answer(done, async () => {
      // Read from the socket's data: the handshake's headers are dropped once it is authenticated.
      const saved = await deps.pushSubscriptions.register(
        appId,
        subscriberId,
        request as PushSubscribeRequest,
        socket.data.origin,
        socket.data.userAgent,
      );
      if (saved.ok) {
        socket.data.pushSubscriptionId = saved.subscription.id;
        // What this socket acked before (catch-up on connect comes first): this browser has it.
        for (const id of socket.data.earlyAcks ?? []) {
          deps.recorder.recordBrowser(id, saved.subscription.id, appId, subscriberId);
        }
        socket.data.earlyAcks = undefined;
      }
      return saved;
    }),
  );
  socket.on(ClientEvent.PushUnsubscribe, (request, done) =>
    answer(done, async () => {
      const endpoint = (request as { endpoint?: unknown } | null)?.endpoint;
      if (typeof endpoint !== 'string') {
        return { ok: false as const, code: 'HERALD_ERR_VALIDATION', message: '"push:unsubscribe" needs { endpoint }.' };
      }
      const removed = await deps.pushSubscriptions.remove(appId, subscriberId, endpoint);
      if (removed) delete socket.data.pushSubscriptionId;
      return { ok: true as const, removed };
    }),
  );
}

/**
 * An app's push key was rotated: this node's sockets whose browser registered a subscription
 * (made with the old key) are told to subscribe again, and their acks no longer name it.
 */
export function applyPushKey(io: GatewayServer, event: PushKeyEvent): void {
  for (const socket of io.of('/').sockets.values()) {
    if (socket.data.appId !== event.appId || !socket.data.pushSubscriptionId) continue;
    delete socket.data.pushSubscriptionId;
    socket.emit(ServerEvent.PushResubscribe, { publicKey: event.publicKey });
  }
}
