import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../src/platform/lib/secrets.js';
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

  it('answers a name outside the rule, or too many users, with a 400 and a sentence', async () => {
    for (const bad of ['has space', '*', '-leading', 'x'.repeat(101), 'é']) {
      const res = await subscribe(bad, ['u1']);
      expect([bad, res.statusCode, res.json().code]).toEqual([bad, 400, 'HERALD_ERR_VALIDATION']);
      expect(res.json().message).toMatch(/topic/);
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
