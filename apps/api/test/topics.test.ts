import { randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { granted, parseGrants } from '../src/auth/topic-grants.js';
import { apiKeyPrefix, generateApiKey, hashApiKey, hashPassword } from '../src/platform/lib/secrets.js';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

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

type Method = 'GET' | 'PUT' | 'DELETE';
const call = (method: Method, url: string, payload?: object) =>
  stack.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${stack.apiKey}` },
    ...(payload ? { payload } : {}),
  });
const path = (topic: string) => `/v1/topics/${encodeURIComponent(topic)}`;
const subscribe = (topic: string, userIds: string[]) => call('PUT', `${path(topic)}/subscribers`, { userIds });
const unsubscribe = (topic: string, userIds: string[]) => call('DELETE', `${path(topic)}/subscribers`, { userIds });
const fresh = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

describe('topic membership', () => {
  it('subscribes users idempotently, creating the topic and the users, and counts the topic', async () => {
    const topic = fresh('news');
    const first = await subscribe(topic, ['ann', 'bob', 'ann']);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ topic, changed: 2, subscribers: 2 });
    // Again, with one more: only the new one changes anything.
    expect((await subscribe(topic, ['bob', 'cid'])).json()).toEqual({ topic, changed: 1, subscribers: 3 });
    expect((await subscribe(topic, ['bob', 'cid'])).json()).toEqual({ topic, changed: 0, subscribers: 3 });
    const users = await stack.db.prisma.subscriber.count({
      where: { appId: stack.appId, externalId: { in: ['ann', 'bob', 'cid'] } },
    });
    expect(users).toBe(3);
  });

  it('unsubscribes idempotently; the topic stays, empty, until it is deleted', async () => {
    const topic = fresh('project:42');
    await subscribe(topic, ['u1', 'u2', 'u3']);
    expect((await unsubscribe(topic, ['u1', 'u9'])).json()).toEqual({ topic, changed: 1, subscribers: 2 });
    expect((await unsubscribe(topic, ['u1'])).json()).toEqual({ topic, changed: 0, subscribers: 2 });
    expect((await unsubscribe(topic, ['u2', 'u3'])).json()).toEqual({ topic, changed: 2, subscribers: 0 });
    expect((await call('GET', path(topic))).json()).toMatchObject({ topic, subscribers: 0 });
    // Nobody to take out of a topic that does not exist: nothing changes, and nothing is created.
    const ghost = fresh('ghost');
    expect((await unsubscribe(ghost, ['u1'])).json()).toEqual({ topic: ghost, changed: 0, subscribers: 0 });
    expect((await call('GET', path(ghost))).statusCode).toBe(404);
  });

  it('keeps the count exact under concurrent calls over the same users', async () => {
    const topic = fresh('team/alpha');
    const users = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    // Overlapping halves, in both orders, at once.
    const calls = await Promise.all([
      subscribe(topic, users.slice(0, 30)),
      subscribe(topic, users.slice(10).reverse()),
      subscribe(topic, users),
      unsubscribe(topic, users.slice(0, 5)),
    ]);
    expect(calls.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const [row] = await stack.db.sql.query<{ count: number; kept: number }>(
      `SELECT (SELECT subscriber_count FROM topics WHERE app_id = $1 AND name = $2) AS kept,
              (SELECT count(*)::int FROM topic_subscriptions WHERE app_id = $1 AND topic = $2) AS count`,
      [stack.appId, topic],
    );
    expect(row?.kept).toBe(row?.count);
    expect(row?.count).toBeGreaterThanOrEqual(35);
  });

  it('survives deletes racing subscribes and unsubscribes: no 500, no deadlock, and the count stays exact', async () => {
    const topic = fresh('race');
    // Many users per call, in overlapping sets: unsubscribes hold membership rows that a delete's
    // cascade wants, while it holds the topic row they update.
    const users = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const pick = (i: number) => users.filter((_, k) => (k * 7 + i) % 3 === 0);
    // Over real HTTP from many clients at once, as the attack that found the deadlock did.
    const http = async (i: number) => {
      const [method, url, body] =
        i % 10 === 0 ? ['DELETE', path(topic), undefined] : ['PUT', `${path(topic)}/subscribers`, { userIds: pick(i) }];
      const res = await fetch(`${stack.baseUrl}${url}`, {
        method: i % 10 !== 0 && i % 3 === 0 ? 'DELETE' : method,
        headers: { authorization: `Bearer ${stack.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.text() };
    };
    let next = 0;
    const calls: Array<{ status: number; body: string }> = [];
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        for (let i = next++; i < 1000; i = next++) calls.push(await http(i));
      }),
    );
    // A delete of a topic that is already gone is a 404, and a subscribe that kept losing to
    // deletes a coded 409; nothing may fail otherwise (a deadlock was a 500).
    const failed = calls.filter(
      (r) => r.status !== 200 && r.status !== 404 && !(r.status === 409 && r.body.includes('HERALD_ERR_TOPIC_CHANGED')),
    );
    expect(failed.map((r) => r.body)).toEqual([]);
    const [row] = await stack.db.sql.query<{ kept: number | null; count: number }>(
      `SELECT (SELECT subscriber_count FROM topics WHERE app_id = $1 AND name = $2) AS kept,
              (SELECT count(*)::int FROM topic_subscriptions WHERE app_id = $1 AND topic = $2) AS count`,
      [stack.appId, topic],
    );
    expect(row?.kept ?? 0).toBe(row?.count);
  });

  it('answers a name outside the rule, or too many users, with a 400 and a sentence', async () => {
    for (const bad of ['has space', '*', '-leading', 'x'.repeat(101), 'é']) {
      const res = await subscribe(bad, ['u1']);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'HERALD_ERR_VALIDATION']);
      expect(res.json().message).toMatch(/^params\.topic is not a topic name: 1 to 100 characters/);
    }
    const many = await subscribe(
      fresh('big'),
      Array.from({ length: 1001 }, (_, i) => `m${i}`),
    );
    expect(many.statusCode).toBe(400);
    expect((await subscribe(fresh('empty'), [])).statusCode).toBe(400);
  });
});

describe('reading topics', () => {
  it('lists the app’s topics with their sizes, a page at a time, and by prefix', async () => {
    const prefix = fresh('list');
    for (const [i, name] of ['a', 'b', 'c'].entries()) {
      await subscribe(
        `${prefix}/${name}`,
        Array.from({ length: i + 1 }, (_, k) => `l${k}`),
      );
    }
    const first = (await call('GET', `/v1/topics?prefix=${encodeURIComponent(prefix)}&limit=2`)).json();
    expect(first.topics.map((t: { topic: string; subscribers: number }) => [t.topic, t.subscribers])).toEqual([
      [`${prefix}/a`, 1],
      [`${prefix}/b`, 2],
    ]);
    expect(first.nextCursor).toBe(`${prefix}/b`);
    const second = (
      await call(
        'GET',
        `/v1/topics?prefix=${encodeURIComponent(prefix)}&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
      )
    ).json();
    expect(second).toMatchObject({ topics: [{ topic: `${prefix}/c`, subscribers: 3 }], nextCursor: null });
  });

  it('pages a topic’s subscribers in user-id order, and says 404 for a topic that does not exist', async () => {
    const topic = fresh('members');
    await subscribe(topic, ['zed', 'amy', 'kim']);
    const page = (await call('GET', `${path(topic)}/subscribers?limit=2`)).json();
    expect(page.subscribers.map((s: { userId: string }) => s.userId)).toEqual(['amy', 'kim']);
    const rest = (await call('GET', `${path(topic)}/subscribers?cursor=${page.nextCursor}`)).json();
    expect(rest).toMatchObject({ subscribers: [{ userId: 'zed' }], nextCursor: null });
    const missing = await call('GET', `${path(fresh('nope'))}/subscribers`);
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'HERALD_ERR_TOPIC_NOT_FOUND']);
  });

  it('lists the topics of a user, and none for a user it has never seen', async () => {
    const user = fresh('reader');
    const [t1, t2] = [fresh('t1'), fresh('t2')].sort();
    await subscribe(t2 as string, [user]);
    await subscribe(t1 as string, [user]);
    const res = (await call('GET', `/v1/users/${user}/topics`)).json();
    expect(res.topics.map((t: { topic: string }) => t.topic)).toEqual([t1, t2]);
    expect((await call('GET', `/v1/users/${fresh('nobody')}/topics`)).json().topics).toEqual([]);
  });

  it('pages the topics of a user past the first 1,000 with a cursor, the first page as before plus nextCursor', async () => {
    const user = fresh('avid');
    const names = Array.from({ length: 1003 }, (_, i) => `avid-${String(i).padStart(4, '0')}-${user}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((t) => subscribe(t, [user])));
    }
    const url = `/v1/users/${user}/topics`;
    const first = (await call('GET', url)).json();
    expect(Object.keys(first).sort()).toEqual(['nextCursor', 'topics', 'userId']);
    expect(first.topics).toHaveLength(1000);
    expect(first.topics[0]).toEqual({ topic: names[0], subscribedAt: expect.any(String) });
    expect(first.nextCursor).toBe(names[999]);
    const rest = (await call('GET', `${url}?cursor=${encodeURIComponent(first.nextCursor)}`)).json();
    expect(rest).toEqual({
      userId: user,
      topics: names.slice(1000).map((topic) => ({ topic, subscribedAt: expect.any(String) })),
      nextCursor: null,
    });
    // Smaller pages, none twice, none missed.
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 5; pages++) {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = (await call('GET', `${url}?limit=300${query}`)).json();
      seen.push(...page.topics.map((t: { topic: string }) => t.topic));
      cursor = page.nextCursor;
    }
    expect([seen, cursor]).toEqual([names, null]);
    for (const bad of ['limit=0', 'limit=1001']) expect((await call('GET', `${url}?${bad}`)).statusCode).toBe(400);
    const badCursor = await call('GET', `${url}?cursor=${encodeURIComponent('not a topic')}`);
    expect([badCursor.statusCode, badCursor.json().code]).toEqual([400, 'HERALD_ERR_CURSOR_INVALID']);

    // The user's own device pages the same way over the socket (`topics:list` { after }).
    const socket = await stack.connectUser(user);
    const page1 = await socket.emitWithAck('topics:list', {});
    expect([page1.topics.length, page1.topics[0], page1.nextCursor]).toEqual([1000, names[0], names[999]]);
    // A null cursor is the first page, as a last page's `nextCursor` null would be sent back.
    expect(await socket.emitWithAck('topics:list', { after: null })).toEqual(page1);
    expect(await socket.emitWithAck('topics:list', { after: page1.nextCursor })).toEqual({
      ok: true,
      topics: names.slice(1000),
      nextCursor: null,
    });
    // What the REST list refuses as a cursor, the socket refuses too.
    for (const after of [42, 'x'.repeat(101), 'a\u0000b', '\ud800', '', 'not a topic', '*']) {
      expect(await socket.emitWithAck('topics:list', { after })).toMatchObject({
        ok: false,
        code: 'HERALD_ERR_CURSOR_INVALID',
      });
    }
    socket.disconnect();
  });

  it('deletes a topic with its subscriptions, then says 404', async () => {
    const topic = fresh('gone');
    const user = fresh('member');
    await subscribe(topic, [user, 'other']);
    const res = await call('DELETE', path(topic));
    expect(res.json()).toEqual({ topic, deleted: true });
    expect((await call('GET', `/v1/users/${user}/topics`)).json().topics).toEqual([]);
    expect((await call('DELETE', path(topic))).statusCode).toBe(404);
  });

  it("keeps one app's topics away from another app's key", async () => {
    const topic = fresh('private');
    await subscribe(topic, ['u1']);
    const other = await stack.db.prisma.app.create({ data: { id: fresh('app'), name: 'other', jwtSecret: 's' } });
    const key = generateApiKey();
    await stack.db.prisma.apiKey.create({
      data: { appId: other.id, name: 'k', prefix: apiKeyPrefix(key), hash: hashApiKey(key) },
    });
    const as = (method: Method, url: string, payload?: object) =>
      stack.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });
    expect((await as('GET', '/v1/topics')).json().topics).toEqual([]);
    expect((await as('GET', path(topic))).statusCode).toBe(404);
    expect((await as('GET', '/v1/users/u1/topics')).json().topics).toEqual([]);
    // The same name in the other app is a topic of its own.
    expect((await as('PUT', `${path(topic)}/subscribers`, { userIds: ['u2'] })).json()).toEqual({
      topic,
      changed: 1,
      subscribers: 1,
    });
    expect((await call('GET', path(topic))).json()).toMatchObject({ subscribers: 1 });
    expect((await as('DELETE', path(topic))).statusCode).toBe(200);
    expect((await call('GET', path(topic))).statusCode).toBe(200);
    // Without a key, nothing.
    expect((await stack.app.inject({ method: 'GET', url: '/v1/topics' })).statusCode).toBe(401);
  });
});

describe('topics chosen by the user (the socket)', () => {
  const tokenFor = async (userId: string, topics?: unknown) => {
    const { jwtSecret } = await stack.db.prisma.app.findUniqueOrThrow({ where: { id: stack.appId } });
    const exp = Math.floor(Date.now() / 1000) + 600;
    return createSigner({ key: jwtSecret, algorithm: 'HS256' })({ sub: userId, aud: stack.appId, exp, topics });
  };
  const connect = async (token: string): Promise<Socket> => {
    const socket = connectClient(stack.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };
  const ask = (socket: Socket, event: string, payload: object) =>
    socket.timeout(5000).emitWithAck(event, payload) as Promise<{ ok: boolean; code?: string; topics?: string[] }>;

  it('matches grants: * stands for any characters, everything else is literal', () => {
    expect(granted('project:42', ['project:*'])).toBe(true);
    expect(granted('project:', ['project:*'])).toBe(true);
    expect(granted('team/alpha', ['team/*'])).toBe(true);
    expect(granted('teams', ['team/*'])).toBe(false);
    expect(granted('newsXletter', ['news.letter'])).toBe(false);
    expect(granted('news.letter', ['news.letter'])).toBe(true);
    expect(granted('anything', ['*'])).toBe(true);
    expect(granted('a-b-c', ['*-*-*'])).toBe(true);
    expect(granted('abc', ['a*b*c*'])).toBe(true);
    // A pattern made to backtrack: as a regular expression this would run for hours (the test
    // would time out); the matcher answers in at most length × length steps.
    expect(granted('a'.repeat(100), [`${'*a'.repeat(20)}*b`])).toBe(false);
    expect(granted('has space', ['*'])).toBe(false);
    expect(parseGrants(undefined)).toEqual([]);
    expect(parseGrants('news')).toHaveProperty('problem');
    expect(parseGrants(['ok', 'not ok'])).toHaveProperty('problem');
  });

  it('lets a user join public topics and granted ones, refuses the others with a code, and keeps the count', async () => {
    const user = fresh('sock');
    const open = fresh('open');
    expect((await call('PUT', path(open), { public: true })).json()).toMatchObject({ topic: open, public: true });
    const closed = fresh('closed');
    expect((await call('PUT', path(closed), {})).json()).toMatchObject({ topic: closed, public: false });
    const socket = await connect(await tokenFor(user, ['granted/*']));
    try {
      expect(await ask(socket, 'topics:subscribe', { topic: open })).toEqual({
        ok: true,
        topic: open,
        subscribed: true,
      });
      expect(await ask(socket, 'topics:subscribe', { topic: 'granted/x' })).toMatchObject({ ok: true });
      const refused = await ask(socket, 'topics:subscribe', { topic: closed });
      expect(refused).toMatchObject({ ok: false, code: 'HERALD_ERR_TOPIC_FORBIDDEN' });
      expect(await ask(socket, 'topics:subscribe', { topic: 42 } as object)).toMatchObject({
        ok: false,
        code: 'HERALD_ERR_VALIDATION',
      });
      expect((await ask(socket, 'topics:list', {})).topics).toEqual(['granted/x', open].sort());
      // The backend put the user in the closed topic: the user cannot leave it from the page.
      await subscribe(closed, [user]);
      expect(await ask(socket, 'topics:unsubscribe', { topic: closed })).toMatchObject({
        code: 'HERALD_ERR_TOPIC_FORBIDDEN',
      });
      expect(await ask(socket, 'topics:unsubscribe', { topic: open })).toEqual({
        ok: true,
        topic: open,
        subscribed: false,
      });
      expect((await call('GET', path(open))).json()).toMatchObject({ subscribers: 0 });
      expect((await call('GET', path(closed))).json()).toMatchObject({ subscribers: 1 });
    } finally {
      socket.disconnect();
    }
  });

  it('refuses a token whose topics claim is not a list of patterns, at the handshake', async () => {
    const socket = connectClient(stack.baseUrl, {
      auth: { token: await tokenFor('bad-claim', 'everything') },
      transports: ['websocket'],
      reconnection: false,
    });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    socket.disconnect();
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/"topics" claim/);
  });

  it('signs the grants into the tokens POST /v1/tokens issues, and refuses a pattern outside the rule', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { userId: 'granted-user', topics: ['project:*', 'news'] },
    });
    expect(res.statusCode).toBe(200);
    const claims = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString());
    expect(claims.topics).toEqual(['project:*', 'news']);
    const bad = await stack.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { userId: 'granted-user', topics: ['has space'] },
    });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'HERALD_ERR_VALIDATION']);
  });
});

describe('topics in the dashboard (admin API)', () => {
  const PASSWORD = 'correct horse battery';
  const signIn = async (email: string, role: 'admin' | 'viewer') => {
    await stack.db.prisma.admin.create({ data: { email, role, passwordHash: await hashPassword(PASSWORD) } });
    const res = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/session',
      payload: { email, password: PASSWORD },
    });
    const cookie = res.cookies.find((c) => c.name === 'herald_session');
    return `herald_session=${cookie?.value}`;
  };
  const admin = (cookie: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    stack.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

  it('creates a topic only, leaving a public one public, when asked with If-None-Match: * (REST and admin API)', async () => {
    const ops = await signIn(`ops-${randomUUID()}@example.com`, 'admin');
    const topic = fresh('news');
    const createOnly = (url: string, headers: Record<string, string>, method: 'PUT' | 'PATCH') =>
      stack.app.inject({ method, url, payload: { public: false }, headers: { ...headers, 'if-none-match': '*' } });
    expect((await call('PUT', path(topic), { public: true })).json()).toMatchObject({ topic, public: true });
    for (const [url, headers, method] of [
      [path(topic), { authorization: `Bearer ${stack.apiKey}` }, 'PUT'],
      [`/admin/api/apps/${stack.appId}/topics/${encodeURIComponent(topic)}`, { cookie: ops }, 'PATCH'],
    ] as const) {
      const again = await createOnly(url, headers, method);
      expect([again.statusCode, again.json().code], url).toEqual([412, 'HERALD_ERR_TOPIC_EXISTS']);
    }
    expect((await call('GET', path(topic))).json()).toMatchObject({ topic, public: true });
    // A new one is made.
    const other = fresh('news');
    const made = await createOnly(path(other), { authorization: `Bearer ${stack.apiKey}` }, 'PUT');
    expect([made.statusCode, made.json()]).toEqual([200, expect.objectContaining({ topic: other, public: false })]);
  });

  it('lets an admin create, fill, page, empty and delete a topic, each change in the audit log; a viewer only looks', async () => {
    const ops = await signIn(`ops-${randomUUID()}@example.com`, 'admin');
    const viewer = await signIn(`viewer-${randomUUID()}@example.com`, 'viewer');
    const topic = fresh('team/ops');
    const base = `/admin/api/apps/${stack.appId}/topics/${encodeURIComponent(topic)}`;

    expect((await admin(ops, 'PATCH', base, { public: true })).json()).toMatchObject({ topic, public: true });
    expect((await admin(ops, 'PATCH', base, { public: true })).json()).toEqual(
      expect.not.objectContaining({ created: expect.anything() }),
    );
    const added = await admin(ops, 'POST', `${base}/subscribers`, { userIds: ['d1', 'd2', 'd3'] });
    expect(added.json()).toEqual({ topic, changed: 3, subscribers: 3 });
    const page = (await admin(viewer, 'GET', `${base}?limit=2`)).json();
    expect(page.topic).toMatchObject({ topic, subscribers: 3, public: true });
    expect(page.members.subscribers.map((m: { userId: string }) => m.userId)).toEqual(['d1', 'd2']);
    expect(page.members.nextCursor).toBe('d2');
    const list = (
      await admin(viewer, 'GET', `/admin/api/apps/${stack.appId}/topics?prefix=${encodeURIComponent(topic)}`)
    ).json();
    expect(list.topics).toEqual([expect.objectContaining({ topic, subscribers: 3 })]);

    // A viewer may not change anything.
    const refused = await admin(viewer, 'POST', `${base}/subscribers/remove`, { userIds: ['d1'] });
    expect([refused.statusCode, refused.json().code]).toEqual([403, 'HERALD_ERR_FORBIDDEN']);

    expect((await admin(ops, 'POST', `${base}/subscribers/remove`, { userIds: ['d1', 'zz'] })).json()).toEqual({
      topic,
      changed: 1,
      subscribers: 2,
    });
    expect((await admin(ops, 'DELETE', base)).json()).toEqual({ topic, deleted: true });
    expect((await admin(viewer, 'GET', base)).statusCode).toBe(404);
    const unknownApp = await admin(viewer, 'GET', '/admin/api/apps/no-such-app/topics');
    expect(unknownApp.statusCode).toBe(404);

    const audit = await stack.db.prisma.auditEvent.findMany({
      where: { targetType: 'topic', targetId: topic },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => a.action)).toEqual([
      'topic.create',
      'topic.update',
      'topic.subscribe',
      'topic.unsubscribe',
      'topic.delete',
    ]);
  });
});
