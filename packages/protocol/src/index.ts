/**
 * Herald's socket protocol: event names and payloads shared by the API gateway, the browser
 * SDK and the dashboard. Names are part of the public contract: extend, never rename.
 *
 * This file: the end-user namespace's events, handshake, errors and rooms. Beside it: the
 * notification's shape (`schema.ts`, `statuses.ts`), catch-up and inbox (`inbox.ts`), topics and
 * preferences (`preferences.ts`), Web Push (`push.ts`), the dashboard's channel (`admin.ts`).
 */

import type {
  InboxListRequest,
  InboxPage,
  InboxReadEvent,
  ReadRequest,
  StreamCursors,
  SyncReply,
  SyncRequest,
} from './inbox.js';
import { BROADCAST_STREAM } from './inbox.js';
import type {
  PreferencesPatch,
  PreferencesReply,
  TopicReply,
  TopicRequest,
  TopicsReply,
  TopicsRequest,
} from './preferences.js';
import type {
  PushKeyReply,
  PushKeyRotatedReply,
  PushResubscribeEvent,
  PushSubscribeReply,
  PushSubscribeRequest,
} from './push.js';
import type { NotificationPayload } from './schema.js';

export * from './admin.js';
export * from './inbox.js';
export * from './preferences.js';
export * from './push.js';
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
  'topics:list': (request: TopicsRequest, reply: (r: TopicsReply | ErrorReply) => void) => void;
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
