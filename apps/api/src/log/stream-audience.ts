import { BROADCAST_STREAM, type DeliveryMode } from '@herald/protocol';
import { ENTRY_FOR_USER } from '../delivery/audience.js';
import { type CategoryRule, notPopupReason, type StoredPreferences, TOPIC_CHOICE } from '../delivery/preferences.js';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';

/** A member of a topic send's or broadcast's audience, as a page of its recipient list shows them. */
export interface AudienceMember {
  subscriber_id: string;
  external_id: string;
  /**
   * Their receipt's status; else what their pushes say (sent, queued, failed, skipped); else
   * `skipped` when their preferences turn it off, the notification's ending (cancelled, expired,
   * failed), or `queued`: no device of theirs has it yet (the next one to connect catches up).
   */
  status: string;
  preferences: StoredPreferences;
  /** The topic it reached them through (of the send's they were in, the one they let through most); null for a broadcast. */
  topic: string | null;
  category: string | null;
  default_mode: DeliveryMode | null;
  required: boolean | null;
}

/**
 * A user's status by their pushes of a notification (rows `pd` of push_deliveries, grouped), for a
 * user no device said anything about yet: sent once a push service took it, failed once every
 * browser's push ended without, skipped if preferences kept them all, else queued.
 */
export const PUSHES_STATUS = `CASE WHEN bool_or(pd.status = 'sent') THEN 'sent'
  WHEN bool_or(pd.status = 'pending') THEN 'queued'
  WHEN bool_and(pd.status = 'skipped') THEN 'skipped'
  ELSE 'failed' END`;

/** Members read per statement when a status filter leaves most of them out. */
const FILTER_SCAN = 1000;
/** Statements a filtered page may take: past them, it ends where the reading stopped. */
export const FILTER_STATEMENTS = 20;

/**
 * A page of the audience of a topic send or broadcast, in user-id order: the members of its
 * topics when it was accepted (their windows in each topic hold its place, as catch-up reads
 * them), or, for a broadcast, every user the app knew then. No row per member is stored, so the
 * page is read from the memberships, with each member's receipt and pushes, and their
 * preferences for what has neither. Each source is read only as far as the page goes; a status
 * filter reads on, `FILTER_SCAN` members a statement, until its page is full, the audience ends,
 * or `FILTER_STATEMENTS` statements were read (then `readTo` is the last member read: the next
 * page starts after it, and this one may hold fewer than `limit`, or none).
 * `members` holds up to `limit + 1` (one more says there is a next page).
 */
export async function streamAudiencePage(
  prisma: PrismaClient,
  appId: string,
  id: string,
  options: { cursor: string | null; status: string | null; limit: number },
): Promise<{ members: AudienceMember[]; readTo: string | null }> {
  const { status, limit } = options;
  const scan = status === null ? limit + 1 : Math.max(limit + 1, FILTER_SCAN);
  const page: AudienceMember[] = [];
  let after = options.cursor;
  for (let statements = 1; ; statements++) {
    const members = await audienceAfter(prisma, appId, id, after, scan);
    page.push(...(status === null ? members : members.filter((m) => m.status === status)));
    const last = members.at(-1);
    if (page.length > limit || members.length < scan || !last)
      return { members: page.slice(0, limit + 1), readTo: null };
    if (statements === FILTER_STATEMENTS) return { members: page, readTo: last.external_id };
    after = last.external_id;
  }
}

/** The next `scan` members after `cursor` in user-id order, each with their status. */
function audienceAfter(prisma: PrismaClient, appId: string, id: string, cursor: string | null, scan: number) {
  return prisma.$queryRaw<AudienceMember[]>(audience(appId, id, cursor, scan));
}

/**
 * The whole audience of a topic send or broadcast by status, each member counted as its recipient
 * list shows them (the same statement, read to the end): what `counts` of the notification says.
 * It reads every member, as a recipient list read to its end would.
 */
export async function streamAudienceCounts(prisma: Pick<PrismaClient, '$queryRaw'>, appId: string, id: string) {
  const rows = await prisma.$queryRaw<Array<{ status: string; n: number }>>`
    SELECT status, count(*)::int AS n FROM (${audience(appId, id, null, null)}) a GROUP BY status`;
  return new Map(rows.map((r) => [r.status, r.n]));
}

/**
 * The members after `cursor` in user-id order, at most `scan` of them (null: all), each with
 * their status: the statement behind both the recipient list and the counts.
 */
function audience(appId: string, id: string, cursor: string | null, scan: number | null) {
  return Prisma.sql`
    WITH n AS (
      SELECT id, app_id, created_at, category, status, expires_at FROM notifications WHERE id = ${id}::uuid AND app_id = ${appId}
    ), e AS (
      SELECT notification_id, app_id, stream, rank, audience_seq FROM stream_entries WHERE notification_id = ${id}::uuid
    ), members AS (
      -- Each source's first members after the cursor; together, the first of the audience.
      SELECT DISTINCT external_id FROM (
        (SELECT s.external_id FROM subscribers s JOIN e ON e.stream = ${BROADCAST_STREAM}
          WHERE s.app_id = e.app_id AND s.broadcast_since < e.audience_seq
            AND (${cursor}::text IS NULL OR s.external_id > ${cursor}::text)
          ORDER BY s.external_id LIMIT ${scan}::int)
        UNION ALL
        SELECT t.external_id FROM e CROSS JOIN LATERAL (
          SELECT t.external_id FROM topic_subscriptions t
           WHERE t.app_id = e.app_id AND t.topic = e.stream AND t.since_seq < e.audience_seq
             AND (${cursor}::text IS NULL OR t.external_id > ${cursor}::text)
           ORDER BY t.external_id LIMIT ${scan}::int) t
        UNION ALL
        SELECT m.external_id FROM e CROSS JOIN LATERAL (
          SELECT m.external_id FROM topic_memberships_ended m
           WHERE m.app_id = e.app_id AND m.topic = e.stream AND m.since_seq < e.audience_seq AND e.audience_seq <= m.until_seq
             AND (${cursor}::text IS NULL OR m.external_id > ${cursor}::text)
             -- A window outlives its user only if their row was deleted by hand: not counted.
             AND EXISTS (SELECT 1 FROM subscribers s WHERE s.app_id = m.app_id AND s.external_id = m.external_id)
           ORDER BY m.external_id LIMIT ${scan}::int) m
      ) c ORDER BY external_id LIMIT ${scan}::int
    ), listed AS (
      SELECT s.id AS subscriber_id, s.external_id, s.preferences,
             -- Sent to one stream, every member is in the audience through it: nothing to choose.
             CASE WHEN (SELECT count(*) FROM e) = 1 THEN (SELECT NULLIF(e.stream, ${BROADCAST_STREAM}) FROM e)
                  ELSE (SELECT NULLIF(e.stream, ${BROADCAST_STREAM}) FROM e WHERE ${Prisma.raw(ENTRY_FOR_USER)}
                         ORDER BY ${Prisma.raw(TOPIC_CHOICE('s.preferences', 'e.stream'))} DESC, e.rank LIMIT 1)
             END AS topic,
             d.status::text AS row_status,
             (SELECT ${Prisma.raw(PUSHES_STATUS)}
                FROM push_deliveries pd WHERE pd.notification_id = ${id}::uuid AND pd.subscriber_id = s.id
              HAVING count(*) > 0) AS push_status
        FROM members mb
        JOIN subscribers s ON s.app_id = ${appId} AND s.external_id = mb.external_id
        LEFT JOIN deliveries d ON d.notification_id = ${id}::uuid AND d.subscriber_id = s.id
    )
    SELECT l.subscriber_id, l.external_id, l.preferences, l.topic, n.category, cat.default_mode, cat.required,
           COALESCE(l.row_status, l.push_status,
             CASE WHEN herald_mode(COALESCE(l.preferences, '{}'), cat.key, cat.default_mode, cat.required, l.topic) = 'off' THEN 'skipped'
                  WHEN n.status IN ('cancelled', 'expired', 'failed') THEN n.status::text
                  WHEN n.expires_at IS NOT NULL AND n.expires_at <= now() THEN 'expired'
                  ELSE 'queued' END) AS status
      FROM listed l CROSS JOIN n
      LEFT JOIN categories cat ON n.category IS NOT NULL AND cat.app_id = n.app_id AND cat.key = n.category
     ORDER BY l.external_id`;
}

/** Why a member without a receipt or a push was skipped: whose choice of which category or topic. */
export function skippedReason(m: AudienceMember): string {
  const rule: CategoryRule | undefined = m.default_mode ? [m.default_mode, m.required === true] : undefined;
  return notPopupReason(m.preferences, m.category, rule, m.topic);
}
