/**
 * Herald's socket protocol: event names and payloads shared by the API gateway, the browser
 * SDK and the dashboard. Names are part of the public contract: extend, never rename.
 */

import type { InboxItem, NotificationPayload } from './schema.js';
import type { DeliveryMode } from './statuses.js';

export * from './statuses.js';

/** Server → client events on the end-user namespace `/`. */
export const ServerEvent = {
  /** A notification for this user. Acknowledge it with the callback. */
  Notification: 'notification',
  /** Notifications were read (on this or another device): close their popups, update badges. */
  InboxRead: 'inbox:read',
  /**
   * Catch-up on connect is over: every notification the socket missed came before this (marked
   * `replay: true`), live ones come after it.
   */
  Synced: 'synced',
  /**
   * Sent just before the server closes the socket on purpose, saying why (`ClosingEvent`); the
   * disconnect that follows has the reason "io server disconnect".
   */
  Closing: 'closing',
  /**
   * This browser's push subscription was made with a VAPID key the app no longer uses
   * (`PushResubscribeEvent`): unsubscribe, subscribe again with `publicKey`, send `push:subscribe`.
   */
  PushResubscribe: 'push:resubscribe',
} as const;

/** Client → server events on the end-user namespace `/`. */
export const ClientEvent = {
  Displayed: 'displayed',
  Clicked: 'clicked',
  /** The popup was closed (dismissed, timed out, or closed because it was read elsewhere). */
  Closed: 'closed',
  /** A fresh token for this socket before the current one expires: no reconnect needed. */
  AuthRefresh: 'auth:refresh',
  /** Mark notifications read: `{ id }` or `{ ids }`. */
  Read: 'read',
  ReadAll: 'read:all',
  /** Confirm everything up to a sequence number and fetch what came after it. */
  Sync: 'sync',
  InboxList: 'inbox:list',
  InboxUnread: 'inbox:unread',
  /**
   * Subscribe this user to a topic, `{ topic }`: allowed for the app's public topics and for those
   * the token's `topics` claim grants (else `HERALD_ERR_TOPIC_FORBIDDEN`).
   */
  Subscribe: 'topics:subscribe',
  /** Take this user out of a topic, `{ topic }`: the same rule as subscribing. */
  Unsubscribe: 'topics:unsubscribe',
  /** The topics this user is in. */
  Topics: 'topics:list',
  /** This user's preferences and the app's categories (`PreferencesReply`). */
  PreferencesGet: 'preferences:get',
  /** Change this user's preferences (`PreferencesPatch`); replies with all of them. */
  PreferencesSet: 'preferences:set',
  /** The app's VAPID public key, the `applicationServerKey` a browser subscribes with (`PushKeyReply`). */
  PushKey: 'push:key',
  /**
   * Register this browser's push subscription (`PushSubscribeRequest`), after subscribing and on
   * every connect while it has one: the server then knows which browser this socket is in.
   */
  PushSubscribe: 'push:subscribe',
  /** Forget this browser's push subscription, `{ endpoint }`. */
  PushUnsubscribe: 'push:unsubscribe',
} as const;

/** Codes carried in `connect_error` `data.code` when a handshake is refused. */
export const HandshakeErrorCode = {
  TokenMissing: 'HERALD_ERR_TOKEN_MISSING',
  TokenInvalid: 'HERALD_ERR_TOKEN_INVALID',
  TokenExpired: 'HERALD_ERR_TOKEN_EXPIRED',
  AppUnknown: 'HERALD_ERR_APP_UNKNOWN',
  /** Signed with a JWT secret that was rotated out (past its grace) or revoked: fetch a new token. */
  TokenRevoked: 'HERALD_ERR_TOKEN_REVOKED',
  /** `exp` is further ahead than the server accepts (HERALD_MAX_TOKEN_LIFETIME_SECONDS). */
  TokenTooLongLived: 'HERALD_ERR_TOKEN_TOO_LONG_LIVED',
  OriginForbidden: 'HERALD_ERR_ORIGIN_FORBIDDEN',
  /** The server could not check the token (database down); the client should retry. */
  Unavailable: 'HERALD_ERR_UNAVAILABLE',
  /** `auth.since` is not a sequence number (an integer from 0 to 2147483647) nor null. */
  CursorInvalid: 'HERALD_ERR_CURSOR_INVALID',
  /**
   * This user's socket was just closed for flooding the server with events: retry after
   * `data.retryAfterMs`.
   */
  RateLimited: 'HERALD_ERR_RATE_LIMITED',
} as const;
export type HandshakeErrorCode = (typeof HandshakeErrorCode)[keyof typeof HandshakeErrorCode];

/** `Error.data` of a refused handshake, as seen by the client's `connect_error` listener. */
export interface HandshakeErrorData {
  code: HandshakeErrorCode;
  /** With `HERALD_ERR_RATE_LIMITED`: how long to wait before connecting again. */
  retryAfterMs?: number;
}

export type {
  DeliveryStatus,
  InboxItem,
  JsonValue,
  NotificationContent,
  NotificationPayload,
  NotificationStatus,
  Priority,
} from './schema.js';

/** `synced` payload: catch-up on connect is over. */
export interface SyncedEvent {
  /** How many notifications the catch-up sent. */
  count: number;
  /** The user's highest sequence number: the cursor to present as `auth.since` next time. */
  head: number;
  /** The head of each stream (topic, or `*`) the user has: the cursors to present as `auth.streams` next time. */
  streams: StreamCursors;
  /** The server's clock (epoch milliseconds), so a client with a wrong clock can still time token refreshes. */
  now: number;
}

/** `closing` payload: sent just before the server closes a socket on purpose. */
export interface ClosingEvent {
  /**
   * Why: e.g. `HERALD_ERR_RATE_LIMITED` (too many events were refused; reconnecting is refused for
   * `retryAfterMs`), `HERALD_ERR_TOKEN_REVOKED` (the app's secret was revoked: get a new token).
   */
  code: string;
  message: string;
  /** False when reconnecting as-is cannot help (the same token or page would be refused again). */
  reconnect: boolean;
  /** Do not reconnect sooner than this. */
  retryAfterMs?: number;
}

/**
 * Where a device stands in each stream of topic sends and broadcasts it has: the topic's name (or
 * `*`, the app's broadcasts) and the highest `stream.seq` it has of it. A stream left out starts at
 * its oldest notification no device of the user received.
 */
export type StreamCursors = Record<string, number>;

/** The name of an app's stream of broadcasts (no topic's name holds a `*`). */
export const BROADCAST_STREAM = '*';

/** `sync` request: "I have everything up to `since`; what came after it?" */
export interface SyncRequest {
  /** The last sequence number this device has; null for a device that has none yet. */
  since: number | null;
  /** The same for the streams of topic sends and broadcasts. */
  streams?: StreamCursors;
  /** Page size, 1 to 200 (default 100). */
  limit?: number;
}

/** `sync` reply: the next notifications in sequence order (empty when caught up). */
export interface SyncReply {
  ok: true;
  notifications: NotificationPayload[];
  /** The user's highest sequence number: the cursor to keep once a reply comes back empty. */
  head: number;
  /** Each stream's head: the stream cursors to keep once a reply comes back empty. */
  streams: StreamCursors;
}

export interface InboxListRequest {
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
  limit?: number;
  unreadOnly?: boolean;
}

export interface InboxPage {
  ok: true;
  items: InboxItem[];
  /** Pass as `cursor` for the next (older) page; null at the end. Opaque. */
  nextCursor: string | null;
  unread: number;
}

/** `inbox:read` payload: which notifications were read, and the new unread count. */
export interface InboxReadEvent {
  ids: string[] | 'all';
  unread: number;
}

export interface ReadRequest {
  id?: string;
  ids?: string[];
}

/** `topics:subscribe` and `topics:unsubscribe` request. */
export interface TopicRequest {
  topic: string;
}

/** Reply to `topics:subscribe` / `topics:unsubscribe`: whether the user is in the topic now. */
export interface TopicReply {
  ok: true;
  topic: string;
  subscribed: boolean;
}

/** Reply to `topics:list`: the user's topics, in name order. */
export interface TopicsReply {
  ok: true;
  topics: string[];
}

/** A category of an app's notifications (`category` of a send), as a user's device sees it. */
export interface Category {
  /** What a send names in `category`. */
  key: string;
  name: string;
  description: string | null;
  /** What a user who chose nothing gets. */
  defaultMode: DeliveryMode;
  /** A required category cannot be turned `off` (by its own choice or its topic's): at least the inbox. */
  required: boolean;
}

/**
 * Quiet hours in the user's time zone: from `start` to `end` (24-hour `HH:MM`; an `end` before
 * `start` ends the next day), notifications that would pop up go to the inbox silently.
 */
export interface QuietHours {
  start: string;
  end: string;
  /** An IANA time zone, e.g. `Europe/Paris`. */
  timeZone: string;
}

/**
 * A user's choices: a mode per category and per topic (those not named follow the category's
 * default; a topic's default is `popup`), and quiet hours. When a notification has both, the
 * lesser mode wins (`off` < `inbox` < `popup`).
 */
export interface Preferences {
  categories: Record<string, DeliveryMode>;
  topics: Record<string, DeliveryMode>;
  quietHours: QuietHours | null;
}

/** A change of preferences: the keys named change (`null` forgets a choice), the rest stay. */
export interface PreferencesPatch {
  categories?: Record<string, DeliveryMode | null>;
  topics?: Record<string, DeliveryMode | null>;
  quietHours?: QuietHours | null;
}

/** Reply to `preferences:get` and `preferences:set`. */
export interface PreferencesReply {
  ok: true;
  preferences: Preferences;
  /** The app's categories, in key order. */
  categories: Category[];
}

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

export type ErrorReply = {
  ok: false;
  code: string;
  message: string;
  /**
   * With `HERALD_ERR_RATE_LIMITED`: the request was refused without being looked at, because this
   * socket sent too many of its kind; this long from now it would be taken.
   */
  retryAfterMs?: number;
};

/** What the client answers to a `notification` event. */
export interface NotificationAck {
  ok: true;
}

/** Payload of the client's lifecycle reports (`displayed`, `clicked`, `read`). */
export interface LifecycleReport {
  id: string;
}

/** Reply to a lifecycle report. */
export type LifecycleReply = { ok: true } | ErrorReply;

/** The handshake's `auth` payload. */
export interface HandshakeAuth {
  /** A user JWT from `POST /v1/tokens`, or signed by the integrator with the app's secret. */
  token: string;
  /** App id, needed only when the token has no `aud` claim and the server hosts several apps. */
  appId?: string;
  /**
   * The highest sequence number this device has. The server first sends everything after it
   * (without it: every notification not yet delivered to any of the user's devices), oldest
   * first, then `synced`, then live notifications.
   */
  since?: number | null;
  /**
   * Where this device stands in the streams of topic sends and broadcasts (`stream` of each
   * notification). Without it (or for a stream it leaves out): every notification of that stream
   * not yet delivered to any of the user's devices.
   */
  streams?: StreamCursors;
}

export interface ServerToClientEvents {
  notification: (payload: NotificationPayload, ack: (reply: NotificationAck) => void) => void;
  'inbox:read': (event: InboxReadEvent) => void;
  synced: (event: SyncedEvent) => void;
  closing: (event: ClosingEvent) => void;
  'push:resubscribe': (event: PushResubscribeEvent) => void;
}

export interface ClientToServerEvents {
  displayed: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
  clicked: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
  closed: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
  'auth:refresh': (request: { token: string }, reply: (r: { ok: true; exp: number } | ErrorReply) => void) => void;
  read: (request: ReadRequest, reply?: (r: { ok: true; unread: number } | ErrorReply) => void) => void;
  'read:all': (request: Record<string, never>, reply?: (r: { ok: true; unread: number } | ErrorReply) => void) => void;
  sync: (request: SyncRequest, reply: (r: SyncReply | ErrorReply) => void) => void;
  'inbox:list': (request: InboxListRequest, reply: (r: InboxPage | ErrorReply) => void) => void;
  'inbox:unread': (
    request: Record<string, never>,
    reply: (r: { ok: true; unread: number } | ErrorReply) => void,
  ) => void;
  'topics:subscribe': (request: TopicRequest, reply: (r: TopicReply | ErrorReply) => void) => void;
  'topics:unsubscribe': (request: TopicRequest, reply: (r: TopicReply | ErrorReply) => void) => void;
  'topics:list': (request: Record<string, never>, reply: (r: TopicsReply | ErrorReply) => void) => void;
  'preferences:get': (request: Record<string, never>, reply: (r: PreferencesReply | ErrorReply) => void) => void;
  'preferences:set': (request: PreferencesPatch, reply: (r: PreferencesReply | ErrorReply) => void) => void;
  'push:key': (request: Record<string, never>, reply: (r: PushKeyReply | ErrorReply) => void) => void;
  'push:subscribe': (
    request: PushSubscribeRequest,
    reply: (r: PushSubscribeReply | PushKeyRotatedReply | ErrorReply) => void,
  ) => void;
  'push:unsubscribe': (
    request: { endpoint: string },
    reply: (r: { ok: true; removed: boolean } | ErrorReply) => void,
  ) => void;
}

/** The room every socket of one user joins. */
export function userRoom(appId: string, userId: string): string {
  return `user:${appId}:${userId}`;
}

/** The room every socket of one app joins (broadcasts). */
export function appRoom(appId: string): string {
  return `app:${appId}`;
}

/** The room every socket of a topic's members joins (topic sends). */
export function topicRoom(appId: string, topic: string): string {
  return `topic:${appId}:${topic}`;
}

/** The room a stream's notifications are emitted to: a topic's, or the app's for its broadcasts. */
export function streamRoom(appId: string, stream: string): string {
  return stream === BROADCAST_STREAM ? appRoom(appId) : topicRoom(appId, stream);
}

/** The dashboard's namespace: signed-in admins only (session cookie). */
export const ADMIN_NAMESPACE = '/admin';

/** Server → dashboard events on `/admin`. */
export const AdminEvent = {
  /** Counters and the last hour's per-minute series, pushed every few seconds. */
  Stats: 'stats',
  /** A notification was accepted. */
  Accepted: 'accepted',
  /** Delivery state of these notifications changed. */
  Deliveries: 'deliveries',
  /** Users came online or went offline. */
  Presence: 'presence',
  /**
   * The admin's session ended (signed out, expired, or the admin was removed): payload
   * `{ code, message }`, then the server closes the channel. Sign in again.
   */
  SessionEnded: 'session:ended',
} as const;

export interface AdminStats {
  presence: { sockets: number; users: number; nodes: number };
  /** Totals over the last hour. */
  lastHour: { sent: number; delivered: number; displayed: number; clicked: number; read: number };
  series: Array<{ t: number; sent: number; delivered: number; displayed: number; clicked: number; read: number }>;
  queue: { waiting: number; active: number; delayed: number; failed: number };
}

export interface AdminAccepted {
  id: string;
  appId: string;
  title: string;
  status: string;
  recipients: number;
  createdAt: string;
}

export interface AdminPresenceChange {
  appId: string;
  userId: string;
  online: boolean;
}
