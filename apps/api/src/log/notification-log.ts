import { DELIVERY_STATUSES, type NotificationStatus } from '@herald/protocol/schema';
import { contentOf } from '../delivery/payload.js';
import { end } from '../delivery/status.js';
import { streamsOf } from '../fanout/rule.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { Errors } from '../platform/lib/errors.js';
import { isUuid } from '../platform/lib/text.js';
import type { NotificationsQueue } from '../queue/notifications.js';
import { awaitingEmit, pullFromOutbox } from '../queue/outbox.js';
import type { Target } from '../schemas/notifications.js';
import { recipientPage } from './recipient-list.js';
import { streamAudienceCounts } from './stream-audience.js';

const CANCEL = end('cancelled');
const EXPIRE = end('expired');

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
    const outcome = await this.prisma.$transaction(async (tx): Promise<{ cancelled: number } | { lapsed: true }> => {
      // Locked: a fan-out writing delivery rows right now finishes first (and its rows are
      // cancelled below), or waits and then sees the notification cancelled and writes none.
      const [n] = await tx.$queryRaw<Array<{ status: NotificationStatus; recipients: number; lapsed: boolean }>>`
        SELECT status::text AS status, recipient_count AS recipients,
               COALESCE(expires_at <= now(), false) AS lapsed
          FROM notifications WHERE id = ${id}::uuid AND app_id = ${appId} FOR UPDATE`;
      if (!n) throw new Errors.NotificationNotFound(id);
      if (n.status === 'cancelled') return { cancelled: 0 };
      // Past its ttl before it went out, whatever its status says yet (the sweep marks it): nobody
      // can be sent it any more.
      const notSentYet =
        n.status === 'queued' ||
        n.status === 'scheduled' ||
        n.status === 'processing' ||
        // Dispatched by its accept, its job has not read it: it never will now.
        (n.status === 'dispatched' && (await pullFromOutbox(tx, id)));
      if (n.status === 'expired' || (n.lapsed && notSentYet)) {
        throw new Errors.NotCancellable(id, 'it expired before it could be delivered');
      }
      const [{ existing = 0, streamed = false } = {}] = await tx.$queryRaw<
        Array<{ existing: number; streamed: boolean }>
      >`
        SELECT count(*)::int AS existing,
               EXISTS (SELECT 1 FROM stream_entries WHERE notification_id = ${id}::uuid) AS streamed
          FROM deliveries WHERE notification_id = ${id}::uuid`;
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
        // Past its ttl, the members it has not reached never will: nothing is left to cancel.
        if (n.lapsed) return { lapsed: true };
        await tx.$executeRaw`
          UPDATE notifications SET status = 'cancelled', cancelled_at = now() WHERE id = ${id}::uuid`;
        return { cancelled: stopped };
      }
      if (n.lapsed) {
        // Past its ttl: whoever has not received it by now never will (catch-up and the inbox leave
        // it out), so nothing is left to cancel. Its rows still waiting are expired now rather than
        // at the next sweep, so that its recipients say so.
        await tx.$executeRawUnsafe(
          `UPDATE deliveries d SET ${EXPIRE.set} WHERE d.notification_id = $1::uuid AND ${EXPIRE.guard}`,
          id,
        );
        const [{ missed = 0 } = {}] = await tx.$queryRaw<Array<{ missed: number }>>`
          SELECT count(*)::int AS missed FROM deliveries WHERE notification_id = ${id}::uuid AND status = 'expired'`;
        if (missed > 0) return { lapsed: true };
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
      return { cancelled: notSentYet ? rows + Math.max(0, n.recipients - existing) : rows };
    });
    if ('lapsed' in outcome) {
      throw new Errors.NotCancellable(id, 'it expired, so whoever has not received it by now never will');
    }
    const { cancelled } = outcome;
    // The job may be running right now. A send to users: its fan-out re-checks the status before
    // each chunk, and the rows cancelled here are never sent again. A topic send or broadcast
    // claimed just before this may still go out live once; catch-up leaves it out from now on.
    await this.queue.remove(id).catch(() => 0);
    return { ...(await this.get(appId, id)), cancelled };
  }

  /**
   * Past its ttl, a notification's deliveries still waiting are expired (nobody can be sent it any
   * more): the sweep marks them within its interval, and a read of the notification first does so
   * itself, so that its counts and recipients never say `queued` for what will never come.
   */
  private async expireIfLapsed(appId: string, id: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `UPDATE deliveries d SET ${EXPIRE.set}
         FROM notifications n
        WHERE n.id = $1::uuid AND n.app_id = $2 AND n.expires_at <= now()
          AND d.notification_id = n.id AND ${EXPIRE.guard}`,
      id,
      appId,
    );
  }

  async get(appId: string, id: string) {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const n = await this.prisma.notification.findFirst({ where: { id, appId } });
    if (!n) throw new Errors.NotificationNotFound(id);
    // Only one whose ttl ran out has rows to expire (most have none): no statement for the others.
    if (n.expiresAt && n.expiresAt.getTime() <= Date.now()) await this.expireIfLapsed(appId, id);
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
    // Dispatched by its accept, but its job has not emitted it yet: queued, as the worker had it.
    const waiting = n.status === 'dispatched' && (await awaitingEmit(this.prisma, id));
    return {
      id: n.id,
      status: waiting ? 'queued' : n.status,
      to: n.target as Target,
      ...contentOf(n),
      ttlSeconds: n.ttlSeconds,
      expiresAt: n.expiresAt?.toISOString() ?? null,
      sendAt: n.sendAt?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
      dispatchedAt: waiting ? null : (n.dispatchedAt?.toISOString() ?? null),
      cancelledAt: n.cancelledAt?.toISOString() ?? null,
      failureReason: n.failureReason,
      recipients: n.recipientCount,
      counts,
      countsExact,
      funnel,
      push: push ?? { socket: 0, posted: 0, skipped: 0, accepted: 0, displayed: 0, clicked: 0, failed: 0 },
    };
  }

  /** Per-recipient state and timeline, ordered by user id, with a cursor (`recipient-list.ts`). */
  async recipients(appId: string, id: string, options: { cursor?: string; limit: number; status?: string }) {
    if (isUuid(id)) await this.expireIfLapsed(appId, id);
    return recipientPage(this.prisma, appId, id, options);
  }
}
