import type { Prisma } from '../generated/prisma/client.js';

/**
 * The dispatch outbox (the dispatch_outbox migration): a row per `dispatch-batch` job of sends
 * dispatched by their accepting statement, written by it (intake/store.ts) and deleted by the
 * statement with which the job reads them (`dispatchMany`); the sweep gives a row that waited too
 * long its job again (maintenance.ts).
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

/** Which of these notifications (dispatched ones) still wait for their job's emit: a page's, at once. */
export async function awaitingEmitOf(
  db: Pick<Prisma.TransactionClient, '$queryRaw'>,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT DISTINCT x::text AS id
      FROM dispatch_outbox, unnest(notification_ids) AS x
     WHERE notification_ids && ${ids}::uuid[] AND x = ANY(${ids}::uuid[])`;
  return new Set(rows.map((r) => r.id));
}
