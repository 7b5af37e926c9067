import type { NotificationPayload } from '@herald/protocol';

/**
 * A delivery joined with its notification, as the inbox and sync queries select it. Times are
 * epoch milliseconds, so every driver (pg, PGlite, Prisma raw) reads them the same way.
 */
export interface DeliveryRow {
  id: string;
  seq: number;
  status: string;
  title: string;
  body: string | null;
  icon: string | null;
  image: string | null;
  url: string | null;
  tag: string | null;
  data: unknown;
  priority: 'low' | 'normal' | 'high';
  created_ms: number | string;
  expires_ms: number | string | null;
  read_ms: number | string | null;
}

/** Columns for `DeliveryRow`, from `deliveries d JOIN notifications n`. */
export const DELIVERY_ROW_COLUMNS = `n.id::text AS id, d.seq, d.status::text AS status, n.title, n.body, n.icon, n.image,
  n.url, n.tag, n.data, n.priority::text AS priority,
  (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM n.expires_at) * 1000)::float8 AS expires_ms,
  (extract(epoch FROM d.read_at) * 1000)::float8 AS read_ms`;

const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * The socket payload. `silent` asks the SDK for the inbox only, no popup: the notification is older
 * than the freshness window (a replay after a long disconnect), or was read on another device.
 */
export function toPayload(row: DeliveryRow, freshnessMs: number, now = Date.now()): NotificationPayload {
  const stale = now - Number(row.created_ms) > freshnessMs;
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
    createdAt: iso(row.created_ms) as string,
    expiresAt: iso(row.expires_ms),
    silent: stale || row.read_ms !== null,
    readAt: iso(row.read_ms),
  };
}
