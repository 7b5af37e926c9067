import type { NotificationPayload } from '@herald/protocol';

/** A delivery joined with its notification, as the inbox and sync queries select it. */
export interface DeliveryRow {
  id: string;
  seq: number;
  status: string;
  read_at: Date | null;
  title: string;
  body: string | null;
  icon: string | null;
  image: string | null;
  url: string | null;
  tag: string | null;
  data: unknown;
  priority: 'low' | 'normal' | 'high';
  created_at: Date;
  expires_at: Date | null;
}

/** Columns for `DeliveryRow`, from `deliveries d JOIN notifications n`. */
export const DELIVERY_ROW_COLUMNS = `n.id, d.seq, d.status::text AS status, d.read_at, n.title, n.body, n.icon, n.image, n.url,
  n.tag, n.data, n.priority::text AS priority, n.created_at, n.expires_at`;

/**
 * The socket payload. `silent` asks the SDK for the inbox only, no popup: the notification is older
 * than the freshness window (a replay after a long disconnect), or was read on another device.
 */
export function toPayload(row: DeliveryRow, freshnessMs: number, now = Date.now()): NotificationPayload {
  const stale = now - row.created_at.getTime() > freshnessMs;
  return {
    id: row.id,
    seq: row.seq,
    title: row.title,
    body: row.body,
    icon: row.icon,
    image: row.image,
    url: row.url,
    tag: row.tag,
    data: (row.data ?? null) as NotificationPayload['data'],
    priority: row.priority,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    silent: stale || row.read_at !== null,
    readAt: row.read_at?.toISOString() ?? null,
  };
}
