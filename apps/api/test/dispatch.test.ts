import { randomUUID } from 'node:crypto';
import { userRoom } from '@herald/protocol';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../src/admin/bootstrap.js';
import type { Outgoing } from '../src/delivery/socket-channel.js';
import { type DispatchDeps, dispatchMany, dispatchNotification } from '../src/fanout/dispatcher.js';
import { type Prepared, prepare } from '../src/intake/prepare.js';
import { store } from '../src/intake/store.js';
import { NotificationLog } from '../src/log/notification-log.js';
import { processDispatch } from '../src/queue/dispatch-processor.js';
import type { DispatchJobData } from '../src/queue/notifications.js';
import { pullFromOutbox } from '../src/queue/outbox.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let testDb: TestDatabase;
let deps: DispatchDeps;
let emitted: string[];

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
  // Records each recipient's room, as the gateway would emit to it.
  emitted = [];
  deps = {
    prisma: testDb.db.prisma,
    sql: testDb.db.sql,
    deliver: async (batch) => {
      for (const o of batch) for (const [user] of o.recipients) emitted.push(userRoom(o.appId, user));
    },
    freshnessMs: 600_000,
  };
});
afterAll(async () => {
  await testDb?.cleanup();
});

async function stored(target: object) {
  const id = randomUUID();
  await testDb.db.prisma.notification.create({ data: { id, appId: 'default', target, title: 'T' } });
  return id;
}

const job = (notificationId: string, attemptsMade = 0, attempts = 3) =>
  ({
    data: { notificationId },
    attemptsMade,
    attemptsStarted: attemptsMade + 1,
    stalledCounter: 0,
    opts: { attempts },
  }) as unknown as Job<DispatchJobData>;

describe('dispatchNotification', () => {
  it('is safe to run twice: no second row, no second sequence number, queued rows emitted again', async () => {
    // More users than the accept path fans out, so the worker writes the rows.
    const users = Array.from({ length: 150 }, (_, i) => `r${i}`);
    const id = await stored({ userIds: users });
    const first = await dispatchNotification(id, deps, { retry: false });
    expect(first).toEqual({ created: 150, emitted: 150 });
    const seqs = await testDb.db.prisma.subscriber.findMany({
      where: { externalId: { in: users } },
      orderBy: { id: 'asc' },
    });

    emitted.length = 0;
    // As if the worker died after storing the rows: the retry re-emits what is still queued.
    await testDb.db.prisma.notification.update({ where: { id }, data: { status: 'processing' } });
    const again = await dispatchNotification(id, deps, { retry: true });
    expect(again).toEqual({ created: 0, emitted: 150 });
    expect(new Set(emitted)).toEqual(new Set(users.map((u) => `user:default:${u}`)));
    expect(await testDb.db.prisma.delivery.count({ where: { notificationId: id } })).toBe(150);
    const after = await testDb.db.prisma.subscriber.findMany({
      where: { externalId: { in: users } },
      orderBy: { id: 'asc' },
    });
    expect(after.map((s) => s.lastSeq)).toEqual(seqs.map((s) => s.lastSeq));
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).recipientCount).toBe(150);
  });

  it('sends a broadcast as one message for every gateway, writing no row per subscriber', async () => {
    const users = Array.from({ length: 2500 }, (_, i) => `bulk-${i}`);
    await testDb.db.prisma.subscriber.createMany({
      data: users.map((externalId) => ({ appId: 'default', externalId })),
    });
    const before = await testDb.db.prisma.delivery.count();
    // Scheduled: its place in the stream is taken when it goes out, not when it was accepted.
    const p = prepare(
      'default',
      { to: { broadcast: true }, title: 'All', sendAt: new Date(Date.now() + 3_600_000).toISOString() },
      undefined,
      Date.now(),
      undefined,
      'api',
    );
    await store(testDb.db.sql, [p]);
    const [entry] = await testDb.db.sql.query<{ seq: number | null; audience_seq: number }>(
      'SELECT seq, audience_seq FROM stream_entries WHERE notification_id = $1',
      [p.row.id],
    );
    expect(entry?.seq).toBeNull();
    const batches: Outgoing[][] = [];
    const result = await dispatchNotification(
      p.row.id,
      { ...deps, deliver: async (b) => void batches.push(b) },
      { retry: false },
    );
    expect(result).toEqual({ created: 0, emitted: 1 });
    expect(batches).toHaveLength(1);
    const [sent] = batches[0] ?? [];
    expect(sent?.recipients).toEqual([]);
    expect(sent?.streams).toEqual([['*', expect.any(Number), entry?.audience_seq]]);
    expect((sent?.streams?.[0]?.[1] ?? 0) > (entry?.audience_seq ?? 0)).toBe(true);
    expect(await testDb.db.prisma.delivery.count()).toBe(before);
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id: p.row.id } })).status).toBe(
      'dispatched',
    );
  });

  it('sends an immediate broadcast at the place it took when accepted, marked dispatched before it is handed over', async () => {
    const accept = async () => {
      const p = prepare('default', { to: { broadcast: true }, title: 'Now' }, undefined, Date.now(), undefined, 'api');
      await store(testDb.db.sql, [p]);
      const [entry] = await testDb.db.sql.query<{ seq: number; audience_seq: number }>(
        'SELECT seq, audience_seq FROM stream_entries WHERE notification_id = $1',
        [p.row.id],
      );
      return { id: p.row.id, entry };
    };
    const row = (id: string) =>
      testDb.db.sql.query<{ status: string; dispatched: boolean }>(
        'SELECT status::text AS status, dispatched_at IS NOT NULL AS dispatched FROM notifications WHERE id = $1',
        [id],
      );
    const { id, entry } = await accept();
    expect(entry?.seq).toBe(entry?.audience_seq);
    const batches: Outgoing[][] = [];
    // The status the notification has while its message is handed over: the claim's.
    const during: Array<{ status: string; dispatched: boolean }> = [];
    const recording = {
      ...deps,
      deliver: async (b: Outgoing[]) => {
        batches.push(b);
        during.push(...(await row(id)));
      },
    };
    expect(await dispatchNotification(id, recording, { retry: false })).toEqual({ created: 0, emitted: 1 });
    expect(batches[0]?.[0]?.streams).toEqual([['*', entry?.seq, entry?.audience_seq]]);
    expect(during).toEqual([{ status: 'dispatched', dispatched: true }]);
    // A job run again (a worker that died after the claim) sends it again at the same place.
    expect(await dispatchNotification(id, recording, { retry: true })).toEqual({ created: 0, emitted: 1 });
    expect(batches[1]?.[0]?.streams).toEqual(batches[0]?.[0]?.streams);

    // Past its ttl when its job runs: expired, nothing sent; cancelled: nothing sent.
    const stale = await accept();
    await testDb.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      stale.id,
    ]);
    expect(await dispatchNotification(stale.id, recording, { retry: false })).toEqual({
      skipped: 'expired',
      created: 0,
      emitted: 0,
    });
    expect(await row(stale.id)).toEqual([{ status: 'expired', dispatched: true }]);
    const cancelled = await accept();
    await testDb.db.sql.query(`UPDATE notifications SET status = 'cancelled' WHERE id = $1`, [cancelled.id]);
    expect(await dispatchNotification(cancelled.id, recording, { retry: false })).toEqual({
      skipped: 'cancelled',
      created: 0,
      emitted: 0,
    });
    expect(batches).toHaveLength(2);
  });

  it('writes no more rows once the notification is cancelled in the middle of its fan-out', async () => {
    const users = Array.from({ length: 150 }, (_, i) => `mid-${i}`);
    const id = randomUUID();
    await testDb.db.prisma.notification.create({
      data: { id, appId: 'default', target: { userIds: users }, title: 'T', recipientCount: users.length },
    });
    const service = new NotificationLog(testDb.db.prisma, { remove: async () => 0 } as never);
    let handedOver = 0;
    let cancelled: number | undefined;
    const result = await dispatchNotification(
      id,
      {
        ...deps,
        chunk: 50,
        // The operator cancels right after the first chunk of 50 went out.
        deliver: async (batch) => {
          handedOver += batch.reduce((n, o) => n + o.recipients.length, 0);
          cancelled ??= (await service.cancel('default', id)).cancelled;
        },
      },
      { retry: false },
    );
    expect(handedOver).toBe(50);
    expect(result).toEqual({ created: 50, emitted: 50 });
    // The 50 rows not acknowledged yet, and the 100 recipients not reached yet.
    expect(cancelled).toBe(150);
    const rows = await testDb.db.prisma.delivery.groupBy({
      by: ['status'],
      where: { notificationId: id },
      _count: { _all: true },
    });
    expect(rows).toEqual([{ status: 'cancelled', _count: { _all: 50 } }]);
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status).toBe('cancelled');
  });

  it('does not send a cancelled notification', async () => {
    const id = await stored({ userId: 'c1' });
    await testDb.db.prisma.notification.update({ where: { id }, data: { status: 'cancelled' } });
    expect(await dispatchNotification(id, deps, { retry: false })).toEqual({
      skipped: 'cancelled',
      created: 0,
      emitted: 0,
    });
    expect(await testDb.db.prisma.delivery.count({ where: { notificationId: id } })).toBe(0);
  });
});

describe('dispatchMany (rows written at accept time)', () => {
  /** A notification to one user with its delivery row, as the accept path writes them. */
  async function accepted(user: string, data: { status?: 'queued' | 'cancelled'; expiresAt?: Date } = {}) {
    const id = randomUUID();
    const subscriber = await testDb.db.prisma.subscriber.upsert({
      where: { appId_externalId: { appId: 'default', externalId: user } },
      create: { appId: 'default', externalId: user, lastSeq: 1 },
      update: { lastSeq: { increment: 1 } },
    });
    await testDb.db.prisma.notification.create({
      data: { id, appId: 'default', target: { userId: user }, title: `for ${user}`, recipientCount: 1, ...data },
    });
    await testDb.db.prisma.delivery.create({
      data: { notificationId: id, subscriberId: subscriber.id, seq: subscriber.lastSeq },
    });
    return id;
  }
  const statusOf = async (id: string) =>
    (await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status;
  const rowOf = (id: string) => testDb.db.prisma.delivery.findFirstOrThrow({ where: { notificationId: id } });

  it('emits live rows, expires the stale, skips the cancelled — and emits what is still queued again on a retry', async () => {
    const live = await accepted('m-live');
    const stale = await accepted('m-stale', { expiresAt: new Date(Date.now() - 1000) });
    const cancelled = await accepted('m-cancelled', { status: 'cancelled' });
    emitted.length = 0;

    const outcomes: Array<[string, number]> = [];
    const counting = { ...deps, onOutcome: (o: string, n: number) => outcomes.push([o, n]) };
    expect(await dispatchMany([live, stale, cancelled], counting)).toEqual({ created: 0, emitted: 1 });
    expect(emitted).toEqual(['user:default:m-live']);
    expect(outcomes).toEqual([['expired', 1]]);
    expect(await statusOf(live)).toBe('dispatched');
    expect(await statusOf(stale)).toBe('expired');
    expect((await rowOf(stale)).status).toBe('expired');
    expect(await statusOf(cancelled)).toBe('cancelled');
    expect((await rowOf(cancelled)).status).toBe('queued');

    // Nobody was connected, so the live row is still queued: a retried job sends it again.
    emitted.length = 0;
    expect(await dispatchMany([live], deps)).toEqual({ created: 0, emitted: 1 });
    // Once acknowledged it is not sent again.
    await testDb.db.prisma.delivery.updateMany({ where: { notificationId: live }, data: { status: 'delivered' } });
    emitted.length = 0;
    expect(await dispatchMany([live], deps)).toEqual({ created: 0, emitted: 0 });
    expect(emitted).toEqual([]);
    expect(await statusOf(live)).toBe('dispatched');
  });

  it('writes nothing to a notification its accept dispatched: one read, then the emit', async () => {
    const accept = async (input: { title: string; ttlSeconds?: number }) => {
      const p = prepare('default', { to: { userId: 'm-accepted' }, ...input }, undefined, Date.now(), undefined, 'api');
      await store(testDb.db.sql, [p]);
      return p.row.id;
    };
    const version = async (id: string) =>
      (
        await testDb.db.sql.query<{ version: string; status: string }>(
          'SELECT xmin::text AS version, status::text AS status FROM notifications WHERE id = $1',
          [id],
        )
      )[0];
    const outbox = (id: string) => testDb.db.prisma.dispatchOutbox.findUnique({ where: { id } });
    const id = await accept({ title: 'Now' });
    const before = await version(id);
    expect(before?.status).toBe('dispatched');
    expect((await outbox(id))?.notificationIds).toEqual([id]);
    emitted.length = 0;
    // Its job, as enqueue makes it: a batch of one with the notification's id.
    const batchJob = { ...job(id), id, data: { notificationIds: [id] } } as unknown as Job<DispatchJobData>;
    expect(await processDispatch(batchJob, deps)).toEqual({ created: 0, emitted: 1 });
    expect(emitted).toEqual(['user:default:m-accepted']);
    // The same row version: not even rewritten with the same values. Only the outbox row went.
    expect(await version(id)).toEqual(before);
    expect(await outbox(id)).toBeNull();

    // Past its ttl when its job runs (a backlog): it and its row are marked expired, nothing is sent.
    const late = await accept({ title: 'Late', ttlSeconds: 60 });
    await testDb.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      late,
    ]);
    emitted.length = 0;
    expect(await dispatchMany([late], deps)).toEqual({ created: 0, emitted: 0 });
    expect(emitted).toEqual([]);
    expect(await statusOf(late)).toBe('expired');
    expect((await rowOf(late)).status).toBe('expired');
  });

  it('emits nothing of a send cancelled while its job reads it: the read waits for the cancel', async () => {
    const [kept, cancelled] = ['m-race-kept', 'm-race-cancelled'].map((userId) =>
      prepare('default', { to: { userId }, title: 'Race' }, undefined, Date.now(), undefined, 'api'),
    ) as [Prepared, Prepared];
    await store(testDb.db.sql, [kept, cancelled]);
    const group = `batch-${kept.row.id}`;
    emitted.length = 0;
    let read: Promise<unknown> | undefined;
    await testDb.db.prisma.$transaction(async (tx) => {
      // What cancel does, in its transaction: the job's read starts meanwhile, and waits.
      expect(await pullFromOutbox(tx, cancelled.row.id)).toBe(true);
      await tx.$executeRaw`UPDATE notifications SET status = 'cancelled' WHERE id = ${cancelled.row.id}::uuid`;
      read = dispatchMany([kept.row.id, cancelled.row.id], deps, group);
      await new Promise((r) => setTimeout(r, 300));
      expect(emitted).toEqual([]);
    });
    expect(await read).toEqual({ created: 0, emitted: 1 });
    expect(emitted).toEqual(['user:default:m-race-kept']);
    expect(await testDb.db.prisma.dispatchOutbox.findUnique({ where: { id: group } })).toBeNull();
  });

  it('fails when the batch cannot be handed over, and its retry sends it', async () => {
    const id = await accepted('m-unreachable');
    const unreachable: DispatchDeps = {
      ...deps,
      deliver: async () => {
        throw new Error('Redis refused the publish');
      },
    };
    await expect(dispatchMany([id], unreachable)).rejects.toThrow(/refused/);
    expect(await statusOf(id)).toBe('dispatched');
    emitted.length = 0;
    expect(await dispatchMany([id], deps)).toEqual({ created: 0, emitted: 1 });
    expect(emitted).toEqual(['user:default:m-unreachable']);
  });

  it('takes the batch path when a single dispatch job (a re-enqueued one) finds rows written at accept time', async () => {
    const live = await accepted('m-requeued');
    const stale = await accepted('m-requeued-stale', { expiresAt: new Date(Date.now() - 1000) });
    emitted.length = 0;
    expect(await dispatchNotification(live, deps, { retry: false })).toEqual({ created: 0, emitted: 1 });
    expect(emitted).toEqual(['user:default:m-requeued']);
    expect(await statusOf(live)).toBe('dispatched');
    expect(await dispatchNotification(stale, deps, { retry: false })).toEqual({
      skipped: 'expired',
      created: 0,
      emitted: 0,
    });
    expect((await rowOf(stale)).status).toBe('expired');
  });

  it('sends nothing when every notification was cancelled', async () => {
    const id = await accepted('m-only-cancelled', { status: 'cancelled' });
    expect(await dispatchMany([id], deps)).toEqual({ skipped: 'cancelled', created: 0, emitted: 0 });
  });
});

describe('processDispatch', () => {
  it('ends with nothing to do, not as a failure, when the notification no longer exists (its app was deleted)', async () => {
    await expect(processDispatch(job(randomUUID()), deps)).resolves.toEqual({
      skipped: 'missing',
      created: 0,
      emitted: 0,
    });
  });

  it('marks the notification failed with the reason when the last attempt fails, and reports it once', async () => {
    const id = await stored({ userIds: Array.from({ length: 150 }, (_, i) => `f${i}`) });
    const outcomes: Array<[string, number]> = [];
    // A delivery that throws stands for any failure during fan-out.
    const broken: DispatchDeps = {
      ...deps,
      deliver: async () => {
        throw new Error('the sockets are unreachable');
      },
      onOutcome: (outcome, count) => outcomes.push([outcome, count]),
    };
    await expect(processDispatch(job(id, 0, 3), broken)).rejects.toThrow();
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status).toBe('processing');
    expect(outcomes).toEqual([]);
    await expect(processDispatch(job(id, 2, 3), broken)).rejects.toThrow();
    const failed = await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } });
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe('the sockets are unreachable');
    expect(outcomes).toEqual([['failed', 1]]);
    // None of its rows stays queued, so catch-up on connect never hands it out.
    const rows = await testDb.db.prisma.delivery.groupBy({
      by: ['status'],
      where: { notificationId: id },
      _count: true,
    });
    expect(rows).toEqual([{ status: 'failed', _count: 150 }]);
  });

  it('reports deliveries that expired before they could go out', async () => {
    const id = randomUUID();
    const users = Array.from({ length: 120 }, (_, i) => `exp-${i}`);
    await testDb.db.prisma.notification.create({
      data: { id, appId: 'default', target: { userIds: users }, title: 'T', expiresAt: new Date(Date.now() - 1000) },
    });
    const outcomes: Array<[string, number]> = [];
    const result = await processDispatch(job(id), { ...deps, onOutcome: (o, n) => outcomes.push([o, n]) });
    expect(result).toMatchObject({ skipped: 'expired', created: 120, emitted: 0 });
    expect(outcomes).toEqual([['expired', 120]]);
  });
});
