import { contentOf, type StoredContent } from '../delivery/payload.js';
import { skipReason } from '../delivery/preferences.js';
import type { DispatchHandoff, HandedNotification } from '../fanout/handoff.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Sql } from '../platform/db/database.js';
import { inTransaction } from '../platform/db/sql.js';
import { Errors } from '../platform/lib/errors.js';
import { dispatchGroups } from './enqueue.js';
import { notificationRows, type Prepared } from './prepare.js';
import { storeStreams } from './streams.js';

/**
 * Stores notifications — and, for small immediate sends, their delivery rows with each user's
 * next sequence numbers, in request order (a user whose preferences turn a categorised send off
 * gets a `skipped` row instead, with no number) — in one statement, so one round trip whatever the
 * batch size; topic sends and broadcasts in one more (`storeStreams`). A notification whose
 * idempotency key is taken meanwhile is skipped; returns the ids actually inserted. With a
 * `handoff` (this process runs the jobs too), what the jobs of the small sends will emit is left
 * there for them (fanout/handoff.ts), so that they need not read it back.
 */
export async function store(sql: Sql, prepared: Prepared[], handoff?: DispatchHandoff): Promise<Set<string>> {
  const direct = prepared.filter((p) => p.streams.length === 0);
  const streamed = prepared.filter((p) => p.streams.length > 0);
  // Both kinds (a group of single sends, a batch): one transaction, so that a failure of the
  // second statement does not leave the first's sends stored and their requests answered 500.
  // What its jobs will emit is then read back by them (no handoff before the commit).
  let inserted: Set<string>;
  try {
    inserted =
      direct.length > 0 && streamed.length > 0
        ? await retried(() =>
            inTransaction(sql, async (tx) => {
              // The topics first, in name order, as a subscribe takes them before users' rows
              // (topics/repository.ts): the send to users' statement locks users' rows and keeps them.
              await holdTopics(tx, direct[0]?.row.appId ?? '', [...new Set(streamed.flatMap((p) => p.streams))]);
              return storeBoth(tx, direct, streamed);
            }),
          )
        : await retried(() => storeBoth(sql, direct, streamed, handoff));
  } catch (error) {
    // The answer may have been lost after the commit (the connection dropped during it): then
    // the notifications are there, and a caller storing them again would meet its own rows.
    // Their ids are new, so any of them found means that this work committed, all of it (one
    // statement, or one transaction); its jobs read the batch back (nothing was handed over).
    const committed = await existing(sql, prepared).catch(() => undefined);
    if (!committed || committed.size === 0) throw error;
    inserted = committed;
  }
  // Fewer than asked: taken idempotency keys, or the app was deleted meanwhile (then nothing).
  const appId = prepared[0]?.row.appId;
  if (appId && inserted.size < prepared.length && !(await appExists(sql, appId))) throw new Errors.AppNotFound(appId);
  return inserted;
}

/**
 * Each accepting statement (here and in streams.ts) holds its app (`herald_hold_app`, migration
 * app_hold) until it commits: an app's deletion waits for the sends it would otherwise miss (its
 * triggers delete what has committed), and a send after it finds no app and stores nothing.
 */
async function appExists(sql: Sql, appId: string): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM apps WHERE id = $1', [appId])).length > 0;
}

/**
 * Which of these notifications are stored (by their ids); each one's `recipientCount` is set from
 * its row, as the statement that stored it would have (a topic send's is counted there).
 */
async function existing(sql: Sql, prepared: Prepared[]): Promise<Set<string>> {
  const rows = await sql.query<{ id: string; recipients: number }>(
    'SELECT id::text AS id, recipient_count AS recipients FROM notifications WHERE id = ANY($1::uuid[])',
    [prepared.map((p) => p.row.id)],
  );
  const found = new Map(rows.map((r) => [r.id, Number(r.recipients)]));
  for (const p of prepared) {
    const recipients = found.get(p.row.id);
    if (recipients !== undefined) p.row.recipientCount = recipients;
  }
  return new Set(found.keys());
}

async function holdTopics(sql: Sql, appId: string, streams: string[]): Promise<void> {
  await sql.query(
    `WITH app AS (SELECT 1 WHERE herald_hold_app($1))
     SELECT name FROM topics WHERE app_id = $1 AND name = ANY($2::text[]) AND EXISTS (SELECT 1 FROM app)
      ORDER BY name FOR SHARE`,
    [appId, streams],
  );
}

async function storeBoth(
  sql: Sql,
  direct: Prepared[],
  streamed: Prepared[],
  handoff?: DispatchHandoff,
): Promise<Set<string>> {
  const inserted = direct.length > 0 ? await storeDirect(sql, direct, handoff) : new Set<string>();
  if (streamed.length > 0) for (const id of await storeStreams(sql, streamed)) inserted.add(id);
  return inserted;
}

/**
 * Row locks are taken in one order everywhere, but a deadlock can still come from elsewhere (an
 * operator's query): retry the statement, which is all-or-nothing, a couple of times.
 */
async function retried<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}

async function storeDirect(sql: Sql, prepared: Prepared[], handoff?: DispatchHandoff): Promise<Set<string>> {
  const at = new Date();
  const rows = notificationRows(prepared, at);
  const pairs = {
    ids: [] as string[],
    users: [] as string[],
    order: [] as number[],
    categories: [] as (string | null)[],
  };
  prepared.forEach((p, i) => {
    for (const user of p.users) {
      pairs.ids.push(p.row.id);
      pairs.users.push(user);
      pairs.order.push(i);
      pairs.categories.push(p.row.category ?? null);
    }
  });
  const appId = prepared[0]?.row.appId ?? '';
  // Each job's outbox row, with the notifications: the job's read deletes it.
  const groups = dispatchGroups(prepared);
  const outbox = groups.map((g) => ({ id: g.id, ids: g.notificationIds, priority: g.priority }));
  // The notifications inserted (`id`), then, for a handoff, each numbered pair's row and number
  // (only then: `numbered`, read twice, is materialized).
  const numbers = handoff
    ? `UNION ALL
    SELECT NULL, pair::int, subscriber_id, seq FROM numbered`
    : '';
  const result = await sql.query<{
    id: string | null;
    pair: number | null;
    subscriber_id: string | null;
    seq: number | null;
  }>(
    `
    WITH app AS (
      -- The app, held until the commit (migration app_hold): none, nothing stored.
      SELECT 1 WHERE herald_hold_app($5)
    ), input AS (
      SELECT * FROM jsonb_populate_recordset(NULL::notifications, $1::jsonb) WHERE EXISTS (SELECT 1 FROM app)
    ), ins AS (
      INSERT INTO notifications SELECT * FROM input
      -- The key is unique among keyed notifications: a partial index (the fewer_writes migration).
      ON CONFLICT (app_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
      RETURNING id
    ), pairs AS (
      -- Each pair carries its notification's category, so nothing here joins a row of the batch to
      -- every other (a join with the input rows was planned as a nested loop: quadratic in the batch).
      SELECT p.notification_id, p.external_id, p.ord, p.category, p.pair, u.prefs,
             COALESCE(CASE WHEN c.key IS NOT NULL THEN herald_mode(u.prefs, c.key, c.default_mode, c.required, NULL) END, 'popup') AS mode
        FROM unnest($2::uuid[], $3::text[], $4::int[], $6::text[]) WITH ORDINALITY AS p(notification_id, external_id, ord, category, pair)
        JOIN ins ON ins.id = p.notification_id
        -- A categorised send reads each user's preferences (those who turned it off get a skipped
        -- row); an uncategorised one costs nothing more.
        LEFT JOIN categories c ON c.app_id = $5 AND c.key = p.category
        LEFT JOIN LATERAL (
          SELECT COALESCE((SELECT preferences FROM subscribers WHERE app_id = $5 AND external_id = p.external_id), '{}') AS prefs
           WHERE c.key IS NOT NULL
        ) u ON true
    ), counts AS (
      -- A user the send skips still gets their subscriber row (for the skipped row), and no number.
      SELECT external_id, (count(*) FILTER (WHERE mode <> 'off'))::int AS k FROM pairs GROUP BY external_id ORDER BY external_id
    ), bumped AS (
      -- One row per user, locked in a stable order: concurrent accepts cannot deadlock.
      INSERT INTO subscribers (id, app_id, external_id, last_seq)
      SELECT gen_random_uuid()::text, $5, external_id, k FROM counts
      ON CONFLICT (app_id, external_id) DO UPDATE SET last_seq = subscribers.last_seq + EXCLUDED.last_seq
      RETURNING id, external_id, last_seq
    ), numbered AS (
      SELECT p.notification_id, p.pair, b.id AS subscriber_id,
             (b.last_seq - c.k + row_number() OVER (PARTITION BY p.external_id ORDER BY p.ord))::int AS seq
        FROM pairs p JOIN bumped b USING (external_id) JOIN counts c USING (external_id)
       WHERE p.mode <> 'off'
    ), delivered AS (
      INSERT INTO deliveries (notification_id, subscriber_id, seq, status)
      SELECT notification_id, subscriber_id, seq, 'queued' FROM numbered
    ), skipped AS (
      INSERT INTO deliveries (notification_id, subscriber_id, seq, status, reason)
      SELECT p.notification_id, b.id, NULL, 'skipped', ${skipReason('p.category', 'p.prefs')}
        FROM pairs p JOIN bumped b USING (external_id) WHERE p.mode = 'off'
    ), outbox AS (
      INSERT INTO dispatch_outbox (id, notification_ids, priority)
      SELECT o.id, o.ids, o.priority FROM jsonb_to_recordset($7::jsonb) AS o(id text, ids uuid[], priority "Priority")
      -- As enqueue: a group none of whose notifications was inserted (taken keys) has no job.
       WHERE EXISTS (SELECT 1 FROM ins WHERE ins.id = ANY(o.ids))
    )
    SELECT id::text, NULL::int AS pair, NULL AS subscriber_id, NULL::int AS seq FROM ins
    ${numbers}`,
    [JSON.stringify(rows), pairs.ids, pairs.users, pairs.order, appId, pairs.categories, JSON.stringify(outbox)],
  );
  const inserted = new Set<string>();
  for (const r of result) if (r.id !== null) inserted.add(r.id);
  if (handoff) handOff(handoff, prepared, groups, inserted, result, pairs, at);
  return inserted;
}

/** Leaves each group's inserted notifications, with their recipients, for the group's job (`dispatchHanded`). */
function handOff(
  handoff: DispatchHandoff,
  prepared: Prepared[],
  groups: ReturnType<typeof dispatchGroups>,
  inserted: Set<string>,
  result: Array<{ pair: number | null; subscriber_id: string | null; seq: number | null }>,
  pairs: { ids: string[]; users: string[] },
  createdAt: Date,
): void {
  const recipients = new Map<string, HandedNotification['recipients']>();
  for (const r of result) {
    if (r.pair === null || r.subscriber_id === null || r.seq === null) continue;
    const id = pairs.ids[r.pair - 1] as string;
    const list = recipients.get(id) ?? [];
    list.push([pairs.users[r.pair - 1] as string, r.subscriber_id, r.seq]);
    recipients.set(id, list);
  }
  const byId = new Map(prepared.map((p) => [p.row.id, p.row]));
  for (const group of groups) {
    const notifications: HandedNotification[] = [];
    for (const id of group.notificationIds) {
      const row = byId.get(id);
      if (!row || !inserted.has(id)) continue;
      notifications.push({
        id,
        appId: row.appId,
        ...contentOf({ ...row, data: row.data === Prisma.DbNull ? null : row.data } as StoredContent),
        createdAt,
        expiresAt: row.expiresAt ? new Date(row.expiresAt) : null,
        recipients: recipients.get(id) ?? [],
      });
    }
    if (notifications.length > 0) handoff.put(group.id, notifications);
  }
}
