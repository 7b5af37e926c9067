import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_UNKNOWN_KEYS_PER_MINUTE } from '../src/auth/api-keys.js';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../src/platform/lib/secrets.js';
import { createTestDatabase, rejected, startStack, type TestDatabase, type TestStack } from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  // No worker: these tests are about the HTTP surface; jobs stay queued in a private prefix.
  stack = await startStack(testDb, { worker: false, env: { HERALD_BODY_LIMIT: '16384' } });
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${stack.apiKey}` });
const send = (payload: unknown, headers: Record<string, string> = {}) =>
  stack.app.inject({
    method: 'POST',
    url: '/v1/notifications',
    headers: { ...auth(), ...headers },
    payload: payload as object,
  });

describe('POST /v1/notifications', () => {
  it('stores concurrent single sends in a few group statements, each request answered with its own notification', async () => {
    const query = vi.spyOn(stack.db.sql, 'query');
    try {
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) => send({ to: { userId: `grouped-${i % 7}` }, title: `G${i}` })),
      );
      expect(replies.map((r) => r.statusCode)).toEqual(replies.map(() => 202));
      const ids = replies.map((r) => r.json().id as string);
      expect(new Set(ids).size).toBe(60);
      const stored = await stack.db.prisma.notification.findMany({ where: { id: { in: ids } } });
      expect(stored.map((n) => n.title).sort()).toEqual(replies.map((_, i) => `G${i}`).sort());
      const statements = query.mock.calls.filter(([text]) => text.includes('INSERT INTO notifications')).length;
      expect(statements).toBeGreaterThan(0);
      expect(statements).toBeLessThanOrEqual(6);
    } finally {
      query.mockRestore();
    }
  });

  it('accepts a notification with 202, stores it and queues one job', async () => {
    const res = await send({ to: { userId: 'u1' }, title: 'Hello', body: 'World', priority: 'high', ttlSeconds: 60 });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toEqual({ id: expect.any(String), status: 'queued', recipients: 1 });
    const row = await stack.db.prisma.notification.findUniqueOrThrow({ where: { id: body.id } });
    expect(row).toMatchObject({ appId: stack.appId, title: 'Hello', priority: 'high', ttlSeconds: 60 });
    expect(row.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    // Its delivery row was written with it, so it goes out on the one-statement batch path, under its own id.
    const job = await stack.app.notificationsQueue.getJob(body.id);
    expect(job?.name).toBe('dispatch-batch');
    expect(job?.data).toEqual({ notificationIds: [body.id] });
  });

  it('counts userIds recipients', async () => {
    const res = await send({ to: { userIds: ['a', 'b', 'c'] }, title: 'Three' });
    expect(res.json().recipients).toBe(3);
  });

  it('schedules a notification with a future sendAt as a delayed job', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const res = await send({ to: { userId: 'u1' }, title: 'Later', sendAt });
    expect(res.json().status).toBe('scheduled');
    const job = await stack.app.notificationsQueue.getJob(res.json().id);
    expect(job?.opts.delay).toBeGreaterThan(3_500_000);
  });

  it('returns the original notification for a repeated idempotency key', async () => {
    const key = randomUUID();
    const first = await send({ to: { userId: 'u1' }, title: 'Once' }, { 'idempotency-key': key });
    const again = await send({ to: { userId: 'u1' }, title: 'Once' }, { 'idempotency-key': key });
    const inBody = await send({ to: { userId: 'u1' }, title: 'Once', idempotencyKey: key });
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(first.json().id);
    expect(inBody.json().id).toBe(first.json().id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await stack.db.prisma.notification.count({ where: { idempotencyKey: key } })).toBe(1);
    // Both, the same: one key. Both, different: which one was meant is not for Herald to guess.
    const both = await send({ to: { userId: 'u1' }, title: 'Once', idempotencyKey: key }, { 'idempotency-key': key });
    expect(both.json().id).toBe(first.json().id);
    const differ = await send(
      { to: { userId: 'u1' }, title: 'Once', idempotencyKey: key },
      { 'idempotency-key': 'another' },
    );
    expect([differ.statusCode, differ.json().code]).toEqual([400, 'HERALD_ERR_VALIDATION']);
    expect(differ.json().message).toMatch(/Idempotency-Key header says "another" and the body's idempotencyKey/);
  });

  it.each([
    { payload: { to: { userId: 'u1' } }, code: 'HERALD_ERR_VALIDATION', message: /body\.title is required/ },
    { payload: { to: { userId: 'u1' }, title: '' }, code: 'HERALD_ERR_VALIDATION', message: /body\.title/ },
    { payload: { title: 'x' }, code: 'HERALD_ERR_VALIDATION', message: /body\.to is required/ },
    { payload: { to: {}, title: 'x' }, code: 'HERALD_ERR_TARGET_INVALID', message: /must name a target/ },
    {
      payload: { to: { userId: 'a', broadcast: true }, title: 'x' },
      code: 'HERALD_ERR_TARGET_INVALID',
      message: /exactly one target/,
    },
    {
      payload: { to: { group: 'x' }, title: 'x' },
      code: 'HERALD_ERR_VALIDATION',
      message: /body\.to\.group is not a known property/,
    },
    { payload: { to: { topic: 'no topic' }, title: 'x' }, code: 'HERALD_ERR_VALIDATION', message: /topic name/ },
    {
      payload: { to: { broadcast: false }, title: 'x' },
      code: 'HERALD_ERR_VALIDATION',
      message: /^body\.to\.broadcast must be true\.$/,
    },
    {
      payload: { to: { topics: Array.from({ length: 11 }, (_, i) => `t${i}`) }, title: 'x' },
      code: 'HERALD_ERR_VALIDATION',
      message: /body\.to\.topics must list at most 10 items/,
    },
    { payload: { to: { userIds: [] }, title: 'x' }, code: 'HERALD_ERR_VALIDATION', message: /userIds/ },
    {
      payload: { to: { userId: 'a' }, title: 'x', tittle: 'typo' },
      code: 'HERALD_ERR_VALIDATION',
      message: /body\.tittle is not a known property/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', priority: 'urgent' },
      code: 'HERALD_ERR_VALIDATION',
      message: /priority/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', url: 'javascript:alert(1)' },
      code: 'HERALD_ERR_URL_INVALID',
      message: /url/,
    },
    // JSON is taken as typed: no string read as a number, no value read as a list of one.
    {
      payload: { to: { userId: 'a' }, title: 'x', ttlSeconds: '60' },
      code: 'HERALD_ERR_VALIDATION',
      message: /body\.ttlSeconds must be a whole number/,
    },
    { payload: { to: { userIds: 'a' }, title: 'x' }, code: 'HERALD_ERR_VALIDATION', message: /userIds/ },
    {
      payload: { to: { userId: 'a' }, title: 5 },
      code: 'HERALD_ERR_VALIDATION',
      message: /body\.title must be text \(a string\)/,
    },
    // Every malformed sendAt has the one code, with a sentence showing the form it takes.
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: 'tomorrow' },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /^body\.sendAt is not a date and time such as 2026-01-31T09:00:00Z/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: '2027-02-30T09:00:00Z' },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /is not a date and time/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: '2027-01-30T09:00:00' },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /with its time zone/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: 1798000000000 },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /body\.sendAt must be a date and time/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: '2026-12-31T23:59:60Z' },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /not a valid ISO 8601 time/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', data: { blob: 'x'.repeat(3000), more: 'y'.repeat(1200) } },
      code: 'HERALD_ERR_DATA_TOO_LARGE',
      message: /at most 4096 bytes/,
    },
    {
      payload: { to: { userId: 'a' }, title: 'x', sendAt: '2099-01-01T00:00:00Z' },
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: /one year/,
    },
  ])('refuses a bad body with 400 $code ($message)', async ({ payload, code, message }) => {
    const res = await send(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, code, error: 'Bad Request' });
    expect(res.json().message).toMatch(message);
  });

  it('schedules at most a year ahead: the same date and time next year, not a day more', async () => {
    const inAYear = (extraMs: number) => {
      const at = new Date();
      at.setUTCFullYear(at.getUTCFullYear() + 1);
      return new Date(at.getTime() + extraMs).toISOString();
    };
    const within = await send({ to: { userId: 'a' }, title: 'x', sendAt: inAYear(-60_000) });
    expect(within.statusCode).toBe(202);
    expect(within.json()).toMatchObject({ status: 'scheduled' });
    await stack.app.inject({
      method: 'POST',
      url: `/v1/notifications/${within.json().id}/cancel`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: {},
    });
    const past = await send({ to: { userId: 'a' }, title: 'x', sendAt: inAYear(24 * 3600_000) });
    expect(past.statusCode).toBe(400);
    expect(past.json()).toMatchObject({
      code: 'HERALD_ERR_SEND_AT_INVALID',
      message: expect.stringMatching(/^"sendAt" may be at most one year ahead \(until \d{4}-/),
    });
  });

  it('refuses malformed JSON with 400 HERALD_ERR_MALFORMED_JSON', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{"to": {"userId": "a"}, "title": ',
    });
    expect(res.statusCode).toBe(400);
    // Where it breaks, in one sentence: not Fastify's "Body is not valid JSON but content-type is …".
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_MALFORMED_JSON',
      message: 'The request body is not valid JSON: Unexpected end of JSON input.',
    });
    const bad = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: '{bad json',
    });
    expect(bad.json().message).toMatch(
      /^The request body is not valid JSON: Expected property name .* position 1\b.*\.$/,
    );
    expect(bad.json().message).not.toMatch(/content-type/i);
  });

  it('refuses a valid body with a __proto__ or constructor.prototype key, naming the key, not calling it malformed', async () => {
    for (const payload of [
      '{"to": {"userId": "a"}, "title": "x", "__proto__": {"admin": true}}',
      '{"to": {"userId": "a"}, "title": "x", "data": {"constructor": {"prototype": {}}}}',
    ]) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { ...auth(), 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'HERALD_ERR_FORBIDDEN_KEY',
        message: expect.stringContaining('__proto__'),
      });
    }
  });

  it('refuses a compressed body with 415 and says so, rather than reading it as text; identity is no compression', async () => {
    const body = JSON.stringify({ to: { userId: 'gz' }, title: 'zipped' });
    for (const encoding of ['gzip', 'deflate', 'br', 'GZIP ']) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': encoding },
        payload: encoding.startsWith('br') ? body : gzipSync(body),
      });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toMatchObject({
        code: 'HERALD_ERR_CONTENT_ENCODING',
        message: `Request bodies are taken uncompressed, not with "Content-Encoding: ${encoding.trim().toLowerCase()}"; send the JSON as it is.`,
      });
    }
    const plain = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'identity' },
      payload: body,
    });
    expect(plain.statusCode).toBe(202);
  });

  it('refuses a body that is not UTF-8 instead of replacing its bytes, and keeps UTF-8 intact', async () => {
    const bad = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { ...auth(), 'content-type': 'application/json' },
      payload: Buffer.concat([
        Buffer.from('{"to":{"userId":"a"},"title":"caf'),
        Buffer.from([0xe9]),
        Buffer.from('"}'),
      ]),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'HERALD_ERR_BODY_NOT_UTF8', message: expect.stringMatching(/UTF-8/) });
    const good = await send({ to: { userId: 'utf8' }, title: 'café 👋' });
    expect(good.statusCode).toBe(202);
    const row = await stack.db.prisma.notification.findUniqueOrThrow({ where: { id: good.json().id } });
    expect(row.title).toBe('café 👋');
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await send({
      to: { userId: 'a' },
      title: 'x',
      body: 'y'.repeat(4000),
      data: { pad: 'z'.repeat(17000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_PAYLOAD_TOO_LARGE' });
    // The sentence names the limit and the route.
    expect(res.json().message).toMatch(/^The request body is larger than the \d+ KB POST \/v1\/notifications takes\.$/);
  });

  it('refuses a non-JSON body with 415', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { ...auth(), 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses a request without an API key with 401 HERALD_ERR_API_KEY_MISSING', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      payload: { to: { userId: 'a' }, title: 'x' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_MISSING' });
    expect(res.json().message).toMatch(/Authorization: Bearer/);
  });

  it('refuses an unknown API key with 401 HERALD_ERR_API_KEY_INVALID', async () => {
    const res = await send({ to: { userId: 'a' }, title: 'x' }, { authorization: `Bearer ${generateApiKey()}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_INVALID' });
  });

  it('looks an unknown API key up once, not on every request (a client hammering with a wrong key)', async () => {
    const wrong = generateApiKey();
    const lookups = vi.spyOn(stack.app.prisma.apiKey, 'findUnique');
    try {
      for (let i = 0; i < 20; i++) {
        const res = await send({ to: { userId: 'a' }, title: 'x' }, { authorization: `Bearer ${wrong}` });
        expect(res.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_INVALID' });
      }
      expect(lookups.mock.calls.filter(([args]) => args.where.hash === hashApiKey(wrong))).toHaveLength(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it('refuses an address that tries many unknown API keys with 429, without looking them up; a known key still works', async () => {
    const remoteAddress = '203.0.113.77';
    const lookups = vi.spyOn(stack.app.prisma.apiKey, 'findUnique');
    try {
      for (let i = 0; i < MAX_UNKNOWN_KEYS_PER_MINUTE; i++) {
        const res = await stack.app.inject({
          method: 'GET',
          url: '/v1/topics',
          remoteAddress,
          headers: { authorization: `Bearer ${generateApiKey()}` },
        });
        expect(res.json().code).toBe('HERALD_ERR_API_KEY_INVALID');
      }
      expect(lookups).toHaveBeenCalledTimes(MAX_UNKNOWN_KEYS_PER_MINUTE);
      const refused = await stack.app.inject({
        method: 'GET',
        url: '/v1/topics',
        remoteAddress,
        headers: { authorization: `Bearer ${generateApiKey()}` },
      });
      expect(refused.statusCode).toBe(429);
      expect(await rejected(stack, 'api-key')).toBe(1);
      expect(refused.json()).toMatchObject({
        code: 'HERALD_ERR_RATE_LIMITED',
        message: expect.stringMatching(
          /^Too many API keys that do not exist were tried from this address; try again in \d+ seconds\.$/,
        ),
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(lookups).toHaveBeenCalledTimes(MAX_UNKNOWN_KEYS_PER_MINUTE);
      // The app's own key, known to this node, still works from there; another address is not held.
      const known = await stack.app.inject({
        method: 'GET',
        url: '/v1/topics',
        remoteAddress,
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      expect(known.statusCode).toBe(200);
      const elsewhere = await stack.app.inject({
        method: 'GET',
        url: '/v1/topics',
        remoteAddress: '203.0.113.78',
        headers: { authorization: `Bearer ${generateApiKey()}` },
      });
      expect(elsewhere.statusCode).toBe(401);
    } finally {
      lookups.mockRestore();
    }
  });

  it('refuses a revoked API key with 401 HERALD_ERR_API_KEY_REVOKED', async () => {
    const key = generateApiKey();
    await stack.db.prisma.apiKey.create({
      data: {
        appId: stack.appId,
        name: 'old',
        prefix: apiKeyPrefix(key),
        hash: hashApiKey(key),
        revokedAt: new Date(),
      },
    });
    const res = await send({ to: { userId: 'a' }, title: 'x' }, { authorization: `Bearer ${key}` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_REVOKED' });
  });
});

describe('GET /v1/notifications/:id', () => {
  it('returns the notification with per-status counts', async () => {
    const { id } = (await send({ to: { userIds: ['x', 'y'] }, title: 'Counted', data: { k: 1 } })).json();
    const res = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${id}`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id,
      // Dispatched by the statement that accepts it (its rows and numbers are written there), but
      // queued until its job emitted it: no worker runs here.
      status: 'queued',
      dispatchedAt: null,
      to: { userIds: ['x', 'y'] },
      title: 'Counted',
      data: { k: 1 },
      recipients: 2,
      // Small immediate sends get their delivery rows when accepted.
      counts: { queued: 2, delivered: 0, read: 0 },
      funnel: { delivered: 0, displayed: 0, clicked: 0, read: 0 },
    });
  });

  it('counts in its funnel who reached each step, whatever came after: a click then read is a click', async () => {
    const users = ['f-clicked', 'f-inbox', 'f-shown'];
    const { id } = (await send({ to: { userIds: users }, title: 'Funnel' })).json();
    const at = (step: string) => `${step}_at = now()`;
    const set = (user: string, status: string, steps: string[]) =>
      stack.db.prisma.$executeRawUnsafe(
        `UPDATE deliveries SET status = '${status}', ${steps.map(at).join(', ')}
          WHERE notification_id = $1::uuid AND subscriber_id = (SELECT id FROM subscribers WHERE external_id = $2)`,
        id,
        user,
      );
    await set('f-clicked', 'read', ['delivered', 'displayed', 'clicked', 'read']);
    await set('f-inbox', 'read', ['delivered', 'read']); // read in the inbox: never a popup
    await set('f-shown', 'displayed', ['delivered', 'displayed']);
    const res = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${id}`, headers: auth() });
    expect(res.json()).toMatchObject({
      counts: { read: 2, displayed: 1, clicked: 0 },
      funnel: { delivered: 3, displayed: 2, clicked: 1, read: 2 },
    });
  });

  it('answers 404 with a code for an unknown or malformed id', async () => {
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const res = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${id}`, headers: auth() });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'HERALD_ERR_NOTIFICATION_NOT_FOUND' });
    }
  });
});

describe('text PostgreSQL cannot store', () => {
  it.each([
    ['a NUL in the title', { to: { userId: 'a' }, title: 'a\u0000b' }, /body\.title contains a NUL/],
    [
      'a lone surrogate deep in data',
      { to: { userId: 'a' }, title: 'x', data: { k: ['ok', '\ud800'] } },
      /body\.data\.k\[1\]/,
    ],
    ['a NUL in a user id', { to: { userIds: ['ok', 'b\u0000'] }, title: 'x' }, /body\.to\.userIds\[1\]/],
  ])('refuses %s with 400, not 500', async (_label, payload, message) => {
    const res = await send(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_VALIDATION', message: expect.stringMatching(message) });
  });

  it('refuses such text in the path and out-of-range cursors and ids', async () => {
    const nul = await stack.app.inject({ url: '/v1/users/%00/inbox', headers: auth() });
    expect(nul.statusCode).toBe(400);
    for (const bad of ['3000000000', 'abc', '-1']) {
      const cursor = await stack.app.inject({ url: `/v1/users/u/inbox?cursor=${bad}`, headers: auth() });
      expect([bad, cursor.statusCode, cursor.json().code]).toEqual([bad, 400, 'HERALD_ERR_CURSOR_INVALID']);
    }
    const urn = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/u/inbox/read',
      headers: auth(),
      payload: { ids: ['urn:uuid:00000000-0000-4000-8000-000000000000'] },
    });
    expect(urn.statusCode).toBe(400);
  });
});

describe('demo page', () => {
  it('gives visitors tokens for a separate demo app, never the default one', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/demo/session' });
    expect(res.json().appId).toBe('demo');
    const claims = await stack.app.userTokens.verify(res.json().token);
    expect(claims.appId).toBe('demo');
    expect(claims.appId).not.toBe(stack.appId);
  });

  const visitor = async () => (await stack.app.inject({ method: 'POST', url: '/demo/session' })).json().token as string;
  const demoSend = async (token: string, payload?: object) =>
    stack.app.inject({
      method: 'POST',
      url: '/demo/send',
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });

  it('POST /demo/send without a body sends at once, as before', async () => {
    const res = await demoSend(await visitor());
    expect(res.statusCode).toBe(202);
    const row = await stack.db.prisma.notification.findUniqueOrThrow({ where: { id: res.json().id } });
    // Its row: dispatched by its accept, waiting in the outbox for its job's emit.
    expect(row).toMatchObject({ appId: 'demo', status: 'dispatched', sendAt: null });
    expect(await stack.db.prisma.dispatchOutbox.count({ where: { notificationIds: { has: row.id } } })).toBe(1);
    // Queued to the dashboard's log as to the API (no worker runs here).
    const list = await stack.app.inject({
      url: '/admin/api/notifications?appId=demo&limit=5',
      headers: { cookie: await stack.adminCookie('viewer') },
    });
    expect(list.json().items.find((n: { id: string }) => n.id === row.id)).toMatchObject({ status: 'queued' });
  });

  it('POST /demo/send with delaySeconds schedules the send that far ahead', async () => {
    const before = Date.now();
    const res = await demoSend(await visitor(), { delaySeconds: 10 });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'scheduled', recipients: 1 });
    const row = await stack.db.prisma.notification.findUniqueOrThrow({ where: { id: res.json().id } });
    expect(row.status).toBe('scheduled');
    const ahead = (row.sendAt?.getTime() ?? 0) - before;
    expect(ahead).toBeGreaterThanOrEqual(10_000);
    expect(ahead).toBeLessThan(11_000);
  });

  it.each([
    [{ delaySeconds: 61 }, 'body.delaySeconds must be from 0 to 60 seconds.'],
    [{ delaySeconds: -1 }, 'body.delaySeconds must be from 0 to 60 seconds.'],
    [{ delaySeconds: 1.5 }, 'body.delaySeconds must be a whole number.'],
    [{ delaySeconds: '10' }, 'body.delaySeconds must be a whole number.'],
    [{ delay: 5 }, 'body.delay is not a known property.'],
  ])('POST /demo/send refuses %j with 400 HERALD_ERR_VALIDATION and a sentence', async (payload, message) => {
    const res = await demoSend(await visitor(), payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_VALIDATION', message });
  });
});

describe('POST /v1/notifications/:id/cancel', () => {
  it('cancels a queued notification and its recipients, so catch-up never hands it out', async () => {
    const { id } = (await send({ to: { userIds: ['cx-1', 'cx-2'] }, title: 'Oops' })).json();
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelled: 2, counts: { cancelled: 2, queued: 0 } });
    expect(await stack.app.notificationsQueue.getJob(id)).toBeUndefined();
    const subscriber = await stack.app.inbox.findSubscriber(stack.appId, 'cx-1');
    const replay = await stack.app.inbox.sync(subscriber as NonNullable<typeof subscriber>, null, 100);
    expect(replay.notifications.map((n) => n.id)).not.toContain(id);
  });

  it('answers that a send whose ttl ran out while it waited for its job expired (not that anyone has it)', async () => {
    // Dispatched by its accept, waiting in the outbox: no worker runs here.
    const { id } = (await send({ to: { userId: 'lapsed' }, title: 'Too late', ttlSeconds: 60 })).json();
    await stack.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect([res.statusCode, res.json().code]).toEqual([409, 'HERALD_ERR_NOT_CANCELLABLE']);
    expect(res.json().message).toMatch(/expired before it could be delivered/);
  });

  it('lists and counts the users of a scheduled send before it goes out, and as cancelled once it is', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { id, recipients } = (
      await send({ to: { userIds: ['ps-b', 'ps-a', 'ps-c', 'ps-a'] }, title: 'Later', sendAt })
    ).json();
    expect(recipients).toBe(3);
    const get = async (url: string) => (await stack.app.inject({ url, headers: auth() })).json();
    const listed = async (query = '') =>
      (await get(`/v1/notifications/${id}/recipients${query}`)).items.map(
        (r: { userId: string; status: string; seq: number | null }) => [r.userId, r.status, r.seq],
      );
    expect((await get(`/v1/notifications/${id}`)).counts).toMatchObject({ queued: 3, cancelled: 0 });
    expect(await listed()).toEqual([
      ['ps-a', 'queued', null],
      ['ps-b', 'queued', null],
      ['ps-c', 'queued', null],
    ]);
    // Paged by user id, and filtered by status, like any recipient list.
    const first = await get(`/v1/notifications/${id}/recipients?limit=2`);
    expect(first.items.map((r: { userId: string }) => r.userId)).toEqual(['ps-a', 'ps-b']);
    expect(await listed(`?limit=2&cursor=${first.nextCursor}`)).toEqual([['ps-c', 'queued', null]]);
    expect(await listed('?status=delivered')).toEqual([]);

    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelled: 3, counts: { cancelled: 3, queued: 0 } });
    expect(await listed('?status=cancelled')).toEqual([
      ['ps-a', 'cancelled', null],
      ['ps-b', 'cancelled', null],
      ['ps-c', 'cancelled', null],
    ]);
  });

  it('cancels a scheduled broadcast before its fan-out, stopping every recipient it targeted', async () => {
    await stack.db.prisma.subscriber.createMany({
      data: ['cs-1', 'cs-2', 'cs-3'].map((externalId) => ({ appId: stack.appId, externalId })),
      skipDuplicates: true,
    });
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const accepted = (await send({ to: { broadcast: true }, title: 'Later', sendAt })).json();
    expect(accepted.status).toBe('scheduled');
    const res = await stack.app.inject({
      method: 'POST',
      url: `/v1/notifications/${accepted.id}/cancel`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelled: accepted.recipients });
    expect(accepted.recipients).toBeGreaterThanOrEqual(3);
    expect(await stack.app.notificationsQueue.getJob(accepted.id)).toBeUndefined();
  });

  it('documents what cancel does once a notification went out', async () => {
    const doc = (await stack.app.inject({ url: '/docs/json' })).json();
    const op = doc.paths['/v1/notifications/{id}/cancel'].post;
    expect(op.description).toMatch(/no device of its user has acknowledged yet is cancelled/);
    expect(op.description).toMatch(/409 `HERALD_ERR_NOT_CANCELLABLE` when nothing is left to cancel/);
    expect(op.responses['200'].content['application/json'].schema.properties.cancelled.type).toBe('integer');
  });
});

describe('tenant isolation', () => {
  it("keeps one app's key away from another app's notifications", async () => {
    const otherKey = generateApiKey();
    await stack.db.prisma.app.create({
      data: {
        id: 'other-app',
        name: 'Other',
        jwtSecret: 'z'.repeat(43),
        apiKeys: { create: { name: 'k', prefix: apiKeyPrefix(otherKey), hash: hashApiKey(otherKey) } },
      },
    });
    const other = { authorization: `Bearer ${otherKey}` };
    const mine = (await send({ to: { userId: 'shared-user' }, title: 'Mine' })).json();
    const theirs = (await send({ to: { userId: 'shared-user' }, title: 'Theirs' }, other)).json();

    const peek = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${mine.id}`, headers: other });
    expect(peek.statusCode).toBe(404);
    const own = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${theirs.id}`, headers: other });
    expect(own.statusCode).toBe(200);
    expect((await stack.db.prisma.notification.findUniqueOrThrow({ where: { id: theirs.id } })).appId).toBe(
      'other-app',
    );

    const token = await stack.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: other,
      payload: { userId: 'shared-user' },
    });
    expect(token.json().appId).toBe('other-app');
    const claims = await stack.app.userTokens.verify(token.json().token);
    expect(claims).toMatchObject({ appId: 'other-app', userId: 'shared-user' });
  });
});

describe('POST /v1/tokens', () => {
  it('issues a user JWT that the gateway accepts', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: auth(),
      payload: { userId: 'tok', ttlSeconds: 120 },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ appId: stack.appId, userId: 'tok', token: expect.any(String) });
    const ttl = new Date(body.expiresAt).getTime() - Date.now();
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    await expect(stack.app.userTokens.verify(body.token)).resolves.toMatchObject({ userId: 'tok' });
  });

  it.each([
    [{}, /body\.userId is required/],
    [{ userId: 'a', ttlSeconds: 5 }, /ttlSeconds/],
    [{ userId: 'x'.repeat(300) }, /userId/],
  ])('refuses %j with 400', async (payload, message) => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/tokens', headers: auth(), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('HERALD_ERR_VALIDATION');
    expect(res.json().message).toMatch(message);
  });

  it('needs an API key', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/v1/tokens', payload: { userId: 'a' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('operations endpoints', () => {
  it('GET /healthz answers ok', async () => {
    const res = await stack.app.inject({ url: '/healthz' });
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz reports the database and Redis', async () => {
    const res = await stack.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true } } });
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    const doc = await stack.app.inject({ url: '/docs/json' });
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining(['/v1/notifications', '/v1/notifications/{id}', '/v1/tokens', '/healthz', '/readyz']),
    );
    const ui = await stack.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/html/);
  });

  it('documents that the batch endpoint validates each item on its own and answers per item', async () => {
    const doc = (await stack.app.inject({ url: '/docs/json' })).json();
    const batch = doc.paths['/v1/notifications/batch'].post;
    expect(batch.description).toMatch(/one result per item/);
    expect(batch.description).toMatch(/Only a malformed envelope .* is refused as a whole, with a 400/);
    const items = batch.requestBody.content['application/json'].schema.properties.notifications.items;
    expect(items).toMatchObject({ type: 'object', additionalProperties: true });
    expect(items.description).toMatch(/Each item is validated on its own/);
    const result = batch.responses['202'].content['application/json'].schema.properties.results.items;
    expect(result.anyOf).toHaveLength(2);
    expect(result.anyOf[1].properties.error.required).toEqual(['statusCode', 'code', 'message']);
    expect(result.anyOf[1].properties.error.properties.details).toBeDefined();
  });

  it('exposes Prometheus metrics', async () => {
    const res = await stack.app.inject({ url: '/metrics' });
    for (const name of [
      'herald_notifications_accepted_total',
      'herald_deliveries_total',
      'herald_notifications_failed_total',
      'herald_deliveries_expired_total',
      'herald_ack_latency_seconds',
      'herald_sockets_connected',
      'herald_users_connected',
      'herald_queue_jobs',
      'herald_push_queue_jobs',
      'herald_queue_oldest_age_seconds',
    ]) {
      expect(res.body).toContain(`# TYPE ${name} `);
    }
  });

  it('never shows NaN or an empty histogram sentinel, even to scrapes that come at once', async () => {
    for (let round = 0; round < 5; round++) {
      const scrapes = await Promise.all([1, 2, 3].map(() => stack.app.inject({ url: '/metrics' })));
      for (const res of scrapes) {
        for (const line of res.body.split('\n')) {
          if (!line || line.startsWith('#')) continue;
          const value = Number(line.slice(line.lastIndexOf(' ') + 1));
          expect({ line, finite: Number.isFinite(value) }).toEqual({ line, finite: true });
          // An empty event-loop histogram's min is int64 max nanoseconds: 9223372036.85 s.
          if (line.includes('eventloop_lag')) expect({ line, small: value < 3600 }).toEqual({ line, small: true });
        }
      }
    }
  });

  it('answers unknown routes with 404 HERALD_ERR_ROUTE_NOT_FOUND', async () => {
    const res = await stack.app.inject({ url: '/v1/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_ROUTE_NOT_FOUND',
      message: 'There is no route GET /v1/nope.',
    });
    // A topic with "/" in its name written as is: the answer says how to write it.
    const slashed = await stack.app.inject({
      method: 'PUT',
      url: '/v1/topics/team/alpha/subscribers',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { userIds: ['u'] },
    });
    expect(slashed.statusCode).toBe(404);
    expect(slashed.json().message).toBe(
      'There is no route PUT /v1/topics/team/alpha/subscribers. A topic name\'s "/" is written %2F in a path (/v1/topics/team%2Falpha/subscribers).',
    );
    expect((await stack.app.inject({ url: '/v1/topics/news/nope' })).json().message).toMatch(/%2F/);
  });

  it('serves the SDK script to any origin and the demo page at /', async () => {
    const sdk = await stack.app.inject({ url: '/sdk.js' });
    expect(sdk.statusCode).toBe(200);
    expect(sdk.headers['access-control-allow-origin']).toBe('*');
    expect(sdk.body).toContain('Herald');
    const page = await stack.app.inject({ url: '/' });
    expect(page.body).toContain('<script src="/sdk.js">');
  });
});

describe('when Redis is down', () => {
  let down: TestStack;
  let downDb: TestDatabase;
  beforeAll(async () => {
    downDb = await createTestDatabase('postgres');
    down = await startStack(downDb, { worker: false, redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await down?.close();
    await downDb?.cleanup();
  });

  it('answers 503 HERALD_ERR_QUEUE_UNAVAILABLE and keeps nothing', async () => {
    const res = await down.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${down.apiKey}` },
      payload: { to: { userId: 'a' }, title: 'x' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'HERALD_ERR_QUEUE_UNAVAILABLE' });
    expect(await down.db.prisma.notification.count()).toBe(0);
  });

  it('gives back the recipients a refused send spent: retrying it is never a 429', async () => {
    // The default budget is 500 recipients a second (counted on this node while Redis is down).
    const userIds = Array.from({ length: 500 }, (_, u) => `retry-${u}`);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await down.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${down.apiKey}` },
        payload: { to: { userIds }, title: 'x' },
      });
      expect(res.statusCode, res.body).toBe(503);
    }
  });

  it('reports not ready', async () => {
    const res = await down.app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.redis.ok).toBe(false);
  });
});
