import { BROADCAST_STREAM } from '@herald/protocol';
import type { Sql } from '../platform/db/database.js';
import { Errors } from '../platform/lib/errors.js';
import { notificationRows, type Prepared } from './prepare.js';

/**
 * Who a topic send or broadcast is for, counted when it is accepted: the members of its topics
 * (each user once), or every user the app knows. Refuses a send to a topic that does not exist.
 */
export async function audienceSize(sql: Sql, appId: string, streams: readonly string[]): Promise<number> {
  if (streams.includes(BROADCAST_STREAM)) {
    // Kept by triggers on subscribers (the app_subscriber_count migration): no count of them per send.
    const [row] = await sql.query<{ n: number }>('SELECT subscriber_count AS n FROM apps WHERE id = $1', [appId]);
    return Number(row?.n ?? 0);
  }
  const rows = await sql.query<{ name: string; subscriber_count: number }>(
    'SELECT name, subscriber_count FROM topics WHERE app_id = $1 AND name = ANY($2::text[])',
    [appId, streams],
  );
  const missing = streams.find((s) => !rows.some((r) => r.name === s));
  if (missing !== undefined) throw new Errors.TopicNotFound(missing);
  if (rows.length === 1) return Number(rows[0]?.subscriber_count ?? 0);
  // Several topics: each member once (a read of their memberships, no write).
  const [row] = await sql.query<{ n: number }>(
    'SELECT count(DISTINCT external_id)::int AS n FROM topic_subscriptions WHERE app_id = $1 AND topic = ANY($2::text[])',
    [appId, streams],
  );
  return row?.n ?? 0;
}

/**
 * Stores topic sends and broadcasts: each notification once, and one entry per stream it goes
 * to, numbered from the stream's counter — whatever the number of subscribers, one statement for
 * the whole batch, and 1 + (its topics) rows per notification. The topics' rows are held FOR
 * SHARE meanwhile, so a subscribe (which locks its topic's row to read where a new member's window
 * starts) falls wholly before or after each send. An immediate send takes its place in the stream
 * now (`seq`); a scheduled one when it goes out (its `audience_seq`, taken now, says who it is
 * for). Returns the ids inserted (a taken idempotency key skips its notification).
 */
export async function storeStreams(sql: Sql, prepared: Prepared[]): Promise<Set<string>> {
  if (prepared.length === 0) return new Set();
  const wanted = { ids: [] as string[], streams: [] as string[], ranks: [] as number[], order: [] as number[] };
  const scheduled: boolean[] = [];
  prepared.forEach((p, i) => {
    p.streams.forEach((stream, rank) => {
      wanted.ids.push(p.row.id);
      wanted.streams.push(stream);
      wanted.ranks.push(rank);
      wanted.order.push(i);
      scheduled.push(p.row.status === 'scheduled');
    });
  });
  const appId = prepared[0]?.row.appId ?? '';
  const inserted = await sql.query<{ id: string }>(
    `
    WITH input AS (
      SELECT * FROM jsonb_populate_recordset(NULL::notifications, $1::jsonb)
    ), held AS (
      -- In name order, like every other statement that locks topics.
      SELECT name FROM topics WHERE app_id = $7 AND name = ANY($3::text[]) ORDER BY name FOR SHARE
    ), ins AS (
      INSERT INTO notifications SELECT * FROM input
      ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING id
    ), wanted AS (
      SELECT w.* FROM unnest($2::uuid[], $3::text[], $4::int[], $5::int[], $6::bool[])
               AS w(notification_id, stream, rank, ord, scheduled)
        JOIN ins ON ins.id = w.notification_id
    ), counts AS (
      SELECT stream, count(*)::int AS k FROM wanted GROUP BY stream ORDER BY stream
    ), bumped AS (
      INSERT INTO streams (app_id, name, last_seq)
      SELECT $7, stream, k FROM counts WHERE (SELECT count(*) FROM held) >= 0
      ON CONFLICT (app_id, name) DO UPDATE SET last_seq = streams.last_seq + EXCLUDED.last_seq
      RETURNING name, last_seq
    ), numbered AS (
      SELECT w.notification_id, w.stream, w.rank, w.scheduled,
             b.last_seq - c.k + row_number() OVER (PARTITION BY w.stream ORDER BY w.ord) AS audience
        FROM wanted w JOIN bumped b ON b.name = w.stream JOIN counts c USING (stream)
    ), entries AS (
      INSERT INTO stream_entries (notification_id, app_id, stream, rank, audience_seq, seq)
      SELECT notification_id, $7, stream, rank, audience, CASE WHEN scheduled THEN NULL ELSE audience END
        FROM numbered
    )
    SELECT id::text FROM ins`,
    [
      JSON.stringify(notificationRows(prepared)),
      wanted.ids,
      wanted.streams,
      wanted.ranks,
      wanted.order,
      scheduled,
      appId,
    ],
  );
  return new Set(inserted.map((r) => r.id));
}
