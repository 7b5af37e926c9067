import { BROADCAST_STREAM } from '@herald/protocol';
import { type StoredContent, unsentPayload } from '../delivery/payload.js';
import { TOPIC_CHOICE } from '../delivery/preferences.js';
import type { Deliver, StreamPlace } from '../delivery/socket-channel.js';
import type { Sql } from '../platform/db/database.js';

/** What sending a stream notification takes (a part of the dispatcher's dependencies). */
export interface StreamDeps {
  sql: Sql;
  deliver: Deliver;
  freshnessMs: number;
}

/** What sending a stream notification uses of it. */
export interface StreamNotification extends StoredContent {
  id: string;
  appId: string;
  createdAt: Date;
  expiresAt: Date | null;
  sendAt: Date | null;
}

/**
 * Sends a claimed topic send or broadcast that has yet to take its places (a scheduled one; an
 * immediate one took them when it was accepted, and its claim dispatched it): no row per
 * recipient. It takes its place in each of its streams now (so catch-up, which reads a stream in
 * order, never finds a gap filled later), is marked dispatched, and goes out (`sendStream`).
 * Per-user rows come later, with the events (delivery/recorder.ts). Safe to run again: the places
 * are kept, and a second emit is a copy clients drop by id.
 */
export async function dispatchStream(
  n: StreamNotification,
  deps: StreamDeps,
  expired: boolean,
): Promise<{ created: 0; emitted: number; skipped?: 'expired' }> {
  // Streams locked in name order, like the accept (intake/streams.ts): no deadlock between them.
  const places = await deps.sql.query<{ stream: string; seq: number; audience_seq: number }>(
    `WITH waiting AS (
       SELECT stream FROM stream_entries WHERE notification_id = $1::uuid AND seq IS NULL
     ), held AS (
       SELECT name FROM streams WHERE app_id = $2 AND name IN (SELECT stream FROM waiting) ORDER BY name FOR UPDATE
     ), bumped AS (
       UPDATE streams s SET last_seq = s.last_seq + 1
        WHERE s.app_id = $2 AND s.name IN (SELECT name FROM held)
        RETURNING s.name, s.last_seq
     ), placed AS (
       UPDATE stream_entries e SET seq = b.last_seq FROM bumped b
        WHERE e.notification_id = $1::uuid AND e.stream = b.name AND e.seq IS NULL
        RETURNING e.stream, e.seq, e.audience_seq, e.rank
     )
     SELECT stream, seq, audience_seq FROM (
       SELECT stream, seq, audience_seq, rank FROM placed
       UNION ALL
       SELECT stream, seq, audience_seq, rank FROM stream_entries WHERE notification_id = $1::uuid AND seq IS NOT NULL
     ) p ORDER BY rank`,
    [n.id, n.appId],
  );
  await deps.sql.query(
    `UPDATE notifications SET status = $2::"NotificationStatus", dispatched_at = COALESCE(dispatched_at, now())
      WHERE id = $1::uuid AND status = 'processing'`,
    [n.id, expired ? 'expired' : 'dispatched'],
  );
  const streams: StreamPlace[] = places.map((p) => [p.stream, Number(p.seq), Number(p.audience_seq)]);
  return sendStream(n, streams, deps, expired);
}

/**
 * Emits a dispatched topic send or broadcast at its places: one message goes to every gateway
 * node, which emits it to its sockets in the topics' rooms (or the app's) whose user it is for;
 * for a scheduled one, with the members who left its topics since it was accepted.
 */
export async function sendStream(
  n: StreamNotification,
  streams: StreamPlace[],
  deps: StreamDeps,
  expired: boolean,
): Promise<{ created: 0; emitted: number; skipped?: 'expired' }> {
  if (expired) return { created: 0, emitted: 0, skipped: 'expired' };
  if (streams.length === 0) return { created: 0, emitted: 0 };
  const formerMembers = n.sendAt ? await leftSinceAccept(deps.sql, n.id, streams) : [];
  await deps.deliver([
    {
      appId: n.appId,
      payload: unsentPayload(n, deps.freshnessMs),
      recipients: [],
      streams,
      ...(formerMembers.length > 0 ? { formerMembers } : {}),
    },
  ]);
  return { created: 0, emitted: 1 };
}

/** At most this many members who left since a scheduled send was accepted get it live; the rest on their next connect. */
export const MAX_FORMER_MEMBERS = 10_000;

/**
 * The members a scheduled topic send was for who left its topics before it went out, each with the
 * index (in `streams`) of the topic it is theirs through: of those, the one they let through most,
 * the first listed among equals (as live, in catch-up and in the push). Their sockets are no longer in
 * the topic's room (a device connected since they left never was), so the gateway reaches them
 * through their user rooms. Read from the ended memberships whose window holds the send.
 */
async function leftSinceAccept(sql: Sql, id: string, streams: StreamPlace[]): Promise<Array<[string, number]>> {
  const rows = await sql.query<{ external_id: string; stream: string }>(
    `SELECT DISTINCT ON (m.external_id) m.external_id, e.stream
       FROM stream_entries e
       JOIN topic_memberships_ended m ON m.app_id = e.app_id AND m.topic = e.stream
        AND m.since_seq < e.audience_seq AND e.audience_seq <= m.until_seq
       JOIN subscribers s ON s.app_id = m.app_id AND s.external_id = m.external_id
      WHERE e.notification_id = $1::uuid AND e.stream <> '${BROADCAST_STREAM}'
      ORDER BY m.external_id, ${TOPIC_CHOICE('s.preferences', 'e.stream')} DESC, e.rank
      LIMIT ${MAX_FORMER_MEMBERS}`,
    [id],
  );
  const index = new Map(streams.map(([stream], i) => [stream, i]));
  return rows.flatMap((r) => {
    const i = index.get(r.stream);
    return i === undefined ? [] : [[r.external_id, i] as [string, number]];
  });
}
