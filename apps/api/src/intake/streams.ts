import { BROADCAST_STREAM } from '@herald/protocol';
import type { Sql } from '../platform/db/database.js';
import { Errors } from '../platform/lib/errors.js';
import { notificationRows, type Prepared } from './prepare.js';

/**
 * Who a topic send or broadcast would be for now: the members of its topics (each user once), or
 * every user the app knows (the composer's estimate; an accepted send's recipients are counted by
 * the statement that stores it, `storeStreams`). Refuses a topic that does not exist.
 */
export async function audienceSize(sql: Sql, appId: string, streams: readonly string[]): Promise<number> {
  await refuseMissingTopics(sql, appId, streams);
  const [row] = await sql.query<{ n: number }>('SELECT herald_audience_size($1, $2::text[]) AS n', [appId, streams]);
  return Number(row?.n ?? 0);
}

/** A 404 for a send to a topic that does not exist (a broadcast needs none). */
export async function refuseMissingTopics(sql: Sql, appId: string, streams: readonly string[]): Promise<void> {
  if (streams.includes(BROADCAST_STREAM)) return;
  const rows = await sql.query<{ name: string }>(
    'SELECT name FROM topics WHERE app_id = $1 AND name = ANY($2::text[])',
    [appId, streams],
  );
  const missing = streams.find((s) => !rows.some((r) => r.name === s));
  if (missing !== undefined) throw new Errors.TopicNotFound(missing);
}

/**
 * Stores topic sends and broadcasts: each notification once, and one entry per stream it goes
 * to, numbered from the stream's counter — whatever the number of subscribers, one statement for
 * the whole batch, and 1 + (its topics) rows per notification. The topics' rows (for a broadcast,
 * the app's) are held FOR SHARE meanwhile, so a subscribe, or a statement adding users to the app
 * (both lock that row to read where a new member's window starts), falls wholly before or after
 * each send — and its recipients, counted under those locks (`herald_audience_size`), are exactly
 * the members its entries are for. An immediate send takes its place in the stream now (`seq`); a
 * scheduled one when it goes out (its `audience_seq`, taken now, says who it is for). Returns the
 * ids inserted (a taken idempotency key skips its notification), and sets each one's
 * `recipientCount`.
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
  const inserted = await sql.query<{ id: string; recipients: number }>(
    `
    WITH app AS (
      -- The app, held until the commit (migration app_hold): none, nothing stored. First, before the topics.
      SELECT 1 WHERE herald_hold_app($7)
    ), held AS (
      -- In name order, like every other statement that locks topics; a broadcast's app row, which
      -- the subscriber-count trigger locks before a user's window in the broadcasts is read.
      SELECT name FROM topics WHERE app_id = $7 AND name = ANY($3::text[]) AND EXISTS (SELECT 1 FROM app)
       ORDER BY name FOR SHARE
    ), held_app AS (
      SELECT id FROM apps WHERE id = $7 AND '${BROADCAST_STREAM}' = ANY($3::text[]) FOR SHARE
    ), locked AS (
      -- Read (whole) by the first statement below that needs the locks: both wait for it.
      SELECT (SELECT count(*) FROM held) + (SELECT count(*) FROM held_app) AS n
    ), counted AS (
      -- After the locks: the function's fresh snapshot sees every membership that committed before them.
      SELECT w.ord, herald_audience_size($7, array_agg(w.stream ORDER BY w.rank)) AS n
        FROM unnest($3::text[], $4::int[], $5::int[]) AS w(stream, rank, ord)
       WHERE (SELECT n FROM locked) >= 0
       GROUP BY w.ord
    ), input AS (
      SELECT r.* FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(row, i)
        JOIN counted c ON c.ord = x.i - 1 AND EXISTS (SELECT 1 FROM app)
       CROSS JOIN LATERAL jsonb_populate_record(NULL::notifications, x.row || jsonb_build_object('recipient_count', c.n)) r
    ), ins AS (
      INSERT INTO notifications SELECT * FROM input
      ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING id, recipient_count
    ), wanted AS (
      SELECT w.* FROM unnest($2::uuid[], $3::text[], $4::int[], $5::int[], $6::bool[])
               AS w(notification_id, stream, rank, ord, scheduled)
        JOIN ins ON ins.id = w.notification_id
    ), counts AS (
      SELECT stream, count(*)::int AS k FROM wanted GROUP BY stream ORDER BY stream
    ), bumped AS (
      INSERT INTO streams (app_id, name, last_seq)
      SELECT $7, stream, k FROM counts WHERE (SELECT n FROM locked) >= 0
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
    SELECT id::text, recipient_count AS recipients FROM ins`,
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
  const recipients = new Map(inserted.map((r) => [r.id, Number(r.recipients)]));
  for (const p of prepared) {
    const n = recipients.get(p.row.id);
    if (n !== undefined) p.row.recipientCount = n;
  }
  return new Set(recipients.keys());
}
