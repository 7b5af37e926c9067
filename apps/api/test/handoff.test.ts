import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrap } from '../src/admin/bootstrap.js';
import { contentOf, type StoredContent } from '../src/delivery/payload.js';
import type { Outgoing } from '../src/delivery/socket-channel.js';
import { type DispatchDeps, dispatchMany } from '../src/fanout/dispatcher.js';
import { DispatchHandoff, type HandedNotification } from '../src/fanout/handoff.js';
import { dispatchGroups } from '../src/intake/enqueue.js';
import { type Prepared, prepare } from '../src/intake/prepare.js';
import { store } from '../src/intake/store.js';
import { processDispatch } from '../src/queue/dispatch-processor.js';
import type { DispatchJobData } from '../src/queue/notifications.js';
import { pullFromOutbox } from '../src/queue/outbox.js';
import type { SendNotificationBody } from '../src/schemas/notifications.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let testDb: TestDatabase;
let batches: Outgoing[][];
let deps: DispatchDeps;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
});
afterAll(async () => {
  await testDb?.cleanup();
});

function freshDeps(handoff?: DispatchHandoff): DispatchDeps {
  batches = [];
  deps = {
    prisma: testDb.db.prisma,
    sql: testDb.db.sql,
    deliver: async (batch) => void batches.push(batch),
    freshnessMs: 600_000,
    handoff,
  };
  return deps;
}

const prepared = (input: Partial<SendNotificationBody>) =>
  prepare('default', { title: 'T', to: { userId: 'h-0' }, ...input }, undefined, Date.now(), undefined, 'api');

/** Its `dispatch-batch` job as enqueue makes it, on its first run unless `attemptsMade`. */
function batchJob(group: { id: string; notificationIds: string[] }, attemptsMade = 0) {
  return {
    id: group.id,
    data: { notificationIds: group.notificationIds },
    attemptsMade,
    attemptsStarted: attemptsMade + 1,
    stalledCounter: 0,
    opts: { attempts: 3 },
  } as unknown as Job<DispatchJobData>;
}

/** The statements `work` sends, by their first words. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const query = vi.spyOn(testDb.db.sql, 'query');
  try {
    await work();
    return query.mock.calls.map(([text]) => String(text).trim().replace(/\s+/g, ' ').slice(0, 60));
  } finally {
    query.mockRestore();
  }
}

/**
 * A batch in a comparable form: recipients in user order, and the payload without its `seq` (each
 * recipient's is set as it is sent).
 */
const sorted = (batch: Outgoing[] | undefined) =>
  batch
    ?.map((o) => ({
      ...o,
      payload: { ...o.payload, seq: undefined },
      recipients: [...o.recipients].sort((a, b) => a[0].localeCompare(b[0])),
    }))
    .sort((a, b) => a.payload.id.localeCompare(b.payload.id));

describe('the handoff from the accepting statement to its job', () => {
  it("emits with one statement (the outbox row's delete) what the reading path would have sent", async () => {
    const handoff = new DispatchHandoff();
    const two = prepared({ to: { userIds: ['h-a', 'h-b'] }, body: 'b', data: { z: 1, a: [1, { y: null }] }, tag: 't' });
    const one = prepared({ to: { userId: 'h-a' }, url: 'https://example.com/x', ttlSeconds: 600, priority: 'high' });
    const same = prepared({ to: { userId: 'h-b' }, priority: 'high' });
    await store(testDb.db.sql, [two, one, same], handoff);
    // One job per priority: normal (two), high (one, same).
    const groups = dispatchGroups([two, one, same]);
    expect(groups.map((g) => g.notificationIds)).toEqual([[two.row.id], [one.row.id, same.row.id]]);
    expect(handoff.size).toBe(2);

    freshDeps(handoff);
    const high = groups[1] as (typeof groups)[number];
    const statements = await statementsOf(() => processDispatch(batchJob(high), deps));
    expect(statements).toEqual([expect.stringMatching(/^DELETE FROM dispatch_outbox WHERE id = \$1 RETURNING/)]);
    expect(handoff.size).toBe(1);
    const handed = batches[0];
    expect(await testDb.db.prisma.dispatchOutbox.findUnique({ where: { id: high.id } })).toBeNull();

    // What the reading path sends of the same notifications (their rows are still queued).
    freshDeps();
    await dispatchMany(high.notificationIds, deps, null);
    expect(sorted(handed)).toEqual(sorted(batches[0]));
    // Each user's numbers follow the order the sends were accepted in.
    const [a] = (await testDb.db.sql.query<{ seq: number }>(
      `SELECT d.seq FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE s.external_id = 'h-a' AND d.notification_id = $1`,
      [one.row.id],
    )) as [{ seq: number }];
    expect(handed?.[0]?.recipients).toEqual([['h-a', expect.any(String), a.seq]]);
    expect(handed?.[0]?.payload).toMatchObject({ id: one.row.id, url: 'https://example.com/x', priority: 'high' });

    freshDeps(handoff);
    const normal = groups[0] as (typeof groups)[number];
    await processDispatch(batchJob(normal), deps);
    const handedTwo = batches[0];
    freshDeps();
    await dispatchMany(normal.notificationIds, deps, null);
    // The data as given, and as the database gives it back (jsonb orders keys): equal all the same.
    expect(handedTwo?.[0]?.recipients).toHaveLength(2);
    expect(sorted(handedTwo)).toEqual(sorted(batches[0]));
    expect(handoff.size).toBe(0);
  });

  it('sends nothing a cancel took out of the outbox row, and waits for a cancel in progress', async () => {
    const handoff = new DispatchHandoff();
    const [kept, cancelled] = ['h-race-kept', 'h-race-cancelled'].map((userId) => prepared({ to: { userId } })) as [
      Prepared,
      Prepared,
    ];
    await store(testDb.db.sql, [kept, cancelled], handoff);
    const [group] = dispatchGroups([kept, cancelled]);
    freshDeps(handoff);
    let run: Promise<unknown> | undefined;
    await testDb.db.prisma.$transaction(async (tx) => {
      // What cancel does, in its transaction: the job starts meanwhile, and its delete waits.
      expect(await pullFromOutbox(tx, cancelled.row.id)).toBe(true);
      await tx.$executeRaw`UPDATE notifications SET status = 'cancelled' WHERE id = ${cancelled.row.id}::uuid`;
      run = processDispatch(batchJob(group as NonNullable<typeof group>), deps);
      await new Promise((r) => setTimeout(r, 300));
      expect(batches).toEqual([]);
    });
    expect(await run).toEqual({ created: 0, emitted: 1 });
    expect(batches.flat().map((o) => o.payload.id)).toEqual([kept.row.id]);

    // Every notification of the job cancelled: nothing is sent.
    const alone = prepared({ to: { userId: 'h-alone' } });
    await store(testDb.db.sql, [alone], handoff);
    await testDb.db.prisma.$transaction((tx) => pullFromOutbox(tx, alone.row.id));
    freshDeps(handoff);
    expect(await processDispatch(batchJob({ id: alone.row.id, notificationIds: [alone.row.id] }), deps)).toEqual({
      skipped: 'cancelled',
      created: 0,
      emitted: 0,
    });
    expect(batches).toEqual([]);
  });

  it('reads the database on a retry, or when the job comes after its ttl', async () => {
    const handoff = new DispatchHandoff();
    const retried = prepared({ to: { userId: 'h-retried' } });
    await store(testDb.db.sql, [retried], handoff);
    freshDeps(handoff);
    const job = batchJob({ id: retried.row.id, notificationIds: [retried.row.id] }, 1);
    const statements = await statementsOf(() => processDispatch(job, deps));
    expect(statements).toEqual([expect.stringMatching(/^WITH gone AS/)]);
    expect(batches.flat().map((o) => o.recipients.map((r) => r[0]))).toEqual([['h-retried']]);
    expect(handoff.size).toBe(0);

    // Accepted with a ttl that ran out before its job ran: marked expired, with its row, and not sent.
    const late = prepared({ to: { userId: 'h-late' }, ttlSeconds: 60 });
    late.row.expiresAt = new Date(Date.now() - 1000);
    await store(testDb.db.sql, [late], handoff);
    freshDeps(handoff);
    expect(await processDispatch(batchJob({ id: late.row.id, notificationIds: [late.row.id] }), deps)).toEqual({
      created: 0,
      emitted: 0,
    });
    expect(batches.flat()).toEqual([]);
    const [row] = await testDb.db.sql.query<{ n: string; d: string }>(
      `SELECT n.status::text AS n, d.status::text AS d FROM notifications n JOIN deliveries d ON d.notification_id = n.id
        WHERE n.id = $1`,
      [late.row.id],
    );
    expect(row).toEqual({ n: 'expired', d: 'expired' });
    expect(await testDb.db.prisma.dispatchOutbox.findUnique({ where: { id: late.row.id } })).toBeNull();
  });

  it('sends only what was inserted and is not turned off, each recipient with their own number', async () => {
    const handoff = new DispatchHandoff();
    await testDb.db.sql.query(
      `INSERT INTO categories (app_id, key, name, default_mode) VALUES ('default', 'h-promo', 'Promo', 'off')`,
    );
    const policy = { clickOrigins: null, categories: new Map([['h-promo', {}]]) };
    const taken = prepared({ to: { userId: 'h-key' }, idempotencyKey: `h-key-${Date.now()}` });
    await store(testDb.db.sql, [taken]);
    // A second send with that key (not inserted), one nobody wants (off by default), one to two users.
    const again = prepared({ to: { userId: 'h-key' }, idempotencyKey: taken.row.idempotencyKey ?? '' });
    const off = prepare(
      'default',
      { title: 'Promo', to: { userIds: ['h-c1', 'h-c2'] }, category: 'h-promo' },
      undefined,
      Date.now(),
      policy,
      'api',
    );
    const kept = prepared({ to: { userIds: ['h-c2', 'h-c1'] } });
    const inserted = await store(testDb.db.sql, [again, off, kept], handoff);
    expect(inserted).toEqual(new Set([off.row.id, kept.row.id]));
    const [group] = dispatchGroups([again, off, kept]);
    freshDeps(handoff);
    expect(await processDispatch(batchJob(group as NonNullable<typeof group>), deps)).toEqual({
      created: 0,
      emitted: 2,
    });
    const rows = await testDb.db.sql.query<{ external_id: string; subscriber_id: string; seq: number }>(
      `SELECT s.external_id, d.subscriber_id, d.seq FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
        WHERE d.notification_id = $1 ORDER BY s.external_id`,
      [kept.row.id],
    );
    expect(batches.flat().map((o) => o.payload.id)).toEqual([kept.row.id]);
    expect(sorted(batches[0])?.[0]?.recipients).toEqual(rows.map((r) => [r.external_id, r.subscriber_id, r.seq]));
  });

  it('fails when the batch cannot be handed over, and its retry reads and sends it', async () => {
    const handoff = new DispatchHandoff();
    const p = prepared({ to: { userId: 'h-unreachable' } });
    await store(testDb.db.sql, [p], handoff);
    const group = { id: p.row.id, notificationIds: [p.row.id] };
    freshDeps(handoff);
    await expect(
      processDispatch(batchJob(group), {
        ...deps,
        deliver: async () => {
          throw new Error('Redis refused the publish');
        },
      }),
    ).rejects.toThrow(/refused/);
    // The outbox row went with the first run: the retry sends what is still queued.
    expect(await processDispatch(batchJob(group, 1), deps)).toEqual({ created: 0, emitted: 1 });
    expect(batches.flat().map((o) => o.recipients.map((r) => r[0]))).toEqual([['h-unreachable']]);
  });

  it('keeps a bounded number of recipients and notifications, for a bounded time, and each entry once', () => {
    const entry = (users: number): HandedNotification[] => [
      {
        id: 'n',
        appId: 'default',
        ...contentOf({ title: 'T', priority: 'normal' } as StoredContent),
        createdAt: new Date(),
        expiresAt: null,
        recipients: Array.from({ length: users }, (_, i) => [`u${i}`, `s${i}`, 1] as [string, string, number]),
      },
    ];
    const handoff = new DispatchHandoff(3, 10, 1000);
    handoff.put('a', entry(6), 0);
    handoff.put('b', entry(5), 0); // past the recipients' bound: not kept
    handoff.put('c', entry(4), 500);
    expect(handoff.size).toBe(2);
    expect(handoff.take('b', 500)).toBeUndefined();
    expect(handoff.take('a', 600)).toHaveLength(1);
    expect(handoff.take('a', 600)).toBeUndefined();
    // Too old when taken: the job reads the database; and it is gone.
    expect(handoff.take('c', 1600)).toBeUndefined();
    expect(handoff.size).toBe(0);
    // Old entries go when new ones come.
    handoff.put('d', entry(4), 0);
    handoff.put('e', entry(4), 2000);
    expect(handoff.size).toBe(1);
    expect(handoff.take('e', 2000)).toHaveLength(1);
    // Notifications count too, even with no recipient (a send everyone turned off).
    for (const id of ['f', 'g', 'h', 'i']) handoff.put(id, entry(0), 3000);
    expect(handoff.size).toBe(3);
  });
});
