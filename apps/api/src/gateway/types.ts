/**
 * The typed event maps of Herald's Socket.IO servers: the user namespace (`/`, the public
 * protocol of `@herald/protocol`), the dashboard's `/admin` namespace, and the events the nodes
 * of a cluster tell each other (`serverSideEmit`). Everything that emits or listens is typed by
 * these; nothing else casts a server, namespace or socket.
 */

import {
  ADMIN_NAMESPACE,
  type AdminAccepted,
  AdminEvent,
  type AdminPresenceChange,
  type AdminStats,
  type ClientToServerEvents,
  type ClosingEvent,
  type NotificationPayload,
  ServerEvent,
  type ServerToClientEvents,
} from '@herald/protocol';
import type { Namespace, Server, Socket } from 'socket.io';
import type { AdminPrincipal, EndedSessions } from '../admin/session/admin-auth.js';
import type { StoredPreferences } from '../delivery/preferences.js';
import type { PushKeyEvent } from '../delivery/push/keys.js';
import type { PreferencesEvent } from '../preferences/repository.js';
import type { MembershipEvent } from '../topics/repository.js';

/**
 * A socket's catch-up on connect (`gateway/catch-up.ts`): while it runs, live notifications for the
 * socket wait in `held`; afterwards (`held` null) those it already sent, up to sequence `upTo`, are
 * skipped. So a client gets what it missed, then live ones, with no gap and no copy at the seam.
 */
export interface CatchUpState {
  /** Live notifications waiting for the catch-up, each with its recipient's subscriber id. */
  held: Array<[NotificationPayload, string]> | null;
  /** The personal sequence number the catch-up sent up to. */
  upTo: number;
  /** Each stream's head when the catch-up ended: live copies up to it were in the catch-up. */
  streams: Record<string, number>;
  /** The highest personal sequence number sent to this socket: stream copies carry it as their `seq`. */
  seq: number;
}

/** What the gateway keeps on a user's socket once its handshake passed. */
export interface SocketData {
  appId: string;
  userId: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
  /** Fingerprint of the app secret that verified the token: a rotation or revocation closes the socket. */
  secretId: string;
  /** When the socket is closed unless a fresh token comes first, ms since the epoch (see gateway/credentials.ts). */
  validUntil: number;
  /** The page's origin, when the handshake had one: a change of the app's allowed origins rechecks it. */
  origin?: string;
  /** The handshake's User-Agent (at most 300 characters), recorded with the browser's push subscription. */
  userAgent?: string;
  subscriberId: string;
  /** The token's `topics` claim: topics this user may subscribe to from the SDK besides the public ones. */
  topicGrants: readonly string[];
  /** `auth.since` of the handshake: where catch-up on connect starts (null: the oldest undelivered). */
  since: number | null;
  /** `auth.streams` of the handshake: where catch-up starts in each stream of topic sends and broadcasts. */
  streamCursors: Record<string, number>;
  /** The user's topics, each with the stream counter its membership's window starts after (gateway/topic-rooms.ts). */
  topics: Map<string, number>;
  /** Windows in topics the user left while this socket was connected: (since, until] each. */
  ended: Map<string, Array<[since: number, until: number]>>;
  /** The broadcast stream's counter when the app came to know this user: broadcasts numbered after it are theirs. */
  broadcastSince: number;
  /** The user's preferences (kept current by gateway/preferences.ts): the gateway silences popups by them. */
  preferences: StoredPreferences;
  /** This socket's browser's push subscription, once the SDK registered it (`push:subscribe`). */
  pushSubscriptionId?: string;
  /** Notifications this socket acked in its first seconds, before its browser registered (delivery/socket-channel.ts). */
  earlyAcks?: string[];
  /** Set while (and after) catch-up on connect runs: live notifications wait for it. */
  catchUp?: CatchUpState;
}

/** Between the nodes of a cluster, through the Redis adapter. */
export interface InterServerEvents {
  /** An app's secret, keys or allowed origins changed: forget cached copies, recheck its sockets. */
  'herald:app-changed': (appId: string) => void;
  /** A user's preferences changed: this node's sockets of the user take them. */
  'herald:preferences': (event: PreferencesEvent) => void;
  /** An app's push key was rotated: forget the cached keys, tell this node's subscribed browsers. */
  'herald:push-key': (event: PushKeyEvent) => void;
  /** An API key was revoked: forget its cached copy. */
  'herald:key-revoked': (keyId: string) => void;
  /** Users joined or left a topic, or it was deleted: every node moves its sockets' topic rooms. */
  'herald:topic-members': (event: MembershipEvent) => void;
  /** Admin sessions ended (on `/admin`): every node closes the channels opened with them. */
  'herald:admin-sessions-ended': (ended: EndedSessions) => void;
}

/** Server → dashboard, on `/admin`. */
export interface AdminServerToClientEvents {
  [AdminEvent.Stats]: (stats: AdminStats) => void;
  [AdminEvent.Accepted]: (notification: AdminAccepted) => void;
  [AdminEvent.Deliveries]: (change: { ids: string[] }) => void;
  [AdminEvent.Presence]: (changes: AdminPresenceChange[]) => void;
  [AdminEvent.SessionEnded]: (ended: { code: string; message: string }) => void;
  /** Before the server closes a channel that flooded it with events (gateway/rate-limit.ts). */
  [ServerEvent.Closing]: (event: ClosingEvent) => void;
}

/** What the admin channel keeps on its socket: the signed-in admin (see admin/session/admin-auth.ts). */
export interface AdminSocketData {
  admin?: AdminPrincipal;
}

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
/** The user namespace's server, as the delivery path and the inbox see it: something to emit to. */
export type Emitter = GatewayServer;
// The dashboard sends nothing over its channel: it reads and changes through the admin REST API.
export type AdminNamespace = Namespace<
  Record<string, never>,
  AdminServerToClientEvents,
  InterServerEvents,
  AdminSocketData
>;

/**
 * The `/admin` namespace with its own event maps. Socket.IO types `of()` with the server's (user)
 * maps whatever the name, so this is the one place that says otherwise.
 */
export const adminNamespace = (io: GatewayServer): AdminNamespace =>
  io.of(ADMIN_NAMESPACE) as unknown as AdminNamespace;
