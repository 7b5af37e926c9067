/**
 * Redis trouble, on a private redis-server of each test's own (never the machine's shared one):
 * stopped, frozen (SIGSTOP), or restarted without its data. Nothing accepted may be stranded,
 * nothing may hang, and every refusal is a 503 with a code and a sentence.
 */
import type { Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/platform/lib/secrets.js';
import {
  createTestDatabase,
  eventually,
  type RedisServer,
  startRedisServer,
  startStack,
  type TestDatabase,
  type TestStack,
} from './helpers.js';

const PASSWORD = 'correct horse battery';
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A stack (server and worker) on a Redis of its own, with a signed-in admin. */
async function setUp(env: Record<string, string> = {}) {
  const redis: RedisServer = await startRedisServer();
  cleanups.push(() => redis.stop());
  const testDb: TestDatabase = await createTestDatabase('postgres');
  cleanups.push(() => testDb.cleanup());
  const stack: TestStack = await startStack(testDb, { redisUrl: redis.url, env });
  cleanups.push(async () => {
    // Whatever the test did to it, Redis must answer for the stack to close.
    redis.thaw();
    await redis.start();
    await stack.close();
  });
  await stack.db.prisma.admin.create({
    data: { email: 'ops@example.com', role: 'admin', passwordHash: await hashPassword(PASSWORD) },
  });
  const signIn = await stack.app.inject({
    method: 'POST',
    url: '/admin/api/session',
    payload: { email: 'ops@example.com', password: PASSWORD },
  });
  const cookie = signIn.cookies.find((c) => c.name === 'herald_session');
  expect(cookie).toBeDefined();
  return { redis, stack, cookie: `herald_session=${cookie?.value}` };
}

/** Collects (and acks) every notification a socket receives. */
function collect(socket: Socket): string[] {
  const ids: string[] = [];
  socket.on('notification', (n: { id: string }, ack: (r: unknown) => void) => {
    ids.push(n.id);
    ack({ ok: true });
  });
  return ids;
}

const timed = async <T>(work: Promise<T>) => {
  const started = Date.now();
  const result = await work;
  return { result, ms: Date.now() - started };
};

describe('with Redis stopped', () => {
  it('answers the dashboard pages kept in Redis with 503 HERALD_ERR_REDIS_UNAVAILABLE, the others as usual, and sends with 503 before storing anything', async () => {
    const { redis, stack, cookie } = await setUp();
    await stack.connectUser('down-0');
    const before = await stack.app.inject({ url: '/admin/api/overview', headers: { cookie } });
    expect(before.statusCode).toBe(200);
    await redis.kill();
    await eventually(() => stack.app.redis.status !== 'ready');

    const documented = stack.app.swagger() as unknown as {
      paths: Record<string, Record<string, { responses: object }>>;
    };
    for (const [method, url, path] of [
      ['GET', '/admin/api/overview', '/admin/api/overview'],
      ['GET', '/admin/api/queue', '/admin/api/queue'],
      ['DELETE', '/admin/api/queue/jobs/some-job', '/admin/api/queue/jobs/{jobId}'],
      ['POST', '/admin/api/queue/jobs/some-job/retry', '/admin/api/queue/jobs/{jobId}/retry'],
    ] as const) {
      const { result: res, ms } = await timed(stack.app.inject({ method, url, headers: { cookie } }));
      expect(res.statusCode, `${method} ${url}`).toBe(503);
      // The reference says so (every status a call can answer is listed with it).
      expect(Object.keys(documented.paths[path]?.[method.toLowerCase()]?.responses ?? {}), path).toContain('503');
      expect(res.json()).toMatchObject({
        statusCode: 503,
        code: 'HERALD_ERR_REDIS_UNAVAILABLE',
        message: expect.stringMatching(/^Redis, which keeps the queue and the live counters, is not answering/),
      });
      expect(ms).toBeLessThan(3000);
    }
    // Pages read from PostgreSQL still work; presence, which lives in Redis, shows nobody online.
    const subscribers = await stack.app.inject({ url: '/admin/api/subscribers', headers: { cookie } });
    expect(subscribers.statusCode).toBe(200);
    expect(subscribers.json()).toMatchObject({ items: [{ userId: 'down-0', online: false }] });
    // A send is refused before anything is stored: a retry is always safe.
    const send = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'down-1' }, title: 'refused' },
    });
    expect(send.statusCode).toBe(503);
    expect(send.json()).toMatchObject({ code: 'HERALD_ERR_QUEUE_UNAVAILABLE' });
    expect(await stack.db.prisma.notification.count()).toBe(0);
  });
});

describe('with Redis frozen (SIGSTOP)', () => {
  it('accepts a send within the Redis timeout (202, queueDelayed), answers /readyz and the dashboard with 503 at once, and delivers once Redis is back', async () => {
    const { redis, stack, cookie } = await setUp({
      HERALD_REDIS_TIMEOUT_MS: '1000',
      HERALD_SWEEP_INTERVAL_MS: '1000',
      HERALD_REQUEUE_AFTER_MS: '2000',
    });
    const user = await stack.connectUser('fz-1');
    const received = collect(user);
    const auth = { authorization: `Bearer ${stack.apiKey}` };

    redis.freeze();
    const { result: sent, ms: sendMs } = await timed(
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: auth,
        payload: { to: { userId: 'fz-1' }, title: 'while frozen', idempotencyKey: 'fz-key' },
      }),
    );
    expect(sent.statusCode).toBe(202);
    expect(sent.json()).toMatchObject({ status: 'queued', recipients: 1, queueDelayed: true });
    expect(sendMs).toBeLessThan(3000);
    const id = sent.json().id as string;
    // Waiting for its emit: queued to the API, with its job's outbox row for the sweep to find.
    const details = await stack.app.inject({ url: `/v1/notifications/${id}`, headers: auth });
    expect(details.json()).toMatchObject({ status: 'queued', dispatchedAt: null });
    expect(await stack.db.prisma.dispatchOutbox.count({ where: { notificationIds: { has: id } } })).toBe(1);

    // The retry the contract promises is safe: the same notification, not a second one.
    const retry = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: auth,
      payload: { to: { userId: 'fz-1' }, title: 'while frozen', idempotencyKey: 'fz-key' },
    });
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toMatchObject({ id, status: 'queued' });
    expect(retry.headers['idempotent-replayed']).toBe('true');

    const { result: batch, ms: batchMs } = await timed(
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications/batch',
        headers: auth,
        payload: { notifications: [{ to: { userId: 'fz-1' }, title: 'batch while frozen' }] },
      }),
    );
    expect(batch.statusCode).toBe(202);
    expect(batch.json()).toMatchObject({ accepted: 1, results: [{ status: 'queued', queueDelayed: true }] });
    expect(batchMs).toBeLessThan(3000);
    const batchId = batch.json().results[0].id as string;

    const { result: ready, ms: readyMs } = await timed(stack.app.inject({ url: '/readyz' }));
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'unavailable',
      checks: { database: { ok: true }, redis: { ok: false } },
    });
    expect(readyMs).toBeLessThan(2500);

    for (const url of ['/admin/api/overview', '/admin/api/queue']) {
      const { result: res, ms } = await timed(stack.app.inject({ url, headers: { cookie } }));
      expect(res.statusCode, url).toBe(503);
      expect(res.json()).toMatchObject({ code: 'HERALD_ERR_REDIS_UNAVAILABLE' });
      expect(ms).toBeLessThan(3000);
    }

    redis.thaw();
    await eventually(() => received.includes(id) && received.includes(batchId), 20_000);
    expect(await stack.db.prisma.notification.count()).toBe(2);
    expect((await stack.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('with Redis restarted without its data', () => {
  it('gives every waiting notification its job back without a restart: queued ones at once, scheduled ones with the delay they have left', async () => {
    // The stuck-job timeout stays at its default (a minute): recovery must not depend on it.
    const { redis, stack } = await setUp({ HERALD_SWEEP_INTERVAL_MS: '1000' });
    const user = await stack.connectUser('wipe-1');
    const received = collect(user);
    const auth = { authorization: `Bearer ${stack.apiKey}` };
    const send = async (payload: object) => {
      const res = await stack.app.inject({ method: 'POST', url: '/v1/notifications', headers: auth, payload });
      expect(res.statusCode).toBe(202);
      return res.json().id as string;
    };
    const queue = stack.app.notificationsQueue;
    const worker = stack.worker?.worker;
    if (!worker) throw new Error('the stack has a worker');

    // Held in Redis when it dies: jobs the worker has not taken yet, and scheduled ones.
    await worker.pause(true);
    const queued = [await send({ to: { userId: 'wipe-1' }, title: 'queued' })];
    queued.push(await send({ to: { userIds: ['wipe-1', 'wipe-2'] }, title: 'queued for two' }));
    const soon = await send({ to: { userId: 'wipe-1' }, title: 'in 4 s', sendAt: new Date(Date.now() + 4000) });
    const laterAt = Date.now() + 3600_000;
    const later = await send({ to: { userId: 'wipe-1' }, title: 'in an hour', sendAt: new Date(laterAt) });
    for (const id of [...queued, soon, later]) expect(await queue.getJob(id)).toBeDefined();

    await redis.restartEmpty();
    worker.resume();

    await eventually(() => queued.every((id) => received.includes(id)), 20_000);
    await eventually(() => received.includes(soon), 20_000);
    expect(received).not.toContain(later);
    const job = await queue.getJob(later);
    expect(await job?.getState()).toBe('delayed');
    // Due when it was scheduled for, not at once and not a sweep interval late.
    expect(Math.abs((job?.timestamp ?? 0) + (job?.delay ?? 0) - laterAt)).toBeLessThan(5000);
  });
});
