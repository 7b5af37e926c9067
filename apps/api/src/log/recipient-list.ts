import type { DeliveryStatus, PrismaClient } from '../generated/prisma/client.js';
import { Prisma } from '../generated/prisma/client.js';
import { keysetPage } from '../platform/lib/cursor.js';
import { Errors } from '../platform/lib/errors.js';
import { isUuid } from '../platform/lib/text.js';
import { type AudienceMember, PUSHES_STATUS, skippedReason, streamAudiencePage } from './stream-audience.js';

/**
 * The users of a send to users who have no row of it yet — it is scheduled, waits for its fan-out,
 * or was stopped before it — each with the status the notification gives them: its ending, or
 * queued. (A row is written for every one of them when it goes out: skipped, if their preferences
 * say so. Once it went out, a user without a row was deleted since, and is not listed.)
 */
const PENDING_USERS = (id: string) => Prisma.sql`
  SELECT DISTINCT u.external_id,
         CASE WHEN n.status IN ('cancelled', 'expired', 'failed') THEN n.status::text
              WHEN n.expires_at IS NOT NULL AND n.expires_at <= now() THEN 'expired'
              ELSE 'queued' END AS status
    FROM notifications n
    CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN n.target ? 'userIds' THEN n.target->'userIds' WHEN n.target ? 'userId' THEN jsonb_build_array(n.target->'userId')
           ELSE '[]'::jsonb END) AS u(external_id)
   WHERE n.id = ${id}::uuid AND n.dispatched_at IS NULL
     AND n.recipient_count > (SELECT count(*) FROM deliveries WHERE notification_id = n.id)
     AND NOT EXISTS (SELECT 1 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                      WHERE d.notification_id = n.id AND s.app_id = n.app_id AND s.external_id = u.external_id)`;

/** Per-recipient state and timeline, ordered by user id, with a cursor. */
export async function recipientPage(
  prisma: PrismaClient,
  appId: string,
  id: string,
  options: { cursor?: string; limit: number; status?: string },
) {
  if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
  const [n] = await prisma.$queryRaw<Array<{ created_at: Date; expires_at: Date | null; streamed: boolean }>>`
      SELECT created_at, expires_at, EXISTS (SELECT 1 FROM stream_entries WHERE notification_id = ${id}::uuid) AS streamed
        FROM notifications WHERE id = ${id}::uuid AND app_id = ${appId}`;
  if (!n) throw new Errors.NotificationNotFound(id);
  const status = options.status ?? null;
  const cursor = options.cursor ?? null;
  // A topic send's or broadcast's page is its audience, read from the memberships (it has rows
  // only once something happened); a send to users', the users with a delivery row.
  const { members: rows, readTo } = n.streamed
    ? await streamAudiencePage(prisma, appId, id, { cursor, status, limit: options.limit })
    : { members: await userRows(prisma, id, cursor, status, options.limit), readTo: null };
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const keyset = keysetPage(rows, options.limit, (last) => last.external_id);
  const { page } = keyset;
  // A filtered page that stopped reading early goes on after the last member it read.
  const nextCursor = keyset.nextCursor ?? readTo;
  // (A user a send has no row for yet may not be a subscriber yet either.)
  const ids = page.map((r) => r.subscriber_id).filter((s): s is string => s !== null);
  // Their rows and browsers: one read each for the page.
  const [deliveries, pushes] = await Promise.all([
    prisma.delivery.findMany({ where: { notificationId: id, subscriberId: { in: ids } } }),
    prisma.pushDelivery.findMany({
      where: { notificationId: id, subscriberId: { in: ids } },
      orderBy: { createdAt: 'asc' },
    }),
  ]);
  const deliveryOf = new Map(deliveries.map((d) => [d.subscriberId, d]));
  const pushOf = (subscriberId: string | null) =>
    pushes
      .filter((p) => p.subscriberId === subscriberId)
      .map((p) => ({
        browser: p.subscriptionId,
        status: p.status as 'socket' | 'pending' | 'sent' | 'failed' | 'gone' | 'resubscribe' | 'skipped',
        attempts: p.attempts as Array<{ at: string; status: number; outcome: string; detail?: string }>,
        trimmed: p.trimmed,
        sentAt: iso(p.sentAt),
        displayedAt: iso(p.displayedAt),
        clickedAt: iso(p.clickedAt),
        closedAt: iso(p.closedAt),
      }));
  return {
    items: page.map((member) => {
      const { subscriber_id: subscriberId, external_id: userId, status: pushStatus } = member;
      const push = pushOf(subscriberId);
      const r = subscriberId === null ? undefined : deliveryOf.get(subscriberId);
      if (!r && push.length === 0) {
        // A member of a topic send's or broadcast's audience nothing happened to yet, or a user
        // of a send to users that has no row for them yet.
        return {
          userId,
          seq: null,
          status: member.status as DeliveryStatus,
          reason: member.status === 'skipped' ? skippedReason(member as AudienceMember) : null,
          queuedAt: n.created_at.toISOString(),
          sentAt: null,
          deliveredAt: null,
          displayedAt: null,
          clickedAt: null,
          readAt: null,
          expiredAt: member.status === 'expired' ? iso(n.expires_at) : null,
          failedAt: null,
          push,
        };
      }
      if (!r) {
        const first = pushes.find((p) => p.subscriberId === subscriberId);
        const lastAt =
          push
            .flatMap((p) => p.attempts.map((a) => a.at))
            .sort()
            .at(-1) ?? null;
        return {
          userId,
          seq: null,
          status: pushStatus as DeliveryStatus,
          reason:
            pushStatus === 'skipped'
              ? (push[0]?.attempts[0]?.detail ?? null)
              : pushStatus === 'failed'
                ? 'every push to their browsers failed'
                : null,
          queuedAt: (first?.createdAt ?? new Date()).toISOString(),
          sentAt: push.map((p) => p.sentAt).find((at) => at !== null) ?? null,
          deliveredAt: null,
          displayedAt: null,
          clickedAt: null,
          readAt: null,
          expiredAt: null,
          failedAt: pushStatus === 'failed' ? lastAt : null,
          push,
        };
      }
      return {
        userId,
        seq: r.seq,
        status: r.status,
        reason: r.reason,
        queuedAt: r.createdAt.toISOString(),
        sentAt: iso(r.sentAt),
        deliveredAt: iso(r.deliveredAt),
        displayedAt: iso(r.displayedAt),
        clickedAt: iso(r.clickedAt),
        readAt: iso(r.readAt),
        expiredAt: iso(r.expiredAt),
        failedAt: iso(r.failedAt),
        push,
      };
    }),
    nextCursor,
  };
}

/**
 * A page of a send to users' recipients: those with a delivery row, and those Herald pushed to
 * without one yet (with their pushes' status).
 */
function userRows(prisma: PrismaClient, id: string, cursor: string | null, status: string | null, limit: number) {
  return prisma.$queryRaw<Array<{ subscriber_id: string | null; external_id: string; status: string }>>`
    SELECT r.subscriber_id, s.external_id, r.status FROM (
      SELECT subscriber_id, status::text AS status FROM deliveries WHERE notification_id = ${id}::uuid
      UNION ALL
      -- Pushed to, and no device said anything yet.
      SELECT pd.subscriber_id, ${Prisma.raw(PUSHES_STATUS)}
        FROM push_deliveries pd
       WHERE pd.notification_id = ${id}::uuid
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.notification_id = pd.notification_id AND d.subscriber_id = pd.subscriber_id)
       GROUP BY pd.subscriber_id
    ) r JOIN subscribers s ON s.id = r.subscriber_id
    WHERE (${status}::text IS NULL OR r.status = ${status}::text)
      AND (${cursor}::text IS NULL OR s.external_id > ${cursor}::text)
    UNION ALL
    SELECT NULL, p.external_id, p.status FROM (${PENDING_USERS(id)}) p
    WHERE (${status}::text IS NULL OR p.status = ${status}::text)
      AND (${cursor}::text IS NULL OR p.external_id > ${cursor}::text)
    ORDER BY 2 LIMIT ${limit + 1}`;
}
