import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGN_IN_ATTEMPTS, MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS } from '../src/admin/session/sign-in-throttle.js';
import { hashPassword, SCRYPT_WAITING, verifyPassword } from '../src/platform/lib/secrets.js';
import {
  createTestDatabase,
  eventually,
  type RedisServer,
  rejected,
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

describe('sign-in floods from one address with a new email each time', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    await addAdmin(stack, 'owner@example.com');
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  it('checks at most the per-address limit of passwords, whatever the emails; other addresses sign in', async () => {
    const address = '203.0.113.50';
    let checked = 0;
    for (let i = 0; i < MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS + 5; i++) {
      const res = await attempt(stack, `made-up-${i}@example.com`, 'guess', address);
      if (res.statusCode === 401) checked++;
      else {
        expect(res.statusCode).toBe(429);
        expect(res.json()).toMatchObject({
          code: 'HERALD_ERR_RATE_LIMITED',
          message: 'Too many failed sign-ins from this address; try again in 15 minutes.',
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(800);
      }
    }
    expect(checked).toBe(MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS);
    expect(await rejected(stack, 'sign-in')).toBe(5);
    // The real admin from that address waits too; from another one they sign in.
    expect((await attempt(stack, 'owner@example.com', PASSWORD, address)).statusCode).toBe(429);
    expect((await attempt(stack, 'owner@example.com', PASSWORD, '198.51.100.50')).statusCode).toBe(200);
    // An IPv6 attacker's whole /64 is one address.
    const v6 = (i: number) => `2001:db8:1:2:${i.toString(16)}::1`;
    const statuses: number[] = [];
    for (let i = 0; i < MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS + 2; i++) {
      statuses.push((await attempt(stack, `v6-${i}@example.com`, 'guess', v6(i))).statusCode);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS);
    expect(statuses.slice(-2)).toEqual([429, 429]);
  });

  it('a successful sign-in is not counted as a failure of its address', async () => {
    const address = '203.0.113.51';
    for (let i = 0; i < MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS + 5; i++) {
      expect((await attempt(stack, 'owner@example.com', PASSWORD, address)).statusCode).toBe(200);
    }
  });

  it('refuses a password check with 503 and Retry-After rather than queue past the limit of waiting ones', async () => {
    const stored = await hashPassword('x');
    const checks = Array.from({ length: SCRYPT_WAITING + 12 }, () =>
      verifyPassword('y', stored).then(
        () => 'checked',
        (error: { code?: string; statusCode?: number; retryAfterSeconds?: number }) =>
          `${error.statusCode} ${error.code} ${error.retryAfterSeconds}`,
      ),
    );
    const outcomes = await Promise.all(checks);
    // Two run, SCRYPT_WAITING wait: the rest are refused at once.
    expect(outcomes.filter((o) => o === 'checked')).toHaveLength(SCRYPT_WAITING + 2);
    expect(outcomes.filter((o) => o === '503 HERALD_ERR_SIGN_IN_BUSY 2')).toHaveLength(10);
  });
});

describe('the session cookie behind a TLS proxy', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false, env: { HERALD_PUBLIC_URL: 'https://herald.example.com' } });
    await addAdmin(stack, 'ops@example.com');
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  it('is Secure when the public URL is https, though the request reached Herald over http', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/session',
      headers: { host: 'herald.example.com' },
      payload: { email: 'ops@example.com', password: PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^herald_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
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
