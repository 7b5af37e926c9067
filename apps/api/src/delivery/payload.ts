import type { NotificationPayload } from '@herald/protocol';
import { CONTENT_FIELDS, type DeliveryStatus, type NotificationContent } from '@herald/protocol/schema';

/**
 * A delivery joined with its notification, as the inbox, sync and delivery queries select it
 * (`DELIVERY_ROW_COLUMNS`). Times are epoch milliseconds, so every driver (pg, PGlite, Prisma raw)
 * reads them the same way.
 */
export interface DeliveryRow extends NotificationContent {
  id: string;
  seq: number;
  status: DeliveryStatus;
  created_ms: number | string;
  expires_ms: number | string | null;
  read_ms: number | string | null;
}

/** A notification's content columns (alias `n`), named as `NotificationContent` names them. */
export const CONTENT_COLUMNS = CONTENT_FIELDS.map((f) =>
  f === 'priority' ? 'n.priority::text AS priority' : `n.${f}`,
).join(', ');

/** Columns for `DeliveryRow`, from `deliveries d JOIN notifications n`: the content's own, then ids and times. */
export const DELIVERY_ROW_COLUMNS = `n.id::text AS id, d.seq, d.status::text AS status,
  ${CONTENT_COLUMNS},
  (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM n.expires_at) * 1000)::float8 AS expires_ms,
  (extract(epoch FROM d.read_at) * 1000)::float8 AS read_ms`;

/** The content as the database gives it back: `data` is whatever JSON the driver parsed. */
export type StoredContent = { [K in keyof NotificationContent]: K extends 'data' ? unknown : NotificationContent[K] };

/** The content fields of a stored notification: a Prisma row or a SQL row, which name them alike. */
export function contentOf(row: StoredContent): NotificationContent {
  // Assigned in one order (every such object shares one shape), not Object.fromEntries (a
  // dictionary): this runs once per notification sent.
  const content: Record<string, unknown> = {};
  for (const f of CONTENT_FIELDS) content[f] = row[f] ?? null;
  return content as NotificationContent;
}

const iso = (ms: number | string | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/**
 * The socket payload. `silent` asks the SDK for the inbox only, no popup: the notification is older
 * than the freshness window (a replay after a long disconnect), or was read on another device.
 */
export function toPayload(row: DeliveryRow, freshnessMs: number, now = Date.now()): NotificationPayload {
  return {
    id: row.id,
    seq: row.seq,
    ...contentOf(row),
    createdAt: iso(row.created_ms) as string,
    expiresAt: iso(row.expires_ms),
    silent: now - Number(row.created_ms) > freshnessMs || row.read_ms !== null,
    readAt: iso(row.read_ms),
  };
}

/** A notification's payload before it has a recipient: `seq` is each recipient's, set when it is sent. */
export function unsentPayload(
  n: StoredContent & { id: string; createdAt: Date; expiresAt: Date | null },
  freshnessMs: number,
  now = Date.now(),
): NotificationPayload {
  return {
    id: n.id,
    seq: 0,
    ...contentOf(n),
    createdAt: n.createdAt.toISOString(),
    expiresAt: n.expiresAt?.toISOString() ?? null,
    silent: now - n.createdAt.getTime() > freshnessMs,
    readAt: null,
  };
}
