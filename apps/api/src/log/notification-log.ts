import { DELIVERY_STATUSES, type NotificationStatus } from '@herald/protocol/schema';
import { contentOf } from '../delivery/payload.js';
import { end } from '../delivery/status.js';
import { streamsOf } from '../fanout/rule.js';
import { type DeliveryStatus, Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { keysetPage } from '../platform/lib/cursor.js';
import { Errors } from '../platform/lib/errors.js';
import { isUuid } from '../platform/lib/text.js';
import type { NotificationsQueue } from '../queue/notifications.js';
import type { Target } from '../schemas/notifications.js';
import {
  type AudienceMember,
  PUSHES_STATUS,
  skippedReason,
  streamAudienceCounts,
  streamAudiencePage,
} from './stream-audience.js';

const CANCEL = end('cancelled');

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

/**
 * The largest audience of a topic send or broadcast whose counts are read member by member on
 * each request (about 10 µs a member): 20,000 is about 0.2 s, and the dashboard's notification
 * page asks again as it follows the send.
 */
export const STREAM_COUNTS_MAX = 20_000;

/**
 * The notification log: one notification's details and per-status counts, its recipients with
 * their timelines, and cancel — for the integrator's API and the dashboard alike. (What enters is
 * `intake/`; this is what can be asked and undone afterwards.)
 */
export class NotificationLog {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly queue: NotificationsQueue,
  ) {}

  /**
   * Cancels what has not been delivered yet: a scheduled or queued notification entirely (and its
   * job), and, once it went out, every delivery no device of its user has acknowledged — so
   * catch-up never sends them. Returns the notification with `cancelled`, how many recipients this
   * call stopped. Cancelling twice is not an error (the second stops nobody); a notification with
   * nothing left to stop (every recipient has it, or it expired) is a 409.
   */
  async cancel(appId: string, id: string) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const cancelled = await this.prisma.$transaction(async (tx) => {
      // Locked: a fan-out writing delivery rows right now finishes first (and its rows are
      // cancelled below), or waits and then sees the notification cancelled and writes none.
      const [n] = await tx.$queryRaw<Array<{ status: NotificationStatus; recipients: number; lapsed: boolean }>>`
        SELECT status::text AS status, recipient_count AS recipients,
               COALESCE(expires_at <= now(), false) AS lapsed
          FROM notifications WHERE id = ${id}::uuid AND app_id = ${appId} FOR UPDATE`;
      if (!n) throw new Errors.NotificationNotFound(id);
      if (n.status === 'cancelled') return 0;
      // Past its ttl, whatever its status says yet (the sweep marks it): nobody can be sent it any more.
      if (n.status === 'expired' || n.lapsed) {
        throw new Errors.NotCancellable(id, 'it expired before it could be delivered');
      }
      const [{ existing = 0, streamed = false } = {}] = await tx.$queryRaw<
        Array<{ existing: number; streamed: boolean }>
      >`
        SELECT count(*)::int AS existing,
               EXISTS (SELECT 1 FROM stream_entries WHERE notification_id = ${id}::uuid) AS streamed
          FROM deliveries WHERE notification_id = ${id}::uuid`;
      const notSentYet = n.status === 'queued' || n.status === 'scheduled' || n.status === 'processing';
      if (streamed) {
        // A topic send or broadcast: its recipients' rows are receipts (a device has it). The others
        // are stopped by the status: catch-up and the inbox leave a cancelled one out — but for the
        // members whose preferences skip it, as its counts say (read member by member, up to
        // STREAM_COUNTS_MAX of them, like the counts).
        const skipped =
          n.recipients <= STREAM_COUNTS_MAX ? ((await streamAudienceCounts(tx, appId, id)).get('skipped') ?? 0) : 0;
        const stopped = Math.max(0, n.recipients - existing - skipped);
        if (!notSentYet && stopped === 0) {
          throw new Errors.NotCancellable(
            id,
            skipped > 0
              ? 'every recipient already received it or skips it by their preferences, so nothing is left to cancel'
              : 'every recipient already received it, so nothing is left to cancel',
          );
        }
        await tx.$executeRaw`
          UPDATE notifications SET status = 'cancelled', cancelled_at = now() WHERE id = ${id}::uuid`;
        return stopped;
      }
      const rows = await tx.$executeRawUnsafe(
        `UPDATE deliveries d SET ${CANCEL.set} WHERE d.notification_id = $1::uuid AND ${CANCEL.guard}`,
        id,
      );
      if (!notSentYet && rows === 0) {
        throw new Errors.NotCancellable(
          id,
          n.status === 'failed'
            ? 'it failed, and none of its deliveries is left waiting'
            : 'every recipient already received it, so nothing is left to cancel',
        );
      }
      await tx.$executeRaw`
        UPDATE notifications SET status = 'cancelled', cancelled_at = now() WHERE id = ${id}::uuid`;
      // Before (or during) its fan-out, recipients without a row yet are stopped too.
      return notSentYet ? rows + Math.max(0, n.recipients - existing) : rows;
    });
    // The job may be running right now; the worker re-checks the status before sending anything.
    await this.queue.remove(id).catch(() => 0);
    return { ...(await this.get(appId, id)), cancelled };
  }

  async get(appId: string, id: string) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const n = await this.prisma.notification.findFirst({ where: { id, appId } });
    if (!n) throw new Errors.NotificationNotFound(id);
    // By status now, and by the steps reached (their times), in one read of its rows.
    const groups = await this.prisma.$queryRaw<
      Array<{ status: string; n: number; delivered: number; displayed: number; clicked: number; read: number }>
    >`
      SELECT status::text, count(*)::int AS n,
             count(delivered_at)::int AS delivered, count(displayed_at)::int AS displayed,
             count(clicked_at)::int AS clicked, count(read_at)::int AS read
        FROM deliveries WHERE notification_id = ${id}::uuid GROUP BY status`;
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    const funnel = { delivered: 0, displayed: 0, clicked: 0, read: 0 };
    for (const g of groups) {
      counts[g.status] = g.n;
      for (const step of ['delivered', 'displayed', 'clicked', 'read'] as const) funnel[step] += g[step];
    }
    // A topic send's or broadcast's rows are only its receipts: its counts are its whole audience
    // by the status its recipient list gives each member (skipped, queued, an ending, a receipt's),
    // which reads every member — up to STREAM_COUNTS_MAX of them. A larger audience is counted by
    // its receipts, the rest of it as queued (its skipped members among them): `countsExact` false.
    // (Its target says so: a topic send or broadcast is stored with its stream entries.)
    const streamed = streamsOf(n.target as Target).length > 0;
    let countsExact = true;
    // Recipients without a row count by what happened to the notification (its ending, or its ttl
    // running out), else as queued — as the recipient lists show them.
    const ended = ['cancelled', 'expired', 'failed'].includes(n.status) ? n.status : null;
    const rest = ended ?? (n.expiresAt !== null && n.expiresAt.getTime() <= Date.now() ? 'expired' : 'queued');
    const written = Object.values(counts).reduce((a, b) => a + b, 0);
    if (streamed && n.recipientCount <= STREAM_COUNTS_MAX) {
      const byStatus = await streamAudienceCounts(this.prisma, appId, id);
      for (const s of DELIVERY_STATUSES) counts[s] = byStatus.get(s) ?? 0;
    } else if (streamed) {
      countsExact = false;
      counts[rest] = (counts[rest] ?? 0) + Math.max(0, n.recipientCount - written);
    } else if (n.dispatchedAt === null) {
      // A send to users whose rows are not all written yet (scheduled, waiting for its fan-out, or
      // stopped before it): `PENDING_USERS` lists the others.
      counts[rest] = (counts[rest] ?? 0) + Math.max(0, n.recipientCount - written);
    }
    // Posted: the push service answered an attempt (a status), or the network failed under one
    // (a retry). A browser refused before any post (its host not allowed, keys nothing can be
    // encrypted for) has one failed attempt with no status.
    type Funnel = Record<'socket' | 'posted' | 'skipped' | 'accepted' | 'displayed' | 'clicked' | 'failed', number>;
    const [push] = await this.prisma.$queryRaw<Funnel[]>`
      SELECT count(*) FILTER (WHERE status = 'socket')::int AS socket,
             count(*) FILTER (WHERE status <> 'skipped' AND jsonb_path_exists(attempts, '$[*] ? (@.status > 0 || @.outcome == "retry")'))::int AS posted,
             count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
             count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS accepted,
             count(*) FILTER (WHERE displayed_at IS NOT NULL)::int AS displayed,
             count(*) FILTER (WHERE clicked_at IS NOT NULL)::int AS clicked,
             count(*) FILTER (WHERE status IN ('failed', 'gone', 'resubscribe'))::int AS failed
        FROM push_deliveries WHERE notification_id = ${id}::uuid`;
    return {
      id: n.id,
      status: n.status,
      to: n.target as Target,
      ...contentOf(n),
      ttlSeconds: n.ttlSeconds,
      expiresAt: n.expiresAt?.toISOString() ?? null,
      sendAt: n.sendAt?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
      dispatchedAt: n.dispatchedAt?.toISOString() ?? null,
      cancelledAt: n.cancelledAt?.toISOString() ?? null,
      failureReason: n.failureReason,
      recipients: n.recipientCount,
      counts,
      countsExact,
      funnel,
      push: push ?? { socket: 0, posted: 0, skipped: 0, accepted: 0, displayed: 0, clicked: 0, failed: 0 },
    };
  }

  /** Per-recipient state and timeline, ordered by user id, with a cursor. */
  async recipients(appId: string, id: string, options: { cursor?: string; limit: number; status?: string }) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const [n] = await this.prisma.$queryRaw<Array<{ created_at: Date; expires_at: Date | null; streamed: boolean }>>`
      SELECT created_at, expires_at, EXISTS (SELECT 1 FROM stream_entries WHERE notification_id = ${id}::uuid) AS streamed
        FROM notifications WHERE id = ${id}::uuid AND app_id = ${appId}`;
    if (!n) throw new Errors.NotificationNotFound(id);
    const status = options.status ?? null;
    const cursor = options.cursor ?? null;
    // A topic send's or broadcast's page is its audience, read from the memberships (it has rows
    // only once something happened); a send to users', the users with a delivery row.
    const { members: rows, readTo } = n.streamed
      ? await streamAudiencePage(this.prisma, appId, id, { cursor, status, limit: options.limit })
      : { members: await this.userRows(id, cursor, status, options.limit), readTo: null };
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const keyset = keysetPage(rows, options.limit, (last) => last.external_id);
    const { page } = keyset;
    // A filtered page that stopped reading early goes on after the last member it read.
    const nextCursor = keyset.nextCursor ?? readTo;
    // (A user a send has no row for yet may not be a subscriber yet either.)
    const ids = page.map((r) => r.subscriber_id).filter((s): s is string => s !== null);
    // Their rows and browsers: one read each for the page.
    const [deliveries, pushes] = await Promise.all([
      this.prisma.delivery.findMany({ where: { notificationId: id, subscriberId: { in: ids } } }),
      this.prisma.pushDelivery.findMany({
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
  private userRows(id: string, cursor: string | null, status: string | null, limit: number) {
    return this.prisma.$queryRaw<Array<{ subscriber_id: string | null; external_id: string; status: string }>>`
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
}
