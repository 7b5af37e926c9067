/** Web Push on the socket and in the push message: the app's key, a browser's subscription, receipts. */

/** Reply to `push:key`. */
export interface PushKeyReply {
  ok: true;
  /** The app's VAPID public key, base64url (an uncompressed P-256 point). */
  publicKey: string;
}

/** `push:subscribe`: a browser's `PushSubscription.toJSON()`, and the key it was made with. */
export interface PushSubscribeRequest {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The `applicationServerKey` the browser subscribed with, base64url. */
  publicKey: string;
  expirationTime?: number | null;
}

/** Reply to `push:subscribe`. */
export interface PushSubscribeReply {
  ok: true;
  subscription: { id: string; status: 'active' };
  /**
   * A token the service worker keeps for `pushsubscriptionchange` (`POST /push/renew`), where it
   * has no user token.
   */
  renew: string;
}

/** `push:subscribe` refused because the app's key changed: subscribe again with this one. */
export interface PushKeyRotatedReply {
  ok: false;
  code: 'HERALD_ERR_PUSH_KEY_ROTATED';
  message: string;
  publicKey: string;
}

/** `push:resubscribe`: the key to subscribe again with. */
export interface PushResubscribeEvent {
  publicKey: string;
}

/** Events a push message's service worker reports back (`POST /push/receipts`). */
export const PUSH_RECEIPT_EVENTS = ['displayed', 'clicked', 'closed'] as const;
export type PushReceiptEvent = (typeof PUSH_RECEIPT_EVENTS)[number];

/** Herald's part of a push message (`notification.data.herald`). */
export interface PushMessageHerald {
  id: string;
  /** Signed: says which notification and which browser, expires with the notification. */
  receipt: string;
  /** Where to POST `{ receipt, event }`. */
  receipts: string;
  data?: Record<string, unknown>;
  /** What was cut to fit the 4 KB a push message may carry. */
  trimmed?: Array<'data' | 'body'>;
}

/** A push message, Declarative Web Push (Safari 18.4+ shows it without a script; Herald's worker elsewhere). */
export interface PushMessage {
  web_push: 8030;
  notification: {
    title: string;
    body?: string;
    navigate: string;
    tag: string;
    timestamp: number;
    silent?: boolean;
    lang?: string;
    icon?: string;
    data: { herald: PushMessageHerald };
  };
}
