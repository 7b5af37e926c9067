import { randomUUID } from 'node:crypto';
import { type Job, UnrecoverableError } from 'bullmq';
import { Server } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { processDispatch } from '../src/queues/dispatch-processor.js';
import type { DispatchJobData } from '../src/queues/notifications.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { DeliveryRecorder } from '../src/services/delivery-recorder.js';
import { type DispatchDeps, dispatchNotification } from '../src/services/dispatcher.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let testDb: TestDatabase;
let deps: DispatchDeps;
let emitted: string[];

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
  // A real Socket.IO server with no clients: every emit completes at once with no responses.
  const emitter = new Server();
  emitted = [];
  const to = emitter.to.bind(emitter);
  vi.spyOn(emitter, 'to').mockImplementation((room) => {
    emitted.push(String(room));
    return to(room);
  });
  deps = {
    prisma: testDb.db.prisma,
    sql: testDb.db.sql,
    emitter,
    recorder: new DeliveryRecorder(testDb.db.sql),
    ackTimeoutMs: 500,
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

  it('fans a broadcast out in chunks to every subscriber, each with its own next sequence number', async () => {
    const users = Array.from({ length: 2500 }, (_, i) => `bulk-${i}`);
    await testDb.db.prisma.subscriber.createMany({
      data: users.map((externalId) => ({ appId: 'default', externalId })),
    });
    const total = await testDb.db.prisma.subscriber.count({ where: { appId: 'default' } });
    const id = await stored({ broadcast: true });
    const result = await dispatchNotification(id, deps, { retry: false });
    expect(result.created).toBe(total);
    const bad = await testDb.db.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
       WHERE d.notification_id = ${id}::uuid AND d.seq <> s.last_seq`;
    expect(Number(bad[0]?.n)).toBe(0);
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

describe('processDispatch', () => {
  it('fails permanently, without retries, when the notification does not exist', async () => {
    await expect(processDispatch(job(randomUUID()), deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('marks the notification failed with the reason when the last attempt fails', async () => {
    const id = await stored({ userIds: Array.from({ length: 150 }, (_, i) => `f${i}`) });
    const broken = { ...deps, prisma: testDb.db.prisma, emitter: undefined as unknown as Server };
    // An emitter that throws stands for any failure during fan-out.
    await expect(processDispatch(job(id, 0, 3), broken)).rejects.toThrow();
    expect((await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status).toBe('processing');
    await expect(processDispatch(job(id, 2, 3), broken)).rejects.toThrow();
    const failed = await testDb.db.prisma.notification.findUniqueOrThrow({ where: { id } });
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toMatch(/\w+/);
  });
});
