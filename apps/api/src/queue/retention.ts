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

/** Statements per app and round at most: a backlog (retention just turned on) goes over several rounds. */
const PAGES_PER_ROUND = 25;

/**
 * Deletes the notifications that went out more than `days` days ago, with everything recorded
 * about them: each user's delivery row, their topic or broadcast stream entry, their Web Push
 * records. One that has not gone out yet (queued, scheduled, being fanned out) is kept, and so is
 * one scheduled for less than `days` days ago; a user who has not connected for `days` days no
 * longer gets what was sent before (catch-up and the inbox start after it). Returns how many it
 * deleted. Walks each app's (app_id, created_at) index from its oldest rows, a page at a time.
 */
export async function forgetOld(
  prisma: PrismaClient,
  days: number,
  options: { page?: number; rows?: number; pagesPerRound?: number } = {},
): Promise<number> {
  if (days <= 0) return 0;
  const page = options.page ?? RETENTION_PAGE;
  const rows = options.rows ?? RETENTION_ROWS;
  const pages = options.pagesPerRound ?? PAGES_PER_ROUND;
  const apps = await prisma.app.findMany({ select: { id: true } });
  let deleted = 0;
  for (const { id: appId } of apps) {
    for (let i = 0; i < pages; i++) {
      // Push records go with their notification (a foreign key); deliveries and stream entries
      // have none (cascade_by_trigger, streams), so they are deleted here, in the same statement.
      const gone = await prisma.$executeRawUnsafe(
        `WITH oldest AS (
           SELECT id, created_at, recipient_count FROM notifications
            WHERE app_id = $1 AND created_at < now() - make_interval(days => $2::int)
              AND status NOT IN ('queued', 'scheduled', 'processing')
              AND (send_at IS NULL OR send_at < now() - make_interval(days => $2::int))
            ORDER BY created_at LIMIT $3::int
         ), counted AS (
           SELECT id, recipient_count, sum(recipient_count + 1) OVER (ORDER BY created_at, id) AS upto FROM oldest
         ), old AS (
           -- Up to the first that takes the page past its rows (the first one always).
           SELECT id FROM counted WHERE upto - (recipient_count + 1) < $4::int
         ), deliveries_gone AS (
           DELETE FROM deliveries d USING old WHERE d.notification_id = old.id
         ), entries_gone AS (
           DELETE FROM stream_entries e USING old WHERE e.notification_id = old.id
         )
         DELETE FROM notifications n USING old WHERE n.id = old.id`,
        appId,
        days,
        page,
        rows,
      );
      deleted += gone;
      if (gone === 0) break;
    }
  }
  return deleted;
}
