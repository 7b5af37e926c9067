import { createServer, type Server as NetServer, type Socket as NetSocket } from 'node:net';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.js';
import { BYTE_BUDGET, PENALTY_MS, PenaltyBox, TokenBucket, userEventCost } from '../src/gateway/budgets.js';
import { addressKey } from '../src/platform/http/connection-limits.js';
import { SharedWindowStore } from '../src/platform/http/shared-window-store.js';
import { hashPassword } from '../src/platform/lib/secrets.js';
import {
  createTestDatabase,
  eventually,
  REDIS_URL,
  rejected,
  startStack,
  type TestDatabase,
  type TestStack,
  uid,
} from './helpers.js';

const UUID = '11111111-1111-4111-8111-111111111111';

/** Emits `count` events at once and collects the replies. */
async function burst(socket: Socket, event: string, count: number, payload: unknown = {}) {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        socket.timeout(10_000).emitWithAck(event, payload) as Promise<{
          ok: boolean;
          code?: string;
          retryAfterMs?: number;
        }>,
    ),
  );
}

describe('token buckets', () => {
  it('grant a burst, then refill at their rate and never above the burst', () => {
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, 0);
    expect([bucket.take(1, 0), bucket.take(1, 0), bucket.take(1, 0)]).toEqual([0, 0, 0]);
    expect(bucket.take(1, 0)).toBe(500);
    expect(bucket.take(1, 250)).toBe(250);
    expect(bucket.take(1, 500)).toBe(0);
    // A long rest refills to the burst, not beyond.
    expect([bucket.take(1, 60_000), bucket.take(1, 60_000), bucket.take(1, 60_000), bucket.take(1, 60_000)]).toEqual([
      0, 0, 0, 500,
    ]);
  });

  it('charge a page by its size: 100 rows cost four tokens, 200 (sync’s largest) eight, 25 or fewer one', () => {
    expect([
      userEventCost('inbox:list', [{ limit: 100 }]),
      userEventCost('sync', [{ since: null, limit: 100 }]),
      userEventCost('sync', [{ since: null, limit: 200 }]),
      userEventCost('inbox:list', [{ limit: 20 }]),
      userEventCost('inbox:list', [{}]),
      userEventCost('sync', [{ since: null }]),
      userEventCost('inbox:list', [{ limit: 1e9 }]),
      userEventCost('inbox:unread', [{}]),
      userEventCost('read', [{ ids: ['x'] }]),
    ]).toEqual([4, 4, 8, 1, 4, 4, 8, 1, 1]);
    const bucket = new TokenBucket({ burst: 10, perSecond: 2 }, 0);
    expect([bucket.take(4, 0), bucket.take(4, 0), bucket.take(4, 0)]).toEqual([0, 0, 1000]);
  });

  it('penalties expire, and the box stays bounded', () => {
    const box = new PenaltyBox(2);
    box.add('a', 1000, 0);
    expect(box.remaining('a', 400)).toBe(600);
    expect(box.remaining('a', 1000)).toBe(0);
    box.add('b', 1000, 0);
    box.add('c', 1000, 0);
    box.add('d', 1000, 0);
    expect(['b', 'c', 'd'].filter((k) => box.remaining(k, 10) > 0)).toEqual(['c', 'd']);
  });
});

describe('connection cap addresses', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::9', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['not an address', 'not an address'],
  ])('count %s as %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('per-socket event budgets', () => {
  let testDb: TestDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb);
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  it('answers inbox:unread beyond its burst with HERALD_ERR_RATE_LIMITED and a wait, without asking the database', async () => {
    const socket = await stack.connectUser('greedy-1');
    const unread = vi.spyOn(stack.app.inbox, 'unread');
    try {
      const replies = await burst(socket, 'inbox:unread', 70);
      expect(replies.filter((r) => r.ok)).toHaveLength(60);
      const refused = replies.filter((r) => !r.ok);
      expect(refused).toHaveLength(10);
      expect(refused[0]).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED', message: expect.stringMatching(/retry in/) });
      expect(refused[0]?.retryAfterMs).toBeGreaterThan(0);
      expect(refused[0]?.retryAfterMs).toBeLessThanOrEqual(500);
      expect(unread).toHaveBeenCalledTimes(60);
      // A few refusals are not abuse: the socket stays open.
      expect(socket.connected).toBe(true);
    } finally {
      unread.mockRestore();
      socket.disconnect();
    }
  });

  it('keeps a budget per class: reports, writes and token refreshes pass while queries are exhausted', async () => {
    const socket = await stack.connectUser('greedy-2');
    await burst(socket, 'sync', 61, { since: null });
    expect((await burst(socket, 'inbox:list', 1))[0]?.code).toBe('HERALD_ERR_RATE_LIMITED');
    expect(await socket.timeout(5000).emitWithAck('displayed', { id: UUID })).toEqual({ ok: true });
    expect(await socket.timeout(5000).emitWithAck('read', { id: UUID })).toMatchObject({ ok: true });
    const refreshed = await socket.timeout(5000).emitWithAck('auth:refresh', { token: await stack.token('greedy-2') });
    expect(refreshed).toMatchObject({ ok: true });
    socket.disconnect();
  });

  it("shares a budget between one user's sockets: twenty sockets do not get twenty bursts", async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => stack.connectUser('many-tabs')));
    try {
      // 40 each stays within every socket's own burst of 60; 800 together is over the user's 300.
      const t0 = Date.now();
      const replies = (await Promise.all(sockets.map((s) => burst(s, 'inbox:unread', 40)))).flat();
      const refill = Math.ceil(((Date.now() - t0) / 1000) * 20);
      const served = replies.filter((r) => r.ok).length;
      expect(served).toBeGreaterThanOrEqual(300);
      expect(served).toBeLessThanOrEqual(300 + refill);
      expect(replies.find((r) => !r.ok)).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED' });
      // Another user has budgets of their own.
      const other = await stack.connectUser('one-tab');
      expect((await burst(other, 'inbox:unread', 10)).every((r) => r.ok)).toBe(true);
      other.disconnect();
    } finally {
      for (const s of sockets) s.disconnect();
    }
  }, 60_000);

  it('closes a socket that keeps flooding, saying why, and refuses its user for a while', async () => {
    const before = await rejected(stack, 'socket');
    const socket = await stack.connectUser('flooder');
    const closing = new Promise<{ code: string; retryAfterMs: number }>((resolve) => socket.once('closing', resolve));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    for (let i = 0; i < 300; i++) socket.emit('inbox:unread', {}, () => {});
    expect(await closing).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED', retryAfterMs: PENALTY_MS });
    expect(await disconnected).toBe('io server disconnect');
    expect(await rejected(stack, 'socket')).toBeGreaterThanOrEqual(before + 50);

    const again = await stack.connectUser('flooder');
    expect(again.connected).toBe(false);
    const refusal = await new Promise<Error & { data?: { code: string; retryAfterMs: number } }>((resolve) => {
      again.once('connect_error', resolve);
      again.connect();
    });
    expect(refusal.data?.code).toBe('HERALD_ERR_RATE_LIMITED');
    expect(refusal.data?.retryAfterMs).toBeGreaterThan(PENALTY_MS - 10_000);
    expect(refusal.message).toMatch(/retry in \d+ s/);
    again.disconnect();

    // Nobody else is affected.
    const other = await stack.connectUser('bystander');
    expect(other.connected).toBe(true);
    expect(await other.timeout(5000).emitWithAck('inbox:unread', {})).toMatchObject({ ok: true });
    other.disconnect();
  });

  it('closes a socket that sends big packets, counted in bytes before they are parsed, though each event is within its budget', async () => {
    const unread = vi.spyOn(stack.app.inbox, 'unread');
    const socket = await stack.connectUser('heavy');
    try {
      const closing = new Promise<{ code: string; message: string }>((resolve) => socket.once('closing', resolve));
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      // 40 KB a packet, 40 packets: 1.6 MB at once, past a socket's 1 MB; 40 events are within the query burst of 60.
      const pad = 'x'.repeat(40 * 1024);
      for (let i = 0; i < 40; i++) socket.emit('inbox:unread', { pad }, () => {});
      expect(await closing).toMatchObject({
        code: 'HERALD_ERR_RATE_LIMITED',
        message: 'This connection sent far more data than allowed and was closed.',
      });
      expect(await disconnected).toBe('io server disconnect');
      // What came after the budget ran out was not done.
      expect(unread.mock.calls.length).toBeLessThanOrEqual(Math.ceil(BYTE_BUDGET.burst / pad.length));
      // Its user waits out the penalty, like any flooder.
      const again = await stack.connectUser('heavy');
      expect(again.connected).toBe(false);
      again.disconnect();
    } finally {
      unread.mockRestore();
      socket.disconnect();
    }
  });

  it("shares a byte budget between one user's sockets: many sockets of big packets are cut", async () => {
    const sockets = await Promise.all(Array.from({ length: 8 }, () => stack.connectUser('heavy-many')));
    try {
      // 8 sockets × 600 KB: each within its own 1 MB, 4.8 MB together past the user's 4 MB.
      const pad = 'x'.repeat(40 * 1024);
      for (let i = 0; i < 15; i++) for (const s of sockets) s.emit('inbox:unread', { pad }, () => {});
      await eventually(() => sockets.some((s) => !s.connected), 10_000);
      // Each sent 600 KB, within its own budget: what cut them is the user's.
      expect(sockets.filter((s) => !s.connected).length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.disconnect();
    }
  }, 30_000);

  it('drops events no handler knows, answering HERALD_ERR_UNKNOWN_EVENT to a client that waits', async () => {
    const socket = await stack.connectUser('curious');
    expect(await socket.timeout(5000).emitWithAck('make-coffee', { strong: true })).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_UNKNOWN_EVENT',
      message: 'There is no "make-coffee" event.',
    });
    // Socket.IO's parser also lets a number name an event.
    expect(await socket.timeout(5000).emitWithAck(5 as unknown as string, {})).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_UNKNOWN_EVENT',
      message: 'There is no such event: an event is named by a string.',
    });
    // And a flood of them is a flood like any other.
    const closing = new Promise((resolve) => socket.once('closing', resolve));
    for (let i = 0; i < 100; i++) socket.emit(`junk-${i}`, 'x'.repeat(1000));
    await expect(closing).resolves.toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED' });
    socket.disconnect();
  });

  it('charges a request whose payload is not an object before refusing it: a flood of them is cut off too', async () => {
    const socket = await stack.connectUser('sloppy');
    const closing = new Promise((resolve) => socket.once('closing', resolve));
    const replies: Array<{ code?: string }> = [];
    for (let i = 0; i < 200; i++) socket.emit('sync', 'x', (r: { code?: string }) => replies.push(r));
    await expect(closing).resolves.toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED' });
    expect(replies[0]).toMatchObject({ code: 'HERALD_ERR_VALIDATION' });
    expect(replies.some((r) => r.code === 'HERALD_ERR_RATE_LIMITED')).toBe(true);
    socket.disconnect();
  });

  it('drops whatever a dashboard sends on /admin, which takes no events, and closes a flood there too', async () => {
    await stack.db.prisma.admin.create({
      data: { email: 'watcher@example.com', role: 'viewer', passwordHash: await hashPassword('correct horse battery') },
    });
    const signIn = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/session',
      payload: { email: 'watcher@example.com', password: 'correct horse battery' },
    });
    const cookie = `herald_session=${signIn.cookies.find((c) => c.name === 'herald_session')?.value}`;
    const admin = connectClient(`${stack.baseUrl}/admin`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie },
    });
    await new Promise<void>((resolve) => admin.once('connect', () => resolve()));
    expect(await admin.timeout(5000).emitWithAck('stats', {})).toMatchObject({ code: 'HERALD_ERR_UNKNOWN_EVENT' });
    const disconnected = new Promise<string>((resolve) => admin.once('disconnect', resolve));
    for (let i = 0; i < 100; i++) admin.emit('stats', {});
    expect(await disconnected).toBe('io server disconnect');
  });

  it('lets HERALD_SOCKET_RATE_SCALE scale the budgets, and 0 turn them off', async () => {
    const unlimited = await startStack(testDb, { worker: false, env: { HERALD_SOCKET_RATE_SCALE: '0' } });
    const doubled = await startStack(testDb, { worker: false, env: { HERALD_SOCKET_RATE_SCALE: '2' } });
    try {
      const free = await unlimited.connectUser('free');
      expect((await burst(free, 'inbox:unread', 200)).every((r) => r.ok)).toBe(true);
      // Without budgets, what is not a request is still answered so.
      expect(await free.timeout(5000).emitWithAck('make-coffee', {})).toMatchObject({
        code: 'HERALD_ERR_UNKNOWN_EVENT',
      });
      expect(await free.timeout(5000).emitWithAck('inbox:unread', 'all')).toMatchObject({
        code: 'HERALD_ERR_VALIDATION',
      });
      const twice = await doubled.connectUser('twice');
      expect((await burst(twice, 'inbox:unread', 130)).filter((r) => r.ok)).toHaveLength(120);
    } finally {
      await unlimited.close();
      await doubled.close();
    }
  }, 60_000);
});

describe('per-key REST rate limits', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  let cookie: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false, env: { HERALD_RATE_LIMIT_PER_MINUTE: '5' } });
    cookie = await stack.adminCookie('admin', 'ops@example.com');
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  const admin = (method: 'GET' | 'PATCH' | 'POST', url: string, payload?: object) =>
    stack.app.inject({ method, url, payload, headers: { cookie } });
  const setLimit = (rateLimitPerMinute: number | null) =>
    admin('PATCH', `/admin/api/apps/${stack.appId}`, { rateLimitPerMinute });
  const newKey = async () => (await admin('POST', `/admin/api/apps/${stack.appId}/keys`, { name: 'k' })).json().secret;
  const call = (key: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    stack.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
  const send = (key: string) => call(key, 'POST', '/v1/notifications', { to: { userId: 'u' }, title: 'hi' });

  it("answers a send over the app's limit with 429, Retry-After and HERALD_ERR_RATE_LIMITED", async () => {
    expect((await setLimit(3)).json()).toMatchObject({ rateLimitPerMinute: 3, defaultRateLimitPerMinute: 5 });
    const key = await newKey();
    const before = await rejected(stack, 'rest');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(key)).statusCode);
    expect(statuses).toEqual([202, 202, 202]);
    const refused = await send(key);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['x-ratelimit-limit']).toBe('3');
    expect(refused.json()).toEqual({
      statusCode: 429,
      code: 'HERALD_ERR_RATE_LIMITED',
      error: 'Too Many Requests',
      message: expect.stringMatching(/at most 3 send requests \(single or batch\) a minute\. Retry in \d+ s/),
    });
    expect(await rejected(stack, 'rest')).toBe(before + 1);
    // Nothing was stored for the refused request.
    expect(await stack.db.prisma.notification.count()).toBe(3);
  });

  it('counts a batch as one send request, and keeps separate budgets for tokens, the other routes and other keys', async () => {
    await setLimit(2);
    const key = await newKey();
    const batch = { notifications: Array.from({ length: 50 }, (_, i) => ({ to: { userId: 'u' }, title: `#${i}` })) };
    const first = await call(key, 'POST', '/v1/notifications/batch', batch);
    expect(first.statusCode).toBe(202);
    expect(first.json().accepted).toBe(50);
    expect((await call(key, 'POST', '/v1/notifications/batch', batch)).statusCode).toBe(202);
    expect((await send(key)).statusCode).toBe(429);
    // Sends are exhausted for this key; its tokens and reads are not, nor is another key's budget.
    expect((await call(key, 'POST', '/v1/tokens', { userId: 'u' })).statusCode).toBe(200);
    const id = first.json().results[0].id;
    expect((await call(key, 'GET', `/v1/notifications/${id}`)).statusCode).toBe(200);
    expect((await call(key, 'GET', '/v1/users/u/inbox')).statusCode).toBe(200);
    expect((await send(await newKey())).statusCode).toBe(202);
  });

  it('applies HERALD_RATE_LIMIT_PER_MINUTE to apps without a limit of their own, and 0 lifts it', async () => {
    expect((await setLimit(null)).json()).toMatchObject({ rateLimitPerMinute: null });
    const key = await newKey();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(key, 'GET', '/v1/users/u/inbox')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    await setLimit(0);
    for (let i = 0; i < 10; i++) expect((await call(key, 'GET', '/v1/users/u/inbox')).statusCode).toBe(200);
  });

  it('checks the API key first: a request without a valid key is a 401 and spends no budget', async () => {
    await setLimit(1);
    const before = await rejected(stack, 'rest');
    for (let i = 0; i < 5; i++) expect((await send('hk_not-a-key-at-all-xxxxxxxxxx')).statusCode).toBe(401);
    expect(await rejected(stack, 'rest')).toBe(before);
  });

  it('shares one budget per key between nodes on the same Redis', async () => {
    await setLimit(4);
    const key = await newKey();
    const other = await buildApp({
      config: stack.config,
      db: stack.db,
      redis: { url: (await import('@herald/test-support')).REDIS_URL },
      defaultAppId: stack.appId,
      clusterAdapter: false,
      logger: false,
    });
    try {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const node = i % 2 ? other : stack.app;
        const res = await node.inject({
          method: 'POST',
          url: '/v1/tokens',
          payload: { userId: 'u' },
          headers: { authorization: `Bearer ${key}` },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await other.close();
    }
  });

  it('validates limits given through the admin API', async () => {
    expect((await setLimit(-1)).statusCode).toBe(400);
    expect((await admin('PATCH', `/admin/api/apps/${stack.appId}`, { rateLimitPerMinute: 1.5 })).statusCode).toBe(400);
    const created = await admin('POST', '/admin/api/apps', { name: 'Limited', rateLimitPerMinute: 42 });
    expect(created.statusCode).toBe(201);
    expect(created.json().app).toMatchObject({ rateLimitPerMinute: 42, defaultRateLimitPerMinute: 5 });
    const listed = (await admin('GET', '/admin/api/apps')).json() as Array<{ id: string; rateLimitPerMinute: number }>;
    expect(listed.find((a) => a.id === created.json().app.id)?.rateLimitPerMinute).toBe(42);
  });

  it('declares the 429 on every /v1 operation of the OpenAPI document', async () => {
    const doc = (await stack.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const v1 = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(7);
    for (const [path, operations] of v1) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method.toUpperCase()} ${path}`).toContain('429');
      }
    }
  });
});

describe('rate limit counters when Redis fails', () => {
  let silent: NetServer;
  let silentPort: number;
  const held: NetSocket[] = [];
  beforeAll(async () => {
    // A "frozen" Redis: accepts connections and never answers.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const countThrough = async (store: SharedWindowStore, n: number) => {
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      counts.push(
        await new Promise<number>((resolve, reject) =>
          store.incr('k', (err, r) => (err ? reject(err) : resolve(r?.current ?? -1)), 60_000),
        ),
      );
    }
    return counts;
  };

  it('counts on this node alone when Redis refuses connections, and says so once', async () => {
    // Port 1 on loopback: nothing listens there.
    const redis = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    const fallbacks: unknown[] = [];
    const store = new SharedWindowStore(redis, 'p:', (e) => fallbacks.push(e));
    expect(await countThrough(store, 4)).toEqual([1, 2, 3, 4]);
    expect(fallbacks).toHaveLength(1);
    redis.disconnect();
  });

  it('overdraws a spend past its budget the same way in Redis and on this node alone', async () => {
    const shared = new Redis(REDIS_URL);
    const refusing = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    refusing.on('error', () => {});
    const prefix = `spend-${uid()}:`;
    for (const redis of [shared, refusing]) {
      const store = new SharedWindowStore(redis, prefix, () => {});
      // 120 of 100 a second: taken whole; the key waits two windows before it spends again.
      const large = await store.spend('k', 120, 100, 1000);
      expect(large).toMatchObject({ taken: true, current: 120 });
      expect(large.ttl).toBeGreaterThan(1500);
      const next = await store.spend('k', 1, 100, 1000);
      expect(next).toMatchObject({ taken: false, current: 120 });
      expect(next.ttl).toBeGreaterThan(1000);
      // Within the budget, nothing changes: taken while any of it is left.
      expect(await store.spend('small', 60, 100, 1000)).toMatchObject({ taken: true, current: 60 });
      const second = await store.spend('small', 60, 100, 1000);
      expect(second).toMatchObject({ taken: true, current: 120 });
      expect(second.ttl).toBeGreaterThan(1000);
      expect(await store.spend('small', 1, 100, 1000)).toMatchObject({ taken: false });
    }
    await shared.del(`${prefix}k`, `${prefix}small`);
    shared.disconnect();
    refusing.disconnect();
  });

  it('does not wait for a Redis that does not answer', async () => {
    const redis = new Redis({ port: silentPort, enableOfflineQueue: true, maxRetriesPerRequest: 0 });
    redis.on('error', () => {});
    const store = new SharedWindowStore(redis, 'p:', () => {}, 100);
    const t0 = Date.now();
    expect(await countThrough(store, 3)).toEqual([1, 2, 3]);
    expect(Date.now() - t0).toBeLessThan(1000);
    redis.disconnect();
  });
});

describe('demo endpoints', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  it('limit each address to 20 requests a minute, counted as scope "demo"', async () => {
    const before = await rejected(stack, 'demo');
    const session = (remoteAddress: string) =>
      stack.app.inject({ method: 'POST', url: '/demo/session', remoteAddress });
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await session('198.51.100.7')).statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    const refused = await session('198.51.100.7');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED' });
    expect(refused.headers['retry-after']).toBeDefined();
    expect((await session('198.51.100.8')).statusCode).toBe(200);
    expect(await rejected(stack, 'demo')).toBe(before + 2);
  });

  it('are not served when HOST is a public address and HERALD_DEMO is not set', async () => {
    const exposed = await startStack(testDb, { worker: false, env: { HOST: '0.0.0.0' } });
    try {
      expect((await exposed.app.inject({ method: 'POST', url: '/demo/session' })).statusCode).toBe(404);
    } finally {
      await exposed.close();
    }
    const chosen = await startStack(testDb, { worker: false, env: { HOST: '0.0.0.0', HERALD_DEMO: 'true' } });
    try {
      expect((await chosen.app.inject({ method: 'POST', url: '/demo/session' })).statusCode).toBe(200);
    } finally {
      await chosen.close();
    }
  });
});

describe('per-key recipients per second', () => {
  let testDb: TestDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false, env: { HERALD_RECIPIENTS_PER_SECOND: '100' } });
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  const batch = (items: number, usersEach: number) =>
    stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: {
        notifications: Array.from({ length: items }, (_, i) => ({
          to: { userIds: Array.from({ length: usersEach }, (_, u) => `r${i}-${u}`) },
          title: `#${i}`,
        })),
      },
    });
  /** A window lasts a second from the first send in it: after this, a fresh one starts. */
  const nextWindow = () => new Promise((r) => setTimeout(r, 1100));

  it('counts each named user: a batch of 10 items naming 10 users each fills the second, the next request waits', async () => {
    await nextWindow();
    const before = await stack.db.prisma.notification.count();
    const first = await batch(10, 10);
    expect(first.statusCode, first.body).toBe(202);
    const refused = await batch(1, 1);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toMatchObject({
      code: 'HERALD_ERR_RATE_LIMITED',
      message: expect.stringMatching(/at most 100 a second .*Retry in 1 s/),
    });
    expect(await stack.db.prisma.notification.count()).toBe(before + 10);
    await nextWindow();
    expect((await batch(1, 1)).statusCode).toBe(202);
  });

  it('takes a request naming more recipients than a second allows, then refuses the key until it paid that back', async () => {
    await nextWindow();
    const before = await stack.db.prisma.notification.count();
    // 120 of 100: taken whole, and the key's window now lasts two seconds.
    const large = await batch(3, 40);
    expect(large.statusCode, large.body).toBe(202);
    expect(await stack.db.prisma.notification.count()).toBe(before + 3);
    const refused = await batch(1, 1);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.json().message).toMatch(/at most 100 a second on average .*Retry in 2 s/);
    await nextWindow();
    expect((await batch(1, 1)).statusCode).toBe(429);
    await nextWindow();
    expect((await batch(1, 1)).statusCode).toBe(202);
  });

  it('refuses, without spending, a request naming more recipients than one send may (a batch to split)', async () => {
    await nextWindow();
    const before = await stack.db.prisma.notification.count();
    const huge = await batch(3, 4000);
    expect(huge.statusCode).toBe(429);
    expect(huge.json().message).toMatch(/names 12000 recipients; one request may name at most 10000 .*Split it/);
    expect(await stack.db.prisma.notification.count()).toBe(before);
    expect((await batch(1, 1)).statusCode).toBe(202);
  });

  const send = (payload: object, key?: string) =>
    stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}`, ...(key ? { 'idempotency-key': key } : {}) },
      payload,
    });
  const named = (prefix: string, n: number) => Array.from({ length: n }, (_, u) => `${prefix}-${u}`);
  const post = (items: object[]) =>
    stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { notifications: items },
    });

  it('gives back what a send that stored nothing spent: an idempotent replay, a refused reuse of its key', async () => {
    await nextWindow();
    const first = await send({ to: { userIds: named('kept', 60) }, title: 'Sixty' }, 'give-back');
    expect(first.statusCode, first.body).toBe(202);
    // Each of these spends 60 first (which, kept, would leave nothing for the next request).
    const replay = await send({ to: { userIds: named('kept', 60) }, title: 'Sixty' }, 'give-back');
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const reused = await send({ to: { userIds: named('other', 60) }, title: 'Another' }, 'give-back');
    expect(reused.statusCode, reused.body).toBe(422);
    // 60 of 100 spent: 40 more fit, then the second is full.
    expect((await send({ to: { userIds: named('fits', 40) }, title: 'Forty' })).statusCode).toBe(202);
    expect((await send({ to: { userId: 'one-more' }, title: 'Over' })).statusCode).toBe(429);
  });

  it('answers a retry of an accepted send with its original, even while the key waits out its overdraft', async () => {
    await nextWindow();
    const big = await send({ to: { userIds: named('big', 150) }, title: 'Big' }, 'overdrawn');
    expect(big.statusCode, big.body).toBe(202);
    const retry = await send({ to: { userIds: named('big', 150) }, title: 'Big' }, 'overdrawn');
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['retry-after']).toBeUndefined();
    expect(retry.json()).toEqual(big.json());
    // Anything new still waits, a reuse of the key with another body included.
    expect((await send({ to: { userIds: named('big', 150) }, title: 'Big' }, 'new-key')).statusCode).toBe(429);
    expect((await send({ to: { userId: 'someone' }, title: 'Other' }, 'overdrawn')).statusCode).toBe(429);
    await nextWindow(); // the overdraft lasts two seconds: the next test starts after it
  });

  it('answers a retried batch whose items were all accepted with their originals, even while the key waits', async () => {
    await nextWindow();
    const notifications = [
      { to: { userIds: named('batch-a', 80) }, title: 'A', idempotencyKey: 'batch-a' },
      { to: { userIds: named('batch-b', 70) }, title: 'B', idempotencyKey: 'batch-b' },
    ];
    const first = await post(notifications);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json().accepted).toBe(2);
    const retry = await post(notifications);
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.headers['retry-after']).toBeUndefined();
    expect(retry.json()).toEqual(first.json());
    // One new item among them, and the whole batch waits.
    expect((await post([...notifications, { to: { userId: 'new' }, title: 'C' }])).statusCode).toBe(429);
    await nextWindow(); // the overdraft lasts two seconds: the next test starts after it
  });

  it("gives back what a batch's refused items spent", async () => {
    await nextWindow();
    const res = await post([
      { to: { userIds: named('item-ok', 30) }, title: 'Stored' },
      { to: { userIds: named('item-bad', 70) }, title: 'Refused', url: '//elsewhere.example/' },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().results[1].error).toMatchObject({ code: 'HERALD_ERR_URL_INVALID' });
    expect((await send({ to: { userIds: named('after', 70) }, title: 'Seventy' })).statusCode).toBe(202);
    expect((await send({ to: { userId: 'one-more' }, title: 'Over' })).statusCode).toBe(429);
  });

  it('counts a user named twice in one list once, as the send does', async () => {
    await nextWindow();
    const users = Array.from({ length: 60 }, (_, u) => `twice-${u}`);
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userIds: [...users, ...users] }, title: 'Sixty, named twice' },
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().recipients).toBe(60);
  });
});
