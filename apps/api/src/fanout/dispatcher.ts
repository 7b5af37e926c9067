import { DELIVERY_ROW_COLUMNS, type DeliveryRow, unsentPayload } from '../delivery/payload.js';
import { skipReason } from '../delivery/preferences.js';
import { type Deliver, type Outgoing, outgoingOf, type QueuedRow } from '../delivery/socket-channel.js';
import { end } from '../delivery/status.js';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { Sql } from '../platform/db/database.js';
import { type Claimed, claim } from './claim.js';
import type { DispatchHandoff, HandedNotification } from './handoff.js';
import { fansOutAtAccept, streamsOf } from './rule.js';
import { dispatchStream, sendStream } from './streams.js';

const EXPIRE = end('expired');

/** Recipients written per statement during fan-out. */
export const FANOUT_CHUNK = 1000;

export interface DispatchDeps {
  prisma: PrismaClient;
  sql: Sql;
  /** Where dispatched notifications go: this process's sockets, or every gateway node of a cluster. */
  deliver: Deliver;
  /** Notifications older than this are sent silently (inbox only, no popup). */
  freshnessMs: number;
  /** Recipients per fan-out statement (default FANOUT_CHUNK). */
  chunk?: number;
  /** Told how many notifications failed for good, or deliveries expired unsent (metrics). */
  onOutcome?: (outcome: 'failed' | 'expired', count: number) => void;
  /** What this process's intake stored for the batch jobs (the `all` role): see handoff.ts. */
  handoff?: DispatchHandoff;
}

export interface DispatchResult {
  /** Why nothing was sent, when nothing was. */
  skipped?: 'missing' | 'cancelled' | 'failed' | 'expired';
  /** Recipients that got a delivery row in this run. */
  created: number;
  /** Emits made in this run (new rows plus, on a retry, rows still queued). */
  emitted: number;
}

interface Recipient {
  subscriber_id: string;
  external_id: string;
  seq: number;
}

/**
 * Fans one notification out: gives every recipient a delivery row with the next number of its
 * per-user sequence (one statement per chunk of recipients), then emits to each user's room
 * and records the acks. Safe to run again after a crash at any point: existing rows are kept,
 * and rows still `queued` are emitted again (clients drop duplicates by id). A notification whose
 * rows were written when it was accepted goes the batch path (`dispatchMany`); a topic send or
 * broadcast has no rows (`fanout/streams.ts`).
 */
export async function dispatchNotification(
  notificationId: string,
  deps: DispatchDeps,
  options: { retry: boolean },
): Promise<DispatchResult> {
  const { prisma } = deps;
  const chunk = deps.chunk ?? FANOUT_CHUNK;
  // Claim it, unless it was cancelled (or already failed) meanwhile.
  const n = await claim(deps.sql, notificationId);
  if (!n) {
    const existing = await prisma.notification.findUnique({ where: { id: notificationId }, select: { status: true } });
    if (!existing) return { skipped: 'missing', created: 0, emitted: 0 };
    return { skipped: existing.status === 'cancelled' ? 'cancelled' : 'failed', created: 0, emitted: 0 };
  }
  const target = n.target;
  // A stream send the claim dispatched: its places were taken at accept, and it judged the ttl.
  if (n.places) return sendStream(n, n.places, deps, n.status === 'expired');
  // Past its ttl before it could go out: every recipient gets a row marked expired, nobody an emit.
  const expired = n.expiresAt !== null && n.expiresAt.getTime() <= Date.now();
  if (streamsOf(target).length > 0) return dispatchStream(n, deps, expired);
  const status = expired ? 'expired' : 'queued';
  if (fansOutAtAccept(target, n.sendAt)) {
    // Its rows were written when it was accepted: the batch path sends (or expires) those still queued.
    const result = await dispatchMany([n.id], deps);
    return expired ? { ...result, skipped: 'expired' } : result;
  }

  let created = 0;
  let emitted = 0;
  const payload = unsentPayload(n, deps.freshnessMs);
  const emitAll = async (rows: Recipient[]) => {
    if (expired || rows.length === 0) return;
    await deps.deliver([
      { appId: n.appId, payload, recipients: rows.map((r) => [r.external_id, r.subscriber_id, r.seq]) },
    ]);
    emitted += rows.length;
  };

  const userIds = target.userIds ?? (target.userId ? [target.userId] : []);
  for (let i = 0; i < userIds.length; i += chunk) {
    const rows = await fanOutToUsers(prisma, n, userIds.slice(i, i + chunk), status);
    created += rows.length;
    await emitAll(rows);
  }

  if (options.retry && !expired) {
    // Rows written by a previous attempt that died before emitting them.
    let after = '';
    for (;;) {
      const rows = await prisma.$queryRaw<Recipient[]>`
        SELECT d.subscriber_id, s.external_id, d.seq
          FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.notification_id = ${n.id}::uuid AND d.status = 'queued' AND d.subscriber_id > ${after}
         ORDER BY d.subscriber_id LIMIT ${chunk}`;
      if (rows.length === 0) break;
      await emitAll(rows);
      after = rows.at(-1)?.subscriber_id ?? after;
    }
  }

  if (expired && created > 0) deps.onOutcome?.('expired', created);
  await prisma.$executeRaw`
    UPDATE notifications
       SET status = ${expired ? 'expired' : 'dispatched'}::"NotificationStatus", dispatched_at = COALESCE(dispatched_at, now()),
           recipient_count = (SELECT count(*) FROM deliveries WHERE notification_id = ${n.id}::uuid)
     WHERE id = ${n.id}::uuid AND status = 'processing'`;
  return expired ? { skipped: 'expired', created, emitted } : { created, emitted };
}

/**
 * Creates the subscribers that do not exist yet, takes the next sequence number of each
 * recipient and inserts their delivery rows — one statement. Recipients that already have a row
 * for this notification (a retried job) are skipped without consuming a sequence number.
 * Rows are locked in external-id order so concurrent fan-outs cannot deadlock.
 */
type RowStatus = 'queued' | 'expired';

/**
 * `live`: the notification's row while it is still being fanned out, locked FOR SHARE. Cancelling
 * locks it FOR UPDATE: a chunk either commits first (and cancel then cancels its rows too) or
 * waits, sees the notification cancelled, and writes nothing.
 */
function stillProcessing(id: string): Prisma.Sql {
  return Prisma.sql`live AS (
      SELECT id FROM notifications WHERE id = ${id}::uuid AND status = 'processing' FOR SHARE
    )`;
}

function fanOutToUsers(prisma: PrismaClient, n: Claimed, userIds: string[], status: RowStatus): Promise<Recipient[]> {
  // A categorised send reads each user's preferences: those who turned it off get a skipped row.
  const mode = n.category
    ? Prisma.sql`COALESCE((SELECT herald_mode(COALESCE(s.preferences, '{}'), c.key, c.default_mode, c.required, NULL)
                   FROM categories c WHERE c.app_id = ${n.appId} AND c.key = ${n.category}), 'popup')`
    : Prisma.sql`'popup'`;
  return prisma.$queryRaw<Recipient[]>`
    WITH ${stillProcessing(n.id)}, wanted AS (
      SELECT u.external_id, ${mode} AS mode, s.preferences AS prefs, ${n.category}::text AS category
        FROM unnest(${userIds}::text[]) AS u(external_id)
        LEFT JOIN subscribers s ON s.app_id = ${n.appId} AND s.external_id = u.external_id
       WHERE EXISTS (SELECT 1 FROM live) AND NOT EXISTS (
         SELECT 1 FROM deliveries d WHERE d.notification_id = ${n.id}::uuid AND d.subscriber_id = s.id)
       ORDER BY u.external_id
    ), bumped AS (
      INSERT INTO subscribers (id, app_id, external_id, last_seq)
      SELECT gen_random_uuid()::text, ${n.appId}, external_id, CASE WHEN mode = 'off' THEN 0 ELSE 1 END FROM wanted
      ON CONFLICT (app_id, external_id) DO UPDATE SET last_seq = subscribers.last_seq + EXCLUDED.last_seq
      RETURNING id, external_id, last_seq
    ), inserted AS (
      INSERT INTO deliveries (notification_id, subscriber_id, seq, status, expired_at, reason)
      SELECT ${n.id}::uuid, b.id,
             CASE WHEN w.mode = 'off' THEN NULL ELSE b.last_seq END,
             CASE WHEN w.mode = 'off' THEN 'skipped' ELSE ${status} END::"DeliveryStatus",
             CASE WHEN w.mode <> 'off' AND ${status} = 'expired' THEN now() END,
             CASE WHEN w.mode = 'off' THEN ${Prisma.raw(skipReason('w.category', 'w.prefs'))} END
        FROM bumped b JOIN wanted w USING (external_id)
      ON CONFLICT DO NOTHING
      RETURNING subscriber_id, seq
    )
    SELECT i.subscriber_id, b.external_id, i.seq FROM inserted i JOIN bumped b ON b.id = i.subscriber_id
     WHERE i.seq IS NOT NULL`;
}

/** A row of `dispatchMany`'s statement: a delivery still queued, with its notification. */
interface BatchRow extends DeliveryRow {
  app_id: string;
  /** What the batch does with its notification: `dispatched` (emitted), or `expired` (nothing is). */
  claimed_status: string;
  subscriber_id: string | null;
  external_id: string | null;
}

/**
 * A batch of notifications whose rows were written when they were accepted, which stored them
 * dispatched: one statement reads every delivery still queued with its notification, and they are
 * delivered; a failure to hand them over fails the job, whose retry sends them. Nothing is written
 * to them on the way (the same statement deletes the job's outbox row, `outboxId`). One not dispatched yet (a
 * single job's, which `claim` made `processing`, or one accepted by an earlier version) is claimed
 * by the same statement. A cancelled notification is neither, so nothing of it is sent; one past
 * its ttl is marked expired (rare) instead. Safe to run again, like `dispatchNotification`: rows
 * not yet acknowledged are still queued, so a retry after a crash emits them again (clients drop
 * duplicates by id).
 */
export async function dispatchMany(
  ids: string[],
  deps: DispatchDeps,
  outboxId: string | null = null,
): Promise<DispatchResult> {
  const rows = await deps.sql.query<BatchRow>(
    `WITH gone AS (
       -- Its job's outbox row, deleted by this read: no statement of its own, nor a commit (a
       -- worker that dies before its emit leaves the job to BullMQ, which runs it again). A cancel
       -- running now takes its notification out of the row first, and this waits for it.
       DELETE FROM dispatch_outbox WHERE id = $2 RETURNING notification_ids
     ), wanted AS (
       -- The row's ids (not the job's): a cancelled one is not among them, whatever this
       -- statement's snapshot says of it. A retried job's row is gone: the job's ids then.
       SELECT COALESCE((SELECT notification_ids FROM gone), $1::uuid[]) AS ids
     ), claimed AS (
       UPDATE notifications
          SET status = CASE WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired' ELSE 'dispatched' END::"NotificationStatus",
              dispatched_at = COALESCE(dispatched_at, now())
        WHERE id = ANY((SELECT ids FROM wanted)::uuid[]) AND status IN ('queued', 'scheduled', 'processing')
        RETURNING *
     ), batch AS (
       -- The statement's snapshot: a row claimed above is not also read here as dispatched.
       SELECT *, status::text AS outcome FROM claimed
       UNION ALL
       SELECT *, CASE WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired' ELSE 'dispatched' END
         FROM notifications WHERE id = ANY((SELECT ids FROM wanted)::uuid[]) AND status = 'dispatched'
     )
     SELECT ${DELIVERY_ROW_COLUMNS}, n.app_id, n.outcome AS claimed_status,
            d.subscriber_id, s.external_id
       FROM batch n
       -- Per notification, through the primary key's prefix: as a plain join (and OFFSET 0 keeps
       -- this from being flattened into one) the planner can pick a sequential scan of all
       -- deliveries when its statistics lag behind a burst.
       LEFT JOIN LATERAL (
         SELECT * FROM deliveries
          WHERE notification_id = n.id AND status = 'queued' AND n.outcome = 'dispatched' OFFSET 0
       ) d ON true
       LEFT JOIN subscribers s ON s.id = d.subscriber_id
      ORDER BY d.seq`,
    [ids, outboxId],
  );
  if (rows.length === 0) return { skipped: 'cancelled', created: 0, emitted: 0 };
  // Past their ttl before they could go out (rare): they and their rows are marked expired. (In the
  // statement above this would be planned as a scan of all deliveries; if it fails, the sweep
  // expires the rows.)
  const expired = [...new Set(rows.filter((r) => r.claimed_status === 'expired').map((r) => r.id))];
  if (expired.length) {
    await deps.sql.query(
      `UPDATE notifications SET status = 'expired' WHERE id = ANY($1::uuid[]) AND status = 'dispatched'`,
      [expired],
    );
    const marked = await deps.sql.query(
      `UPDATE deliveries d SET ${EXPIRE.set} WHERE d.notification_id = ANY($1::uuid[]) AND ${EXPIRE.guard} RETURNING 1`,
      [expired],
    );
    if (marked.length > 0) deps.onOutcome?.('expired', marked.length);
  }
  // Rows come in sequence order.
  const live = rows.filter(
    (r): r is BatchRow & QueuedRow => r.claimed_status === 'dispatched' && r.subscriber_id !== null,
  );
  const batch = outgoingOf(live, deps.freshnessMs);
  await deps.deliver(batch);
  return { created: 0, emitted: batch.reduce((a, o) => a + o.recipients.length, 0) };
}

/**
 * `dispatchMany` for a batch whose content and rows this process handed over: one statement (the
 * outbox row's delete) instead of reading every row back. The row's ids are the ones still to
 * send: a cancel running now takes its notification out of the row first, and the delete waits
 * for it. No row (a run of this job took it already, or the sweep removed it, emptied by
 * cancels), or a notification past its ttl by the database's clock (the job waited that long), and
 * the batch goes the reading path, which sends what is still queued and expires the rest.
 */
export async function dispatchHanded(
  handed: HandedNotification[],
  jobIds: string[],
  deps: DispatchDeps,
  outboxId: string,
): Promise<DispatchResult> {
  const [row] = await deps.sql.query<{ ids: string[]; now_ms: number }>(
    `DELETE FROM dispatch_outbox WHERE id = $1
     RETURNING notification_ids::text[] AS ids, (extract(epoch FROM now()) * 1000)::float8 AS now_ms`,
    [outboxId],
  );
  if (!row) return dispatchMany(jobIds, deps, null);
  const wanted = new Set(row.ids);
  const live = handed.filter((n) => wanted.has(n.id));
  // The ttl by the clock the reading path and the sweep judge it by.
  if (live.some((n) => n.expiresAt !== null && n.expiresAt.getTime() <= row.now_ms)) {
    return dispatchMany([...wanted], deps, null);
  }
  if (live.length === 0) return { skipped: 'cancelled', created: 0, emitted: 0 };
  // A send every one of whose users turned it off has no rows to send.
  const batch: Outgoing[] = live
    .filter((n) => n.recipients.length > 0)
    .map((n) => ({ appId: n.appId, payload: unsentPayload(n, deps.freshnessMs), recipients: n.recipients }));
  if (batch.length > 0) await deps.deliver(batch);
  return { created: 0, emitted: batch.reduce((a, o) => a + o.recipients.length, 0) };
}
