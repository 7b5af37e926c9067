/**
 * Herald's socket protocol: event names and payloads shared by the API gateway, the browser
 * SDK and the dashboard. Names are part of the public contract: extend, never rename.
 */

/** Server → client events on the end-user namespace `/`. */
export const ServerEvent = {
  /** A notification for this user. Acknowledge it with the callback. */
  Notification: 'notification',
} as const;

/** Client → server events on the end-user namespace `/`. */
export const ClientEvent = {
  Displayed: 'displayed',
  Clicked: 'clicked',
  Read: 'read',
} as const;

/** Codes carried in `connect_error` `data.code` when a handshake is refused. */
export const HandshakeErrorCode = {
  TokenMissing: 'HERALD_ERR_TOKEN_MISSING',
  TokenInvalid: 'HERALD_ERR_TOKEN_INVALID',
  TokenExpired: 'HERALD_ERR_TOKEN_EXPIRED',
  AppUnknown: 'HERALD_ERR_APP_UNKNOWN',
  OriginForbidden: 'HERALD_ERR_ORIGIN_FORBIDDEN',
  /** The server could not check the token (database down); the client should retry. */
  Unavailable: 'HERALD_ERR_UNAVAILABLE',
} as const;
export type HandshakeErrorCode = (typeof HandshakeErrorCode)[keyof typeof HandshakeErrorCode];

/** `Error.data` of a refused handshake, as seen by the client's `connect_error` listener. */
export interface HandshakeErrorData {
  code: HandshakeErrorCode;
}

export type Priority = 'low' | 'normal' | 'high';

/** JSON value allowed in `data`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The `notification` event's payload. */
export interface NotificationPayload {
  id: string;
  /** Per-user increasing sequence number: the client's resume cursor. */
  seq: number;
  title: string;
  body: string | null;
  icon: string | null;
  image: string | null;
  url: string | null;
  tag: string | null;
  data: JsonValue | null;
  priority: Priority;
  /** ISO 8601 time the notification was accepted. */
  createdAt: string;
}

/** What the client answers to a `notification` event. */
export interface NotificationAck {
  ok: true;
}

/** Payload of the client's lifecycle reports (`displayed`, `clicked`, `read`). */
export interface LifecycleReport {
  id: string;
}

/** Reply to a lifecycle report. */
export type LifecycleReply = { ok: true } | { ok: false; code: string; message: string };

/** The handshake's `auth` payload. */
export interface HandshakeAuth {
  /** A user JWT from `POST /v1/tokens`, or signed by the integrator with the app's secret. */
  token: string;
  /** App id, needed only when the token has no `aud` claim and the server hosts several apps. */
  appId?: string;
}

export interface ServerToClientEvents {
  notification: (payload: NotificationPayload, ack: (reply: NotificationAck) => void) => void;
}

export interface ClientToServerEvents {
  displayed: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
  clicked: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
  read: (report: LifecycleReport, reply?: (r: LifecycleReply) => void) => void;
}

/** The room every socket of one user joins. */
export function userRoom(appId: string, userId: string): string {
  return `user:${appId}:${userId}`;
}

/** The room every socket of one app joins (broadcasts). */
export function appRoom(appId: string): string {
  return `app:${appId}`;
}
