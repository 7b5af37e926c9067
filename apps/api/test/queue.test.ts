import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeliveryRecorder } from '../src/delivery/recorder.js';
import { requeueAll, startHousekeeping, sweep } from '../src/queue/maintenance.js';
import { startWorker } from '../src/queue/worker.js';
import {
  createTestDatabase,
  dropQueuePrefix,
  eventually,
  REDIS_URL,
  startStack,
  type TestDatabase,
  type TestStack,
  uid,
} from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  // No worker yet: the tests build a backlog first.
  stack = await startStack(testDb, { worker: false });
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${stack.apiKey}` });

describe('queue behaviour', () => {
  it('lets a high-priority notification overtake a backlog of normal ones', async () => {
    const normal: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth(),
        payload: { to: { userId: `pq-${i}` }, title: 'normal' },
      });
      normal.push(res.json().id);
    }
    const high = (
      await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth(),
        payload: { to: { userId: 'pq-vip' }, title: 'urgent', priority: 'high' },
      })
    ).json().id;
    const worker = await startWorker({
      db: testDb.db,
      redis: { url: REDIS_URL },
      queuePrefix: stack.config.queuePrefix,
      concurrency: 1,
      freshnessMs: 600_000,
      log: stack.app.log,
      localDelivery: stack.app.deliverLocally,
    });
    try {
      // Each was sent alone: its job has its id. Emitted when its job finished.
      const jobs = await eventually(async () => {
        const all = await Promise.all([...normal, high].map((id) => stack.app.notificationsQueue.getJob(id)));
        return all.every((j) => j?.finishedOn) ? all : undefined;
      });
      const at = (id: string) => jobs.find((j) => j?.id === id)?.finishedOn ?? Infinity;
      const firstNormal = Math.min(...normal.map(at));
      expect(at(high)).toBeLessThanOrEqual(firstNormal);
    } finally {
      await worker.close();
    }
  });

  it('re-enqueues a send whose job was lost (Redis did not take it, or the process died before it could)', async () => {
    const { id } = (
      await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth(),
        payload: { to: { userId: 'lost-1' }, title: 'lost' },
      })
    ).json();
    await stack.app.notificationsQueue.remove(id);
    expect(await stack.app.notificationsQueue.getJob(id)).toBeUndefined();
    // Dispatched by its accept: its outbox row is what says it still has to be emitted.
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status).toBe('dispatched');
    await testDb.db.prisma.dispatchOutbox.update({
      where: { id },
      data: { createdAt: new Date(Date.now() - 120_000) },
    });
    const result = await sweep(testDb.db.prisma, stack.app.notificationsQueue);
    expect(result.requeued).toBe(1);
    const job = await stack.app.notificationsQueue.getJob(id);
    expect([job?.name, job?.data]).toEqual(['dispatch-batch', { notificationIds: [id] }]);
    // A second sweep finds the job and leaves it alone.
    const again = await sweep(testDb.db.prisma, stack.app.notificationsQueue);
    expect(again.requeued).toBe(0);
    await stack.app.notificationsQueue.remove(id);
  });

  it('re-enqueues, in one call, the overdue scheduled sends whose jobs were lost, and leaves those whose jobs exist', async () => {
    const queue = stack.app.notificationsQueue;
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const ids: string[] = [];
    for (const user of ['overdue-1', 'overdue-2', 'overdue-3']) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth(),
        payload: { to: { userId: user }, title: 'overdue', sendAt },
      });
      expect(res.json().status).toBe('scheduled');
      ids.push(res.json().id);
    }
    const [lost1, kept, lost2] = ids;
    // Outbox rows an earlier test left overdue would be queued first, and a queue with work
    // waiting is not idle enough to prove any job lost.
    await testDb.db.prisma.dispatchOutbox.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - 60_000) } } });
    await queue.remove(lost1);
    await queue.remove(lost2);
    await testDb.db.prisma.notification.updateMany({
      where: { id: { in: ids } },
      data: { sendAt: new Date(Date.now() - 120_000) },
    });
    const addBulk = vi.spyOn(queue, 'addBulk');
    try {
      const result = await sweep(testDb.db.prisma, queue);
      expect(result.requeued).toBe(2);
      expect(addBulk).toHaveBeenCalledTimes(1);
      expect(addBulk.mock.calls[0][0].map((j) => j.opts?.jobId).sort()).toEqual([lost1, lost2].sort());
    } finally {
      addBulk.mockRestore();
    }
    for (const id of [lost1, lost2]) expect((await queue.getJob(id))?.data).toEqual({ notificationId: id });
    // The kept one's job is still its delayed one (not replaced by a job to send it now).
    expect((await queue.getJob(kept))?.opts.delay).toBeGreaterThan(0);
    for (const id of ids) await queue.remove(id);
  });

  it('drops an outbox row that cancels emptied, and marks failed what a job BullMQ gave up on left', async () => {
    const at = new Date(Date.now() - 120_000);
    await testDb.db.prisma.dispatchOutbox.create({
      data: { id: `batch-${uid()}`, notificationIds: [], priority: 'normal', createdAt: at },
    });
    const { id } = (
      await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth(),
        payload: { to: { userId: 'gave-up' }, title: 'stalled too often' },
      })
    ).json();
    await testDb.db.prisma.dispatchOutbox.update({ where: { id }, data: { createdAt: at } });
    // Its job as BullMQ leaves one it failed itself, without the processor's catch.
    const queue = stack.app.notificationsQueue;
    const getJob = queue.getJob.bind(queue);
    const spy = vi
      .spyOn(queue, 'getJob')
      .mockImplementation(async (jobId: string) =>
        jobId === id
          ? ({ id, finishedOn: Date.now(), failedReason: 'job stalled more than allowable limit' } as Awaited<
              ReturnType<typeof getJob>
            >)
          : getJob(jobId),
      );
    try {
      await sweep(testDb.db.prisma, queue);
    } finally {
      spy.mockRestore();
      await queue.remove(id);
    }
    expect(await testDb.db.prisma.dispatchOutbox.count({ where: { createdAt: at } })).toBe(0);
    expect(await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'failed',
      failureReason: 'job stalled more than allowable limit',
    });
    expect((await testDb.db.prisma.delivery.findFirstOrThrow({ where: { notificationId: id } })).status).toBe('failed');
  });

  it('after Redis lost its data, gives every send still in the outbox its job again, and no other', async () => {
    const send = async (userId: string) =>
      (
        await stack.app.inject({
          method: 'POST',
          url: '/v1/notifications',
          headers: auth(),
          payload: { to: { userId }, title: 'lost with Redis' },
        })
      ).json().id as string;
    const [waiting, emitted] = [await send('lost-2'), await send('lost-3')];
    // The second one's job ran: it deleted its row.
    await testDb.db.prisma.dispatchOutbox.delete({ where: { id: emitted } });
    for (const id of [waiting, emitted]) await stack.app.notificationsQueue.remove(id);
    expect(await requeueAll(testDb.db.prisma, stack.app.notificationsQueue)).toBeGreaterThanOrEqual(1);
    const job = await stack.app.notificationsQueue.getJob(waiting);
    expect([job?.name, job?.data]).toEqual(['dispatch-batch', { notificationIds: [waiting] }]);
    expect(await stack.app.notificationsQueue.getJob(emitted)).toBeUndefined();
  });

  it('numbers one user’s notifications in the order they were accepted, within a batch too', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: {
        notifications: Array.from({ length: 20 }, (_, i) => ({
          to: { userIds: ['order-a', 'order-b'] },
          title: `#${i}`,
        })),
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const ids: string[] = res.json().results.map((r: { id: string }) => r.id);
    for (const user of ['order-a', 'order-b']) {
      const rows = await testDb.db.prisma.delivery.findMany({
        where: { subscriber: { externalId: user } },
        orderBy: { seq: 'asc' },
      });
      expect(rows.map((r) => r.notificationId)).toEqual(ids);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
  });
});

describe('DeliveryRecorder', () => {
  it('writes a burst of acks from many sockets in a few statements, not one each', async () => {
    // Its own notification to 50 users, their rows still queued (nothing delivers them here).
    const sent = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: auth(),
      payload: { to: { userIds: Array.from({ length: 50 }, (_, i) => `ack-${i}`) }, title: 'Acked' },
    });
    expect(sent.statusCode, sent.body).toBe(202);
    const deliveries = await testDb.db.prisma.delivery.findMany({ where: { notificationId: sent.json().id } });
    expect(deliveries).toHaveLength(50);
    expect(deliveries.every((d) => d.status === 'queued')).toBe(true);
    const spy = vi.spyOn(testDb.db.sql, 'query');
    const recorder = new DeliveryRecorder(testDb.db.sql, { maxBatch: 500, maxDelayMs: 20 });
    for (let i = 0; i < 20; i++) {
      for (const d of deliveries) recorder.record('delivered', d.notificationId, d.subscriberId);
    }
    await recorder.flush();
    // 1,000 acks (50 rows, 20 copies each) in at most two batches of 500.
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(2);
    spy.mockRestore();
    const rows = await testDb.db.prisma.delivery.findMany({ where: { notificationId: sent.json().id } });
    expect(rows).toHaveLength(50);
    expect(rows.every((r) => r.status === 'delivered' && r.deliveredAt)).toBe(true);
  });
});

describe('housekeeping', () => {
  it('sweeps once per interval across all the workers of a deployment', async () => {
    const prefix = `{herald-test-${uid()}}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const real = stack.app.notificationsQueue;
    // Each sweep round asks the queue for its counts once: count the rounds there.
    const getJobCounts = vi.spyOn(real, 'getJobCounts');
    getJobCounts.mockClear();
    const workers = Array.from({ length: 3 }, () =>
      startHousekeeping({
        prisma: testDb.db.prisma,
        queue: real,
        redis,
        queuePrefix: prefix,
        intervalMs: 60_000,
        log: stack.app.log,
      }),
    );
    try {
      // Three workers start at once, and each is told to look again.
      await Promise.all(workers.map((w) => w.tick()));
      await Promise.all(workers.map((w) => w.tick()));
      expect(getJobCounts).toHaveBeenCalledTimes(1);
      expect(await redis.exists(`${prefix}:housekeeping:lock`, `${prefix}:housekeeping:marker`)).toBe(2);
    } finally {
      getJobCounts.mockRestore();
      await Promise.all(workers.map((w) => w.close()));
      redis.disconnect();
      await dropQueuePrefix(prefix);
    }
  });
});
