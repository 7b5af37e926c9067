import type { NotificationStatus } from '@herald/protocol';
import { Prisma } from '../generated/prisma/client.js';

/**
 * The dispatch outbox (the dispatch_outbox migration): a row per `dispatch-batch` job of sends
 * dispatched by their accepting statement, written by it (intake/store.ts) and deleted by the
 * statement with which the job reads them (`dispatchMany`), or, when the job finds its batch
 * handed over in its process, by a delete of its own (`dispatchHanded`); the sweep gives a row
 * that waited too long its job again (maintenance.ts).
 */

/**
 * Whether a notification dispatched by its accept still waits for its job's emit: the API calls it
 * `queued` until then, as it did while the worker wrote its status. (A scan of the outbox: it holds
 * only what waits for a job, short while workers keep up; a backlog of a million sends makes each
 * call read every row.)
 */
export async function awaitingEmit(db: Pick<Prisma.TransactionClient, '$queryRaw'>, id: string): Promise<boolean> {
  const [row] = await db.$queryRaw<Array<{ waiting: boolean }>>`
    SELECT EXISTS (SELECT 1 FROM dispatch_outbox WHERE ${id}::uuid = ANY(notification_ids)) AS waiting`;
  return row?.waiting ?? false;
}

/**
 * Takes a notification out of its job's outbox row, in a cancel's transaction (after it locked
 * the notification): the job's read, which deletes that row, waits for the cancel and then emits
 * only the ids left. True when it was there (its job has not read it yet). A row left empty goes
 * with its job's read, or with the sweep.
 */
export async function pullFromOutbox(db: Pick<Prisma.TransactionClient, '$queryRaw'>, id: string): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    UPDATE dispatch_outbox SET notification_ids = array_remove(notification_ids, ${id}::uuid)
     WHERE ${id}::uuid = ANY(notification_ids) RETURNING 1`;
  return rows.length > 0;
}

/**
 * Whether the notification `n` (the statement's alias) waits in the outbox, for a statement over
 * many notifications: the outbox is read once into a hash (a hashed SubPlan), then each row costs
 * a lookup. (Written as `= ANY (ARRAY(…))`, each row would compare with every id in the outbox.)
 */
const IN_OUTBOX = Prisma.sql`n.id IN (SELECT unnest(notification_ids) FROM dispatch_outbox)`;

/** The status the API shows for the notification `n`: `queued` while its job has not emitted it (as `awaitingEmit`). */
export const SHOWN_STATUS = Prisma.sql`CASE WHEN n.status = 'dispatched' AND ${IN_OUTBOX} THEN 'queued' ELSE n.status::text END`;

/**
 * The notifications `n` that show as `status` (`SHOWN_STATUS`), for a filter: each a condition that
 * keeps the plain comparison an index needs (the pending index finds queued, scheduled and
 * processing ones; the outbox's ids the waiting ones, by primary key). `queued` is two: the list
 * reads each and merges them, so that neither reads the whole history.
 */
export function showsAs(status: NotificationStatus): Prisma.Sql[] {
  if (status === 'queued')
    return [Prisma.sql`n.status = 'queued'`, Prisma.sql`n.status = 'dispatched' AND ${IN_OUTBOX}`];
  if (status === 'dispatched') return [Prisma.sql`n.status = 'dispatched' AND NOT (${IN_OUTBOX})`];
  return [Prisma.sql`n.status = ${status}::"NotificationStatus"`];
}
