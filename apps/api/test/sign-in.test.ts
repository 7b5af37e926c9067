import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGN_IN_ATTEMPTS } from '../src/admin/session/sign-in-throttle.js';
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

async function addAdmin(stack: TestStack, email: string) {
  await stack.db.prisma.admin.create({ data: { email, role: 'admin', passwordHash: await hashPassword(PASSWORD) } });
}

const attempt = (stack: TestStack, email: string, password: string, remoteAddress = '203.0.113.7') =>
  stack.app.inject({ method: 'POST', url: '/admin/api/session', remoteAddress, payload: { email, password } });

describe('sign-in throttling', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    await addAdmin(stack, 'target@example.com');
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  it('checks at most the limit of 200 concurrent guesses, and refuses the rest with 429 without checking them', async () => {
    // The right password comes last: before attempts were counted atomically, every one of the
    // 200 was checked (they all read "0 failures" first) and this one signed in.
    const guesses = Array.from({ length: 199 }, (_, i) => `guess-${i}`).concat(PASSWORD);
    const replies = await Promise.all(guesses.map((p) => attempt(stack, 'target@example.com', p)));
    const statuses = replies.map((r) => r.statusCode);
    const checked = statuses.filter((s) => s === 401 || s === 200).length;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThanOrEqual(MAX_SIGN_IN_ATTEMPTS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(200 - checked);
    expect(replies.find((r) => r.statusCode === 429)?.json()).toMatchObject({
      code: 'HERALD_ERR_RATE_LIMITED',
      message: expect.stringMatching(/try again in 15 minutes/),
    });
    // Every checked attempt leaves an audit record: no more than the limit were checked.
    await eventually(async () => {
      const audited = await stack.db.prisma.auditEvent.count({
        where: { actor: 'target@example.com', action: { in: ['admin.sign_in_failed', 'admin.sign_in'] } },
      });
      return audited === checked;
    });
    // Still locked for that address, even with the right password; another address may sign in.
    expect((await attempt(stack, 'target@example.com', PASSWORD)).statusCode).toBe(429);
    expect((await attempt(stack, 'target@example.com', PASSWORD, '198.51.100.9')).statusCode).toBe(200);
  });

  it('frees the slots after a successful sign-in', async () => {
    await addAdmin(stack, 'forgetful@example.com');
    for (let i = 0; i < MAX_SIGN_IN_ATTEMPTS - 1; i++) {
      expect((await attempt(stack, 'forgetful@example.com', 'wrong')).statusCode).toBe(401);
    }
    expect((await attempt(stack, 'forgetful@example.com', PASSWORD)).statusCode).toBe(200);
    // Counting starts again from zero.
    for (let i = 0; i < MAX_SIGN_IN_ATTEMPTS; i++) {
      expect((await attempt(stack, 'forgetful@example.com', 'wrong')).statusCode).toBe(401);
    }
    expect((await attempt(stack, 'forgetful@example.com', 'wrong')).statusCode).toBe(429);
  });
});

describe('sign-in while Redis is down', () => {
  // A private redis-server on a free port of its own, so stopping it touches nobody else.
  let redis: RedisServer;
  let testDb: TestDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    redis = await startRedisServer();
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false, redisUrl: redis.url });
    await addAdmin(stack, 'ops@example.com');
  });
  afterAll(async () => {
    await redis?.stop();
    await stack?.close().catch(() => {});
    await testDb?.cleanup();
  });

  it('refuses sign-in with 503 and a sentence instead of letting unthrottled guesses through', async () => {
    expect((await attempt(stack, 'ops@example.com', PASSWORD)).statusCode).toBe(200);
    await redis.kill();
    const refused = await attempt(stack, 'ops@example.com', PASSWORD);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({
      code: 'HERALD_ERR_SIGN_IN_UNAVAILABLE',
      message: expect.stringMatching(/Redis does not answer/),
    });
    // Wrong guesses are refused the same way, without an answer about the password.
    expect((await attempt(stack, 'ops@example.com', 'guess')).statusCode).toBe(503);
    await redis.start();
    await eventually(async () => (await attempt(stack, 'ops@example.com', PASSWORD)).statusCode === 200, 15_000, 250);
  });
});
