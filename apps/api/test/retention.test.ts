import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHousekeeping } from '../src/queue/maintenance.js';
import { forgetOld } from '../src/queue/retention.js';
import { createTestDatabase, dropQueuePrefix, REDIS_URL, type TestDatabase, uid } from './helpers.js';

const DAY = 24 * 3600 * 1000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

describe.each(['postgres', 'pglite'] as const)('the retention period on %s', (kind) => {
  let testDb: TestDatabase;
  beforeEach(async () => {
    testDb = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await testDb.cleanup();
  });

  /** A notification of app `appId` sent `age` days ago to `subscriberId`, with its delivery row (and more). */
  async function sent(
    appId: string,
    subscriberId: string,
    age: number,
    extra: { status?: 'dispatched' | 'queued' | 'scheduled' | 'cancelled'; sendAt?: Date; seq?: number } = {},
  ): Promise<string> {
    const { prisma } = testDb.db;
    const id = randomUUID();
    await prisma.notification.create({
      data: {
        id,
        appId,
        target: { userId: 'u1' },
        title: `${age} days old`,
        status: extra.status ?? 'dispatched',
        createdAt: daysAgo(age),
        sendAt: extra.sendAt ?? null,
      },
    });
    await prisma.delivery.create({
      data: { notificationId: id, subscriberId, seq: extra.seq ?? null, status: 'delivered', createdAt: daysAgo(age) },
    });
    return id;
  }

  async function setup() {
    const { prisma } = testDb.db;
    const apps = ['ret-a', 'ret-b'];
    const users: Record<string, string> = {};
    for (const appId of apps) {
      await prisma.app.create({ data: { id: appId, name: appId, jwtSecret: 'x'.repeat(32) } });
      users[appId] = (await prisma.subscriber.create({ data: { appId, externalId: 'u1' } })).id;
    }
    return { apps, users: users as { 'ret-a': string; 'ret-b': string } };
  }

  it('deletes what went out before it, with its deliveries, stream entries and pushes, and keeps the rest', async () => {
    const { prisma } = testDb.db;
    const { users } = await setup();
    const a = users['ret-a'];
    const old = await sent('ret-a', a, 100, { seq: 1 });
    const oldCancelled = await sent('ret-a', a, 95, { status: 'cancelled' });
    const recent = await sent('ret-a', a, 10, { seq: 2 });
    // Not gone out yet, however old the request: a send scheduled far ahead, and one still queued.
    const scheduled = await sent('ret-a', a, 100, { status: 'scheduled', sendAt: new Date(Date.now() + DAY) });
    const queued = await sent('ret-a', a, 100, { status: 'queued' });
    // Scheduled 100 days ago for 30 days ago: it went out 30 days ago.
    const wentOutLate = await sent('ret-a', a, 100, { sendAt: daysAgo(30) });
    // Every app's.
    const otherApp = await sent('ret-b', users['ret-b'], 100);
    // A broadcast's stream entry and a push record go with it.
    await prisma.streamEntry.create({
      data: { notificationId: old, appId: 'ret-a', stream: '*', audienceSeq: 1, seq: 1 },
    });
    await prisma.pushSubscription.create({
      data: {
        id: 'ps1',
        appId: 'ret-a',
        subscriberId: a,
        endpoint: 'https://push.example/1',
        p256dh: 'p',
        auth: 'a',
        publicKey: 'k',
      },
    });
    await prisma.pushDelivery.create({
      data: { notificationId: old, subscriptionId: 'ps1', appId: 'ret-a', subscriberId: a, status: 'sent' },
    });

    expect(await forgetOld(prisma, 90)).toEqual({ deleted: 3, streamed: [old] });

    const left = (await prisma.notification.findMany({ select: { id: true } })).map((n) => n.id).sort();
    expect(left).toEqual([recent, scheduled, queued, wentOutLate].sort());
    expect(await prisma.delivery.count({ where: { notificationId: { in: [old, oldCancelled, otherApp] } } })).toBe(0);
    expect(await prisma.delivery.count()).toBe(4);
    expect(await prisma.streamEntry.count()).toBe(0);
    expect(await prisma.pushDelivery.count()).toBe(0);
    // The user, their push subscription and their sequence stay.
    expect(await prisma.subscriber.count()).toBe(2);
    expect(await prisma.pushSubscription.count()).toBe(1);
    // Nothing left to delete; 0 keeps everything.
    expect(await forgetOld(prisma, 90)).toEqual({ deleted: 0, streamed: [] });
    expect(await forgetOld(prisma, 0)).toEqual({ deleted: 0, streamed: [] });
    expect(await prisma.notification.count()).toBe(4);
  });

  /**
   * The notifications each page statement of `work` deleted, in order, and how many found nothing
   * (one per app at the end of its backlog: `setup` makes two apps).
   */
  async function pages(work: () => Promise<unknown>): Promise<{ pages: number[]; empty: number }> {
    const spy = vi.spyOn(testDb.db.prisma, '$queryRawUnsafe');
    try {
      await work();
      const counts = await Promise.all(spy.mock.results.map(async (r) => ((await r.value) as unknown[]).length));
      return { pages: counts.filter((n) => n > 0), empty: counts.filter((n) => n === 0).length };
    } finally {
      spy.mockRestore();
    }
  }

  it('works through a backlog a page at a time, oldest first, while its time lasts', async () => {
    const { prisma } = testDb.db;
    const { users } = await setup();
    const ids: string[] = [];
    for (let age = 200; age > 180; age--) ids.push(await sent('ret-a', users['ret-a'], age));
    // No time: no statement.
    expect(await pages(() => forgetOld(prisma, 90, { page: 3, budgetMs: 0 }))).toEqual({ pages: [], empty: 0 });
    expect(await prisma.notification.count()).toBe(20);
    // Pages of 3, oldest first, until one finds nothing.
    expect(await pages(() => forgetOld(prisma, 90, { page: 3 }))).toEqual({ pages: [3, 3, 3, 3, 3, 3, 2], empty: 2 });
    expect(await prisma.notification.count()).toBe(0);
    expect(await prisma.delivery.count()).toBe(0);
  });

  it('ends a page at the notification whose recipients take it past the rows a statement may delete', async () => {
    const { prisma } = testDb.db;
    const { users } = await setup();
    for (let age = 200; age > 195; age--) await sent('ret-a', users['ret-a'], age);
    // Six rows each (five recipients and the notification): a page of 10 rows holds two.
    await prisma.notification.updateMany({ data: { recipientCount: 5 } });
    expect(await pages(() => forgetOld(prisma, 90, { rows: 10 }))).toEqual({ pages: [2, 2, 1], empty: 2 });
    // A notification bigger than a page still goes, alone.
    for (let age = 200; age > 197; age--) await sent('ret-a', users['ret-a'], age);
    await prisma.notification.updateMany({ data: { recipientCount: 50 } });
    expect(await pages(() => forgetOld(prisma, 90, { rows: 10 }))).toEqual({ pages: [1, 1, 1], empty: 2 });
  });

  it('deletes, the round after, the receipt a late ack wrote for a stream notification it deleted', async () => {
    const { prisma } = testDb.db;
    const { users } = await setup();
    const broadcast = await sent('ret-a', users['ret-a'], 100);
    await prisma.streamEntry.create({
      data: { notificationId: broadcast, appId: 'ret-a', stream: '*', audienceSeq: 1, seq: 1 },
    });
    const first = await forgetOld(prisma, 90);
    expect(first).toEqual({ deleted: 1, streamed: [broadcast] });
    // An ack that read the notification just before it went writes its user's receipt just after.
    await prisma.delivery.create({
      data: { notificationId: broadcast, subscriberId: users['ret-b'], status: 'delivered' },
    });
    await forgetOld(prisma, 90, { after: first.streamed });
    expect(await prisma.delivery.count()).toBe(0);
  });

  it('is part of the housekeeping round, with the period it is given (0 keeps everything), and follows up on receipts', async () => {
    const { prisma } = testDb.db;
    const { users } = await setup();
    const old = await sent('ret-a', users['ret-a'], 100);
    await prisma.streamEntry.create({
      data: { notificationId: old, appId: 'ret-a', stream: '*', audienceSeq: 1, seq: 1 },
    });
    const prefix = `{herald-test-${uid()}}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const lines: unknown[] = [];
    const log = { info: (o: unknown) => lines.push(o), warn: () => {}, error: () => {} };
    // Each round asks the queue for its counts once: count the rounds there.
    let rounds = 0;
    const queue = {
      getJobCounts: async () => {
        rounds++;
        return {};
      },
      getJob: async () => undefined,
      addBulk: async () => [],
    } as never;
    const housekeeping = (retentionDays: number) =>
      startHousekeeping({ prisma, queue, redis, queuePrefix: prefix, intervalMs: 60_000, log, retentionDays });
    /** One round now (the lock of the last one released). */
    const round = async (h: ReturnType<typeof housekeeping>) => {
      await redis.del(`${prefix}:housekeeping:lock`);
      await h.tick();
    };
    const keepAll = housekeeping(0);
    try {
      await round(keepAll);
      expect(rounds).toBe(1);
      expect(await prisma.notification.count({ where: { id: old } })).toBe(1);
    } finally {
      await keepAll.close();
    }
    const month = housekeeping(30);
    try {
      await round(month);
      expect(rounds).toBe(2);
      expect(await prisma.notification.count({ where: { id: old } })).toBe(0);
      expect(lines).toContainEqual({ forgotten: 1, retentionDays: 30 });
      // A late ack's receipt of the broadcast it deleted: gone with the next round.
      await prisma.delivery.create({
        data: { notificationId: old, subscriberId: users['ret-a'], status: 'delivered' },
      });
      await round(month);
      expect(rounds).toBe(3);
      expect(await prisma.delivery.count({ where: { notificationId: old } })).toBe(0);
    } finally {
      await month.close();
      redis.disconnect();
      await dropQueuePrefix(prefix);
    }
  });
});
