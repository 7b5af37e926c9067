import { BROADCAST_STREAM, type NotificationPayload, type StreamCursors } from '@herald/protocol';
import { CONTENT_COLUMNS, type DeliveryRow, toPayload } from '../delivery/payload.js';
import { TOPIC_CHOICE } from '../delivery/preferences.js';
import type { Sql } from '../platform/db/database.js';

/**
 * A user's topic sends and broadcasts, read from the streams they have (no row per recipient until
 * something happens). Every statement here starts from the same two lists:
 * - `me`: the user (subscribers row `$1`);
 * - `windows`: each stream the user has had and the part of it that is theirs — the app's
 *   broadcasts since the app knew them, each topic from when they joined to when they left (or
 *   now) — by audience number (see delivery/audience.ts).
 * An entry is the user's when a window holds its audience number, it went out (`seq`), and it is
 * still something to show: no device received it, it was neither cancelled, failed nor expired,
 * and the user's preferences (`herald_mode`) do not turn it off — or a device of theirs did
 * receive it (its receipt `r`). A notification sent to several of the user's topics
 * is theirs through the one they let through most, the first listed among equals (`TOPIC_CHOICE`,
 * then `rank`), so it is counted and listed once.
 */
const WITH_WINDOWS = `me AS (
    SELECT id, app_id, external_id, broadcast_since, preferences,
           COALESCE(preferences -> 'topics', '{}'::jsonb) <> '{}'::jsonb AS chooses_topics
      FROM subscribers WHERE id = $1
  ), windows AS (
    SELECT '${BROADCAST_STREAM}'::text AS stream, broadcast_since AS since_seq, NULL::int AS until_seq FROM me
    UNION ALL
    SELECT t.topic, t.since_seq, NULL::int FROM topic_subscriptions t JOIN me ON t.app_id = me.app_id AND t.external_id = me.external_id
    UNION ALL
    SELECT m.topic, m.since_seq, m.until_seq FROM topic_memberships_ended m JOIN me ON m.app_id = me.app_id AND m.external_id = me.external_id
  )`;

const IN_WINDOW = (e: string, w: string) =>
  `${e}.audience_seq > ${w}.since_seq AND (${w}.until_seq IS NULL OR ${e}.audience_seq <= ${w}.until_seq)`;

/** The user's entries of stream `stream` (an SQL expression), with their notification `n` and receipt `r`. */
const ENTRIES = (stream: string) => `stream_entries e
    JOIN notifications n ON n.id = e.notification_id
    LEFT JOIN deliveries r ON r.notification_id = e.notification_id AND r.subscriber_id = (SELECT id FROM me)
    LEFT JOIN categories cat ON n.category IS NOT NULL AND cat.app_id = n.app_id AND cat.key = n.category
   WHERE e.app_id = (SELECT app_id FROM me) AND e.stream = ${stream} AND e.seq IS NOT NULL
     AND EXISTS (SELECT 1 FROM windows w WHERE w.stream = e.stream AND ${IN_WINDOW('e', 'w')})
     AND (r.notification_id IS NOT NULL
          OR (n.status NOT IN ('cancelled', 'failed', 'expired') AND (n.expires_at IS NULL OR n.expires_at > now())
              AND herald_mode((SELECT preferences FROM me), cat.key, cat.default_mode, cat.required,
                              NULLIF(e.stream, '${BROADCAST_STREAM}')) <> 'off'))
     -- Without topic choices every topic lets through as much: the first listed wins, and an entry
     -- listed first needs no look at the others.
     AND ((e.rank = 0 AND NOT (SELECT chooses_topics FROM me)) OR NOT EXISTS (
       SELECT 1 FROM stream_entries e2 JOIN windows w2 ON w2.stream = e2.stream AND ${IN_WINDOW('e2', 'w2')}
        WHERE e2.notification_id = e.notification_id AND e2.rank <> e.rank AND e2.seq IS NOT NULL
          AND (${TOPIC_CHOICE('(SELECT preferences FROM me)', 'e2.stream')}, -e2.rank)
            > (${TOPIC_CHOICE('(SELECT preferences FROM me)', 'e.stream')}, -e.rank)))`;

/** Like `DELIVERY_ROW_COLUMNS`, for an entry: its receipt's status and read time, and its place in the stream. */
const ENTRY_COLUMNS = `n.id::text AS id, 0 AS seq, COALESCE(r.status::text, 'queued') AS status,
  ${CONTENT_COLUMNS},
  (extract(epoch FROM n.created_at) * 1000)::float8 AS created_ms,
  (extract(epoch FROM n.expires_at) * 1000)::float8 AS expires_ms,
  (extract(epoch FROM r.read_at) * 1000)::float8 AS read_ms,
  e.stream, e.seq AS stream_seq,
  (extract(epoch FROM COALESCE(n.send_at, n.created_at)) * 1000)::float8 AS at_ms`;

/** An entry of a user's stream, as the statements here return it. */
export interface EntryRow extends DeliveryRow {
  stream: string;
  stream_seq: number;
  /** When it went out (its send time, or when it was accepted): the order in which streams interleave. */
  at_ms: number | string;
}

/** The streams the user has, each with its head (the cursor to keep once caught up). */
type Heads = Record<string, number>;

/**
 * At most this many stream cursors are handed to a device to keep (the broadcasts and its user's
 * busiest current topics): a stream without one — a topic left, or one past these — starts at
 * what no device of the user received, so nothing is lost, only another device's copy is not
 * repeated there.
 */
export const MAX_KEPT_CURSORS = 300;

/**
 * The next entries of each of the user's streams after the device's cursors, oldest first, up to
 * `limit` per stream, and every stream's head. A stream the device has no cursor for starts at the
 * user's joining of its topic when the device last caught up before that (`since`, the personal
 * cursor it presented when it connected, is below the number the join took: topics/repository.ts),
 * so it gets what another device of theirs already had there too. Otherwise (a new device, a topic
 * left, one past the cursors a device keeps) it starts before the oldest entry no device of the
 * user received (so the first connect of a new device gets what nobody saw, and its history is in
 * the inbox), or at its head.
 */
export async function streamsAfter(
  sql: Sql,
  subscriberId: string,
  cursors: StreamCursors,
  limit: number,
  since: number | null = null,
): Promise<{ rows: EntryRow[]; heads: Heads; keep: Heads }> {
  const rows = await sql.query<EntryRow & { heads: Heads | null; keep: Heads | null }>(
    `WITH ${WITH_WINDOWS}, heads AS (
       SELECT u.stream, u.current, COALESCE(st.last_seq, 0) AS head, c.value::int AS cursor,
              j.since_seq AS joined_at, j.personal_seq AS joined_personal
         FROM (SELECT stream, bool_or(until_seq IS NULL) AS current FROM windows GROUP BY stream) u
         LEFT JOIN streams st ON st.app_id = (SELECT app_id FROM me) AND st.name = u.stream
         LEFT JOIN jsonb_each_text($2::jsonb) c ON c.key = u.stream
         LEFT JOIN topic_subscriptions j
                ON j.app_id = (SELECT app_id FROM me) AND j.topic = u.stream AND j.external_id = (SELECT external_id FROM me)
     ), keep AS (
       -- The cursors a device is told to keep: the broadcasts and the user's current topics, the
       -- busiest first, at most ${MAX_KEPT_CURSORS} (a handshake stays small).
       SELECT stream, head FROM heads WHERE current
        ORDER BY stream = '${BROADCAST_STREAM}' DESC, head DESC, stream LIMIT ${MAX_KEPT_CURSORS}
     ), starts AS (
       SELECT h.stream, h.head,
              COALESCE(h.cursor,
                       CASE WHEN $4::int < h.joined_personal THEN h.joined_at END,
                       (SELECT min(e.seq) - 1 FROM ${ENTRIES('h.stream')} AND r.notification_id IS NULL),
                       h.head) AS from_seq
         FROM heads h
     )
     SELECT (SELECT jsonb_object_agg(stream, head) FROM heads) AS heads,
            (SELECT jsonb_object_agg(stream, head) FROM keep) AS keep, p.*
       FROM (SELECT 1) one
       LEFT JOIN LATERAL (
         SELECT x.* FROM starts s CROSS JOIN LATERAL (
           SELECT ${ENTRY_COLUMNS} FROM ${ENTRIES('s.stream')} AND e.seq > s.from_seq ORDER BY e.seq LIMIT $3
         ) x
       ) p ON true`,
    [subscriberId, JSON.stringify(cursors), limit, since],
    // Run on every connect: planned once per connection, as the personal sync is.
    { prepare: true },
  );
  return {
    rows: rows.filter((r) => r.id !== null),
    heads: normalize(rows[0]?.heads ?? {}),
    keep: normalize(rows[0]?.keep ?? {}),
  };
}

/**
 * The user's entries newest first, up to `limit + 1` per stream: below the number the inbox
 * cursor gives a stream it cut (`below`), else older than its time floor (`floor`, see
 * inbox/cursor.ts), else from the newest.
 */
export async function streamsBefore(
  sql: Sql,
  subscriberId: string,
  from: { below: Record<string, number>; floor?: [number, string] },
  limit: number,
  unreadOnly: boolean,
): Promise<EntryRow[]> {
  const rows = await sql.query<EntryRow>(
    `WITH ${WITH_WINDOWS}, bounds AS (
       SELECT u.stream, c.value::int AS below
         FROM (SELECT DISTINCT stream FROM windows) u
         LEFT JOIN jsonb_each_text($2::jsonb) c ON c.key = u.stream
     )
     SELECT x.* FROM bounds b CROSS JOIN LATERAL (
       SELECT ${ENTRY_COLUMNS} FROM ${ENTRIES('b.stream')}
          AND (CASE WHEN b.below IS NOT NULL THEN e.seq < b.below
                    WHEN $4::float8 IS NULL THEN true
                    ELSE ((extract(epoch FROM COALESCE(n.send_at, n.created_at)) * 1000)::float8, n.id::text COLLATE "C")
                         < ($4::float8, $5::text COLLATE "C") END)
          ${unreadOnly ? 'AND r.read_at IS NULL' : ''}
        ORDER BY e.seq DESC LIMIT $3
     ) x`,
    [subscriberId, JSON.stringify(from.below), limit + 1, from.floor?.[0] ?? null, from.floor?.[1] ?? null],
    { prepare: true },
  );
  return rows;
}

/** How many of the user's stream notifications are unread. */
export function streamsUnread(sql: Sql, subscriberId: string): Promise<number> {
  return countStreams(sql, subscriberId, true, null);
}

/**
 * How many stream notifications are the user's, read or not, counting no further than `limit`:
 * those a device of theirs received, and those it still may (the inbox's).
 */
export function streamsCount(sql: Sql, subscriberId: string, limit: number): Promise<number> {
  return countStreams(sql, subscriberId, false, limit);
}

async function countStreams(sql: Sql, subscriberId: string, unreadOnly: boolean, limit: number | null) {
  // The unread count (on every inbox read) keeps its statement: no limit, planned for none.
  const [row] = await sql.query<{ n: number }>(
    `WITH ${WITH_WINDOWS}
     SELECT count(*)::int AS n FROM (
       SELECT 1 FROM (SELECT DISTINCT stream FROM windows) u
        CROSS JOIN LATERAL (SELECT 1 FROM ${ENTRIES('u.stream')} ${unreadOnly ? 'AND r.read_at IS NULL' : ''}) x
        ${limit === null ? '' : 'LIMIT $2::int'}) counted`,
    limit === null ? [subscriberId] : [subscriberId, limit],
    { prepare: true },
  );
  return row?.n ?? 0;
}

/**
 * Marks the user's stream notifications read (`ids`, or every unread one): their receipts, written
 * or moved forward. Returns the ids that changed.
 */
export async function readStreams(
  sql: Sql,
  subscriberId: string,
  ids: string[] | 'all',
  set: string,
  guard: string,
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `WITH ${WITH_WINDOWS}
     INSERT INTO deliveries AS d (notification_id, subscriber_id, status, delivered_at, read_at)
     SELECT DISTINCT x.notification_id, $1, 'read'::"DeliveryStatus", now(), now()
       FROM (SELECT DISTINCT stream FROM windows) u
      CROSS JOIN LATERAL (
        SELECT e.notification_id FROM ${ENTRIES('u.stream')} AND r.read_at IS NULL
           ${ids === 'all' ? '' : 'AND e.notification_id = ANY($2::uuid[])'}
      ) x
     ON CONFLICT (notification_id, subscriber_id) DO UPDATE SET ${set} WHERE ${guard}
     RETURNING d.notification_id::text AS id`,
    ids === 'all' ? [subscriberId] : [subscriberId, ids],
  );
  return rows.map((r) => r.id);
}

/**
 * Whether the user (subscribers row `$1`) may have anything in a stream: they are or were in a
 * topic, or a broadcast accepted after the app knew them went out. Cheap (index lookups), so the
 * statements that read a user's personal notifications ask it too, and the streams are read only
 * when it is true.
 */
export const HAS_STREAMS = `EXISTS (
  SELECT 1 FROM subscribers s WHERE s.id = $1 AND (
    EXISTS (SELECT 1 FROM topic_subscriptions t WHERE t.app_id = s.app_id AND t.external_id = s.external_id)
    OR EXISTS (SELECT 1 FROM topic_memberships_ended m WHERE m.app_id = s.app_id AND m.external_id = s.external_id)
    -- A broadcast numbered after the user's window starts went out after it too (an entry's place
    -- is never below its audience number): a short range of the (app, stream, seq) key.
    OR EXISTS (SELECT 1 FROM stream_entries e
                WHERE e.app_id = s.app_id AND e.stream = '${BROADCAST_STREAM}' AND e.seq > s.broadcast_since
                  AND e.audience_seq > s.broadcast_since)))`;

function normalize(heads: Heads): Heads {
  return Object.fromEntries(Object.entries(heads).map(([k, v]) => [k, Number(v)]));
}

/** A stream entry's payload: in no personal sequence, with its place in its stream. */
export function streamPayload(row: EntryRow, freshnessMs: number, now = Date.now()): Timed {
  return {
    at: Number(row.at_ms),
    payload: { ...toPayload(row, freshnessMs, now), stream: { name: row.stream, seq: Number(row.stream_seq) } },
  };
}

/** A payload with the time it went out, by which streams interleave. */
export interface Timed {
  at: number;
  payload: NotificationPayload;
}

/**
 * One list out of the personal notifications (in sequence order) and the streams' (each in its
 * stream's order), oldest first by the time each went out, each stream's own order kept, at most
 * `limit`. A stream notification carries the personal position reached before it as its `seq`
 * (`start`: the position before the first), so a client that keeps the highest `seq` it saw never
 * skips a personal one by keeping it. What is left out comes next time: each cursor only moves
 * past what was sent.
 */
export function interleave(
  personal: NotificationPayload[],
  streamed: Timed[],
  start: number,
  limit: number,
): NotificationPayload[] {
  const lanes: Timed[][] = [personal.map((payload) => ({ at: Date.parse(payload.createdAt), payload }))];
  const byStream = new Map<string, Timed[]>();
  for (const t of streamed) {
    const name = t.payload.stream?.name ?? '';
    const lane = byStream.get(name) ?? [];
    if (lane.length === 0) byStream.set(name, lane);
    lane.push(t);
  }
  for (const lane of byStream.values())
    lanes.push(lane.sort((a, b) => (a.payload.stream?.seq ?? 0) - (b.payload.stream?.seq ?? 0)));
  const out: NotificationPayload[] = [];
  const next = lanes.map(() => 0);
  let position = start;
  while (out.length < limit) {
    let pick = -1;
    lanes.forEach((lane, i) => {
      const t = lane[next[i] as number];
      if (t && (pick < 0 || t.at < (lanes[pick]?.[next[pick] as number]?.at ?? Infinity))) pick = i;
    });
    if (pick < 0) break;
    const t = lanes[pick]?.[next[pick] as number] as Timed;
    next[pick] = (next[pick] as number) + 1;
    if (pick === 0) position = t.payload.seq;
    else t.payload.seq = position;
    out.push(t.payload);
  }
  return out;
}
