/** The dashboard's live channel (`/admin` namespace): event names and payloads. */

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
