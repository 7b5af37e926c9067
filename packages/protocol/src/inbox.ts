/** Catch-up and the inbox on the socket: cursors, `sync`, inbox pages and read state. */

import type { InboxItem, NotificationPayload } from './schema.js';

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
