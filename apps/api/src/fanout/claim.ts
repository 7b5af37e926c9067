import { CONTENT_COLUMNS, contentOf, type StoredContent } from '../delivery/payload.js';
import type { StreamPlace } from '../delivery/socket-channel.js';
import type { Sql } from '../platform/db/database.js';
import type { Target } from '../schemas/notifications.js';

/** What the dispatcher uses of a notification it claimed. */
export interface Claimed extends StoredContent {
  id: string;
  appId: string;
  target: Target;
  createdAt: Date;
  expiresAt: Date | null;
  sendAt: Date | null;
  /** What the claim made it: `processing`, or, for a stream send with its places, `dispatched` or `expired`. */
  status: 'processing' | 'dispatched' | 'expired';
  /**
   * A topic send or broadcast that took its places when it was accepted (an immediate one): its
   * places, in the order of its topics. The claim marked it dispatched (or expired) already.
   */
  places: StreamPlace[] | null;
}

interface ClaimRow extends StoredContent {
  id: string;
  app_id: string;
  target: Target;
  created_ms: number | string;
  expires_ms: number | string | null;
  send_ms: number | string | null;
  status: Claimed['status'];
  places: Array<[string, number | string, number | string]> | null;
}

const dateOf = (ms: number | string) => new Date(Number(ms));

/**
 * Claims a notification for its job, unless it was cancelled (or failed) meanwhile, and reads it:
 * one statement. A topic send or broadcast whose places in its streams were all taken when it was
 * accepted has nothing left to write before its emit, so the claim marks it dispatched (or expired,
 * past its ttl) at once, as `dispatchMany` does a batch; anything else is `processing` until its
 * fan-out (or a scheduled stream send's places) is written. A job run again claims a dispatched one
 * again: its emit may not have happened (clients drop a copy by id).
 */
export async function claim(sql: Sql, id: string): Promise<Claimed | null> {
  const [row] = await sql.query<ClaimRow>(
    `WITH entries AS (
       SELECT count(*) AS total, count(seq) AS placed,
              json_agg(json_build_array(stream, seq, audience_seq) ORDER BY rank) AS places
         FROM stream_entries WHERE notification_id = $1::uuid
     ), ready AS (
       SELECT places, total > 0 AND placed = total AS ready FROM entries
     )
     UPDATE notifications n
        SET status = CASE WHEN NOT r.ready THEN 'processing'
                          WHEN n.expires_at IS NOT NULL AND n.expires_at <= now() THEN 'expired'
                          ELSE 'dispatched' END::"NotificationStatus",
            dispatched_at = CASE WHEN r.ready THEN COALESCE(n.dispatched_at, now()) ELSE n.dispatched_at END
       FROM ready r
      WHERE n.id = $1::uuid AND n.status IN ('queued', 'scheduled', 'processing', 'dispatched')
      RETURNING n.id::text AS id, n.app_id, n.target,
        ${CONTENT_COLUMNS},
        (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
        (extract(epoch FROM n.expires_at) * 1000)::float8 AS expires_ms,
        (extract(epoch FROM n.send_at) * 1000)::float8 AS send_ms,
        n.status::text AS status,
        CASE WHEN r.ready THEN r.places END AS places`,
    [id],
  );
  if (!row) return null;
  return {
    ...contentOf(row),
    id: row.id,
    appId: row.app_id,
    target: row.target,
    createdAt: dateOf(row.created_ms),
    expiresAt: row.expires_ms === null ? null : dateOf(row.expires_ms),
    sendAt: row.send_ms === null ? null : dateOf(row.send_ms),
    status: row.status,
    places: row.places?.map(([stream, seq, audience]) => [stream, Number(seq), Number(audience)]) ?? null,
  };
}
