import type { PrismaClient } from '../generated/prisma/client.js';

/** How long notifications are kept, unless configured (`HERALD_RETENTION_DAYS`; 0 keeps them forever). */
export const RETENTION_DAYS = 90;

/** Notifications deleted per statement at most, with their deliveries, stream entries and pushes. */
export const RETENTION_PAGE = 200;

/**
 * Rows per statement, roughly: a page stops at the notification whose recipients (one delivery row
 * each, for a send to users) take it past this (a send to 10,000 users is one page of its own).
 */
export const RETENTION_ROWS = 50_000;

/**
 * How long one round may keep deleting (it starts no statement after): a backlog (an upgrade, or
 * an app sending faster than a round deletes) goes over several rounds, and the sweep's other work
 * and its lock are not held up for long.
 */
export const RETENTION_BUDGET_MS = 5_000;

export interface Forgotten {
  /** Notifications deleted. */
  deleted: number;
  /**
   * The deleted ones that were topic sends or broadcasts: give them to the next round (`after`).
   * An ack or a read of one that read the notification just before it went may write its user's
   * receipt just after; the next round deletes such receipts.
   */
  streamed: string[];
}

/**
 * Deletes the notifications that went out more than `days` days ago, with everything recorded
 * about them: each user's delivery row, their topic or broadcast stream entry, their Web Push
 * records. One that has not gone out yet (queued, scheduled, being fanned out) is kept, and so is
 * one that went out (or was scheduled for) less than `days` days ago; a user who has not connected
 * for `days` days no longer gets what was sent before (catch-up and the inbox start after it).
 * Walks each app's (app_id, created_at) index from its oldest rows, a page at a time, the apps
 * in a new order each round (so none waits behind another's backlog), until `budgetMs` is spent.
 */
export async function forgetOld(
  prisma: PrismaClient,
  days: number,
  options: { page?: number; rows?: number; budgetMs?: number; after?: string[] } = {},
): Promise<Forgotten> {
  if (options.after?.length) {
    await prisma.$executeRawUnsafe('DELETE FROM deliveries WHERE notification_id = ANY($1::uuid[])', options.after);
  }
  if (days <= 0) return { deleted: 0, streamed: [] };
  const page = options.page ?? RETENTION_PAGE;
  const rows = options.rows ?? RETENTION_ROWS;
  const until = Date.now() + (options.budgetMs ?? RETENTION_BUDGET_MS);
  const apps = shuffled((await prisma.app.findMany({ select: { id: true } })).map((a) => a.id));
  const forgotten: Forgotten = { deleted: 0, streamed: [] };
  for (const appId of apps) {
    while (Date.now() < until) {
      // Push records go with their notification (a foreign key); deliveries and stream entries
      // have none (cascade_by_trigger, streams), so they are deleted here, in the same statement.
      const gone = await prisma.$queryRawUnsafe<Array<{ id: string; streamed: boolean }>>(
        `WITH oldest AS (
           SELECT id, created_at, recipient_count FROM notifications
            WHERE app_id = $1 AND created_at < now() - make_interval(days => $2::int)
              AND status NOT IN ('queued', 'scheduled', 'processing')
              AND (send_at IS NULL OR send_at < now() - make_interval(days => $2::int))
              AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(days => $2::int))
            ORDER BY created_at LIMIT $3::int
         ), counted AS (
           SELECT id, recipient_count, sum(recipient_count + 1) OVER (ORDER BY created_at, id) AS upto FROM oldest
         ), old AS (
           -- Up to the first that takes the page past its rows (the first one always).
           SELECT id FROM counted WHERE upto - (recipient_count + 1) < $4::int
         ), deliveries_gone AS (
           DELETE FROM deliveries d USING old WHERE d.notification_id = old.id
         ), entries_gone AS (
           DELETE FROM stream_entries e USING old WHERE e.notification_id = old.id RETURNING e.notification_id
         )
         DELETE FROM notifications n USING old WHERE n.id = old.id
         RETURNING n.id::text AS id, n.id IN (SELECT notification_id FROM entries_gone) AS streamed`,
        appId,
        days,
        page,
        rows,
      );
      forgotten.deleted += gone.length;
      for (const g of gone) if (g.streamed) forgotten.streamed.push(g.id);
      if (gone.length === 0) break;
    }
  }
  return forgotten;
}

/** The ids in a random order (Fisher–Yates). */
function shuffled(ids: string[]): string[] {
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j] as string, ids[i] as string];
  }
  return ids;
}
