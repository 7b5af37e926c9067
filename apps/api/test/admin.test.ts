import { createSigner } from 'fast-jwt';
import pg from 'pg';
import { io as connectClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/platform/lib/secrets.js';
import {
  createTestDatabase,
  eventually,
  POSTGRES_URL,
  startStack,
  type TestDatabase,
  type TestStack,
} from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  stack = await startStack(testDb);
  for (const [email, role] of [
    ['owner@example.com', 'owner'],
    ['ops@example.com', 'admin'],
    ['viewer@example.com', 'viewer'],
  ] as const) {
    await stack.db.prisma.admin.create({ data: { email, role, passwordHash: await hashPassword(PASSWORD) } });
  }
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

async function signIn(email: string, password = PASSWORD) {
  const res = await stack.app.inject({ method: 'POST', url: '/admin/api/session', payload: { email, password } });
  const cookie = res.cookies.find((c) => c.name === 'herald_session');
  return { res, cookie: cookie ? `herald_session=${cookie.value}` : '' };
}
const as = (cookie: string) => ({ cookie });

describe('dashboard sign-in', () => {
  it('refuses a wrong password with a code, and signs in with an HttpOnly SameSite=Strict cookie', async () => {
    const wrong = await signIn('ops@example.com', 'nope');
    expect(wrong.res.statusCode).toBe(401);
    expect(wrong.res.json()).toMatchObject({ code: 'HERALD_ERR_SIGN_IN_FAILED' });

    const { res, cookie } = await signIn('OPS@example.com');
    expect(res.json()).toEqual({ email: 'ops@example.com', role: 'admin' });
    const set = res.cookies.find((c) => c.name === 'herald_session');
    expect(set).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    const me = await stack.app.inject({ url: '/admin/api/session', headers: as(cookie) });
    expect(me.json()).toEqual({ signedIn: true, email: 'ops@example.com', role: 'admin' });

    await stack.app.inject({ method: 'DELETE', url: '/admin/api/session', headers: as(cookie) });
    const after = await stack.app.inject({ url: '/admin/api/session', headers: as(cookie) });
    expect(after.json()).toEqual({ signedIn: false });
    const signedOut = await stack.db.prisma.auditEvent.findFirst({ where: { action: 'admin.sign_out' } });
    expect(signedOut).toMatchObject({ actor: 'ops@example.com' });
    const refused = await stack.app.inject({ url: '/admin/api/apps', headers: as(cookie) });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'HERALD_ERR_SIGN_IN_REQUIRED' });
  });

  it('throttles repeated sign-in attempts', async () => {
    const codes: number[] = [];
    let retryAfter: string | undefined;
    // A forged X-Forwarded-For per attempt does not reset the count (proxies are not trusted by default).
    for (let i = 0; i < 12; i++) {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/admin/api/session',
        headers: { 'x-forwarded-for': `10.0.0.${i}` },
        payload: { email: 'nobody@example.com', password: 'guess' },
      });
      codes.push(res.statusCode);
      retryAfter = res.headers['retry-after'] as string | undefined;
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(codes.slice(10)).toEqual([429, 429]);
    // Like every 429, it says when to come back.
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);
    // Other emails, and the right password for real accounts, are not affected.
    expect((await signIn('ops@example.com')).res.statusCode).toBe(200);
  });

  it('keeps every admin route behind sign-in', async () => {
    for (const url of [
      '/admin/api/overview',
      '/admin/api/apps',
      '/admin/api/notifications',
      '/admin/api/queue',
      '/admin/api/audit',
    ]) {
      const res = await stack.app.inject({ url });
      expect(res.statusCode, url).toBe(401);
    }
  });
});

describe('roles', () => {
  it('lets a viewer look but not send or change anything', async () => {
    const { cookie } = await signIn('viewer@example.com');
    expect((await stack.app.inject({ url: '/admin/api/apps', headers: as(cookie) })).statusCode).toBe(200);
    const send = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/notifications',
      headers: as(cookie),
      payload: { appId: 'default', to: { userId: 'x' }, title: 'nope' },
    });
    expect(send.statusCode).toBe(403);
    expect(send.json()).toMatchObject({ code: 'HERALD_ERR_FORBIDDEN', message: expect.stringMatching(/viewer/) });
    const key = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps/default/keys',
      headers: as(cookie),
      payload: { name: 'k' },
    });
    expect(key.statusCode).toBe(403);
  });

  it('lets only owners manage admins, and never removes the last owner', async () => {
    const admin = await signIn('ops@example.com');
    const denied = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/admins',
      headers: as(admin.cookie),
      payload: { email: 'new@example.com', password: PASSWORD, role: 'viewer' },
    });
    expect(denied.statusCode).toBe(403);
    const owner = await signIn('owner@example.com');
    const created = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/admins',
      headers: as(owner.cookie),
      payload: { email: 'new@example.com', password: PASSWORD, role: 'viewer' },
    });
    expect(created.statusCode).toBe(201);
    // Two owners (the bootstrap admin and owner@): one may go, the last one may not.
    const owners = await stack.db.prisma.admin.findMany({ where: { role: 'owner' }, orderBy: { createdAt: 'asc' } });
    expect(owners.map((o) => o.email)).toEqual(['admin@herald.local', 'owner@example.com']);
    const first = await stack.app.inject({
      method: 'DELETE',
      url: `/admin/api/admins/${owners[0]?.id}`,
      headers: as(owner.cookie),
    });
    expect(first.statusCode).toBe(200);
    const last = await stack.app.inject({
      method: 'DELETE',
      url: `/admin/api/admins/${owners[1]?.id}`,
      headers: as(owner.cookie),
    });
    expect(last.statusCode).toBe(409);
    expect(last.json()).toMatchObject({ code: 'HERALD_ERR_LAST_OWNER' });
  });

  it('keeps an owner when every owner removes themselves at the same moment', async () => {
    const owner = await signIn('owner@example.com');
    for (const email of ['owner2@example.com', 'owner3@example.com']) {
      const created = await stack.app.inject({
        method: 'POST',
        url: '/admin/api/admins',
        headers: as(owner.cookie),
        payload: { email, password: PASSWORD, role: 'owner' },
      });
      expect(created.statusCode).toBe(201);
    }
    const owners = await stack.db.prisma.admin.findMany({ where: { role: 'owner' } });
    expect(owners).toHaveLength(3);
    const sessions = await Promise.all(owners.map((o) => signIn(o.email)));
    const replies = await Promise.all(
      owners.map((o, i) =>
        stack.app.inject({
          method: 'DELETE',
          url: `/admin/api/admins/${o.id}`,
          headers: as(sessions[i]?.cookie as string),
        }),
      ),
    );
    expect(replies.map((r) => r.statusCode).sort()).toEqual([200, 200, 409]);
    expect(await stack.db.prisma.admin.count({ where: { role: 'owner' } })).toBe(1);
  });
});

describe('apps and keys', () => {
  it('creates an app with a key shown once; a revoked key is refused on its next call; all of it is audited', async () => {
    const { cookie } = await signIn('ops@example.com');
    const created = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps',
      headers: as(cookie),
      payload: { id: 'shop', name: 'Shop' },
    });
    expect(created.statusCode).toBe(201);
    const { apiKey, jwtSecret, app } = created.json();
    expect(app).toMatchObject({ id: 'shop', keys: 1 });
    expect(jwtSecret).toHaveLength(43);
    // Its Web Push key pair is made with it: the public key (a 65-byte P-256 point) is there to copy at once.
    expect(Buffer.from(app.vapidPublicKey, 'base64url')).toHaveLength(65);
    expect(app.vapidRotatedAt).toBeNull();
    const dup = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps',
      headers: as(cookie),
      payload: { id: 'shop', name: 'Again' },
    });
    expect(dup.json()).toMatchObject({ code: 'HERALD_ERR_APP_EXISTS' });

    const sendWith = (key: string) =>
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${key}` },
        payload: { to: { userId: 'a' }, title: 'x' },
      });
    expect((await sendWith(apiKey)).statusCode).toBe(202);
    const keys = (await stack.app.inject({ url: '/admin/api/apps/shop/keys', headers: as(cookie) })).json();
    expect(keys[0]).toMatchObject({ prefix: apiKey.slice(0, 10), revokedAt: null });
    expect(JSON.stringify(keys)).not.toContain(apiKey);

    const revoke = await stack.app.inject({
      method: 'POST',
      url: `/admin/api/keys/${keys[0].id}/revoke`,
      headers: as(cookie),
    });
    expect(revoke.json().revokedAt).toEqual(expect.any(String));
    const refused = await sendWith(apiKey);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'HERALD_ERR_API_KEY_REVOKED' });

    const audit = (await stack.app.inject({ url: '/admin/api/audit', headers: as(cookie) })).json();
    const actions = audit.items.map((i: { action: string }) => i.action);
    expect(actions).toEqual(expect.arrayContaining(['app.create', 'key.revoke', 'admin.sign_in']));
    expect(audit.items.find((i: { action: string }) => i.action === 'key.revoke')).toMatchObject({
      actor: 'ops@example.com',
    });
  });

  it('deletes an app with everything of it: its keys stop working, its sockets close, its rows and scheduled jobs go; never the default app', async () => {
    const ops = (await signIn('ops@example.com')).cookie;
    const created = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps',
      headers: as(ops),
      payload: { id: 'doomed', name: 'Doomed' },
    });
    const { apiKey, jwtSecret } = created.json();
    const send = () =>
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { to: { userId: 'u1' }, title: 'before' },
      });
    expect((await send()).statusCode).toBe(202);
    // A send scheduled for tomorrow: its delayed job waits in the queue.
    const later = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { to: { userId: 'u1' }, title: 'tomorrow', sendAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    expect(later.statusCode).toBe(202);
    const scheduled = later.json().id as string;
    const { notificationsQueue } = stack.app;
    expect(await (await notificationsQueue.getJob(scheduled))?.getState()).toBe('delayed');
    const token = createSigner({ key: jwtSecret, algorithm: 'HS256' })({
      sub: 'u1',
      aud: 'doomed',
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const socket = connectClient(stack.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    const closing = new Promise<{ code: string }>((resolve) => socket.once('closing', resolve));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const subscriber = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { appId: 'doomed' } });

    const viewer = (await signIn('viewer@example.com')).cookie;
    const remove = (id: string, cookie: string) =>
      stack.app.inject({ method: 'DELETE', url: `/admin/api/apps/${id}`, headers: as(cookie) });
    expect((await remove('doomed', viewer)).statusCode).toBe(403);
    const defaultApp = await remove('default', ops);
    expect(defaultApp.statusCode).toBe(409);
    expect(defaultApp.json()).toMatchObject({ code: 'HERALD_ERR_APP_DEFAULT' });
    expect(await stack.db.prisma.app.count({ where: { id: 'default' } })).toBe(1);

    const removed = await remove('doomed', ops);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ ok: true });
    // Its user's socket is told why, and closed.
    await expect(closing).resolves.toMatchObject({ code: 'HERALD_ERR_APP_UNKNOWN' });
    await eventually(() => expect(socket.connected).toBe(false));
    // Its rows, all of them.
    const { prisma } = stack.db;
    expect(await prisma.app.count({ where: { id: 'doomed' } })).toBe(0);
    expect(await prisma.apiKey.count({ where: { appId: 'doomed' } })).toBe(0);
    expect(await prisma.subscriber.count({ where: { appId: 'doomed' } })).toBe(0);
    expect(await prisma.notification.count({ where: { appId: 'doomed' } })).toBe(0);
    expect(await prisma.delivery.count({ where: { subscriberId: subscriber.id } })).toBe(0);
    // Its scheduled send's job is gone from the queue, not left waiting until tomorrow.
    expect(await notificationsQueue.getJob(scheduled)).toBeUndefined();
    // Its key and its tokens are refused from now on.
    expect((await send()).statusCode).toBe(401);
    const again = connectClient(stack.baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
    const refused = await new Promise<string>((resolve) =>
      again.once('connect_error', (e: Error & { data?: { code: string } }) => resolve(e.data?.code ?? e.message)),
    );
    again.close();
    expect(refused).toBe('HERALD_ERR_APP_UNKNOWN');
    // Gone is gone: a second delete is a 404; the audit log says who did it and what it had.
    expect((await remove('doomed', ops)).json()).toMatchObject({ code: 'HERALD_ERR_APP_NOT_FOUND' });
    const audit = (await stack.app.inject({ url: '/admin/api/audit', headers: as(ops) })).json();
    expect(audit.items.find((i: { action: string }) => i.action === 'app.delete')).toMatchObject({
      actor: 'ops@example.com',
      targetId: 'doomed',
      details: { name: 'Doomed', subscribers: 1 },
    });
  });

  it('lets no send outlive an app deleted while it is on its way: the send waits, then finds no app (404) and stores nothing', async () => {
    const ops = (await signIn('ops@example.com')).cookie;
    const created = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps',
      headers: as(ops),
      payload: { id: 'racing', name: 'Racing' },
    });
    const { apiKey } = created.json();
    const send = (to: object) =>
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { to, title: 'racing' },
      });
    // The key is in this node's cache from now on, as it is for a backend sending all along.
    expect((await send({ userId: 'r0' })).statusCode).toBe(202);
    const schema = new URL(testDb.url as string).searchParams.get('schema') as string;
    const deleting = new pg.Client({ connectionString: POSTGRES_URL });
    await deleting.connect();
    try {
      await deleting.query(`SET search_path TO "${schema}"`);
      // The deletion has begun as the repository begins it (the app held alone, then deleted: its
      // triggers ran), not committed.
      await deleting.query('BEGIN');
      await deleting.query("SELECT herald_hold_app_alone('racing')");
      await deleting.query("DELETE FROM apps WHERE id = 'racing'");
      let settled = 0;
      const batch = stack.app.inject({
        method: 'POST',
        url: '/v1/notifications/batch',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: {
          notifications: [
            { to: { userId: 'r4' }, title: 'racing' },
            { to: { broadcast: true }, title: 'racing' },
          ],
        },
      });
      const sends = [send({ userId: 'r1' }), send({ userIds: ['r2', 'r3'] }), send({ broadcast: true }), batch].map(
        (p) => p.finally(() => settled++),
      );
      // They wait for it, each at its app's row.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(0);
      await deleting.query('COMMIT');
      for (const res of await Promise.all(sends)) {
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ code: 'HERALD_ERR_APP_NOT_FOUND', message: 'App racing does not exist.' });
      }
    } finally {
      await deleting.end();
    }
    const { prisma } = stack.db;
    expect(await prisma.notification.count({ where: { appId: 'racing' } })).toBe(0);
    expect(await prisma.subscriber.count({ where: { appId: 'racing' } })).toBe(0);
    expect(await prisma.stream.count({ where: { appId: 'racing' } })).toBe(0);
  });

  it('deletes an app only once the sends under way are stored, and lets no later send pass the waiting deletion', async () => {
    const ops = (await signIn('ops@example.com')).cookie;
    const { apiKey } = (
      await stack.app.inject({
        method: 'POST',
        url: '/admin/api/apps',
        headers: as(ops),
        payload: { id: 'busy', name: 'Busy' },
      })
    ).json();
    const send = () =>
      stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${apiKey}` },
        payload: { to: { broadcast: true }, title: 'busy' },
      });
    expect((await send()).statusCode).toBe(202);
    const schema = new URL(testDb.url as string).searchParams.get('schema') as string;
    const inFlight = new pg.Client({ connectionString: POSTGRES_URL });
    await inFlight.connect();
    try {
      await inFlight.query(`SET search_path TO "${schema}"`);
      // A send under way: its statement holds the app and has written its notification, not committed.
      await inFlight.query('BEGIN');
      await inFlight.query("SELECT herald_hold_app('busy')");
      await inFlight.query(
        `INSERT INTO notifications (id, app_id, target, title, status) VALUES (gen_random_uuid(), 'busy', '{}', 'under way', 'dispatched')`,
      );
      let deleted = false;
      const removal = stack.app
        .inject({ method: 'DELETE', url: '/admin/api/apps/busy', headers: as(ops) })
        .finally(() => (deleted = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A send that comes while the deletion waits does not pass it.
      let sentLater = false;
      const later = send().finally(() => (sentLater = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect([deleted, sentLater]).toEqual([false, false]);
      await inFlight.query('COMMIT');
      expect((await removal).statusCode).toBe(200);
      expect((await later).json()).toMatchObject({ code: 'HERALD_ERR_APP_NOT_FOUND' });
    } finally {
      await inFlight.end();
    }
    // The one under way went with the app.
    expect(await stack.db.prisma.notification.count({ where: { appId: 'busy' } })).toBe(0);
  });

  it('rotates the JWT secret: new tokens work, tokens signed with the old one keep working for a while', async () => {
    const { cookie } = await signIn('ops@example.com');
    const old = (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: 'default' } })).jwtSecret;
    const rotated = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/apps/default/rotate-secret',
      headers: as(cookie),
    });
    const { jwtSecret } = rotated.json();
    expect(jwtSecret).not.toBe(old);
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const key of [old, jwtSecret]) {
      const token = createSigner({ key, algorithm: 'HS256' })({ sub: 'rot', aud: 'default', exp });
      await expect(stack.app.userTokens.verify(token)).resolves.toMatchObject({ userId: 'rot' });
    }
    const stranger = createSigner({ key: 'q'.repeat(40), algorithm: 'HS256' })({ sub: 'rot', aud: 'default', exp });
    await expect(stack.app.userTokens.verify(stranger)).rejects.toThrow(/signature/);
  });

  it('refuses a malformed key or id, or a list naming a value twice, with a sentence saying what it takes, not a pattern', async () => {
    const cookie = await stack.adminCookie('admin');
    const ask = async (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object, admin = true) => {
      const res = await stack.app.inject({
        method,
        url,
        headers: admin ? as(cookie) : { authorization: `Bearer ${stack.apiKey}` },
        payload,
      });
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json() as { code: string; message: string; details: Array<{ message: string }> };
      // No JSON-schema wording: no pattern, no "must NOT", no "## 1 and 0".
      expect(JSON.stringify(body)).not.toMatch(/must (NOT|match)|\^|\$"|##/);
      return { code: body.code, message: body.message };
    };
    const notAKey = {
      code: 'HERALD_ERR_VALIDATION',
      message:
        'params.category is not a category key: 1 to 64 letters, digits and _ . : -, starting with a letter or digit (no spaces).',
    };
    expect(await ask('PUT', '/admin/api/apps/default/categories/new%20offers', { name: 'Offers' })).toEqual(notAKey);
    expect(await ask('PUT', '/v1/categories/new%20offers', { name: 'Offers' }, false)).toEqual(notAKey);
    expect(await ask('POST', '/v1/notifications', { to: { userId: 'a' }, title: 'x', category: 'a b' }, false)).toEqual(
      {
        ...notAKey,
        message: notAKey.message.replace('params.category', 'body.category'),
      },
    );
    expect(await ask('POST', '/admin/api/apps', { id: 'My_Shop', name: 'Shop' })).toEqual({
      code: 'HERALD_ERR_VALIDATION',
      message:
        'body.id is not an app id: 2 to 63 lowercase letters, digits and dashes, starting with a letter or digit.',
    });
    expect(
      await ask('PATCH', '/admin/api/apps/default', {
        allowedOrigins: ['https://a.example', 'https://b.example', 'https://a.example'],
      }),
    ).toEqual({
      code: 'HERALD_ERR_VALIDATION',
      message: 'body.allowedOrigins names "https://a.example" twice (items 1 and 3): list each once.',
    });
    // (A send's `userIds` or `topics` naming one twice is not refused: each counts once, delivery.test.ts.)
    // A pattern without a sentence of its own says what the field takes, from its description.
    expect(
      await ask(
        'PATCH',
        '/v1/users/amy/preferences',
        { quietHours: { start: '25:00', end: '07:00', timeZone: 'UTC' } },
        false,
      ),
    ).toEqual({
      code: 'HERALD_ERR_VALIDATION',
      message: 'body.quietHours.start is not in the form this field takes (24-hour HH:MM).',
    });
  });

  it('enforces allowed origins for the SDK', async () => {
    const { cookie } = await signIn('ops@example.com');
    const res = await stack.app.inject({
      method: 'PATCH',
      url: '/admin/api/apps/shop',
      headers: as(cookie),
      payload: { allowedOrigins: ['https://shop.example.com'] },
    });
    expect(res.json().allowedOrigins).toEqual(['https://shop.example.com']);
    const secret = (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: 'shop' } })).jwtSecret;
    const token = createSigner({ key: secret, algorithm: 'HS256' })({
      sub: 'o',
      aud: 'shop',
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const attempt = (origin: string) =>
      new Promise<string>((resolve) => {
        const s = connectClient(stack.baseUrl, {
          auth: { token },
          transports: ['polling'],
          reconnection: false,
          extraHeaders: { origin },
        });
        s.once('connect', () => {
          s.disconnect();
          resolve('connected');
        });
        s.once('connect_error', (e: Error & { data?: { code: string } }) => resolve(e.data?.code ?? e.message));
      });
    await expect(attempt('https://evil.example.net')).resolves.toBe('HERALD_ERR_ORIGIN_FORBIDDEN');
    await expect(attempt('https://shop.example.com')).resolves.toBe('connected');
  });
});

describe('operations', () => {
  it('sends from the composer, lists and filters the log, and shows the funnel', async () => {
    const { cookie } = await signIn('ops@example.com');
    const user = await stack.connectUser('dash-1');
    user.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    const sent = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/notifications',
      headers: as(cookie),
      payload: { appId: 'default', to: { userId: 'dash-1' }, title: 'From the composer', priority: 'high' },
    });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json();
    await eventually(async () => {
      const d = (await stack.app.inject({ url: `/admin/api/notifications/${id}`, headers: as(cookie) })).json();
      return d.counts.delivered === 1;
    });
    const log = (
      await stack.app.inject({ url: '/admin/api/notifications?recipient=dash-1', headers: as(cookie) })
    ).json();
    expect(log.items.map((i: { id: string }) => i.id)).toEqual([id]);
    // One scheduled from the composer and cancelled: the status filter finds it, and only cancelled ones.
    const later = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/notifications',
      headers: as(cookie),
      payload: {
        appId: 'default',
        to: { userId: 'dash-1' },
        title: 'Never mind',
        sendAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(later.statusCode, later.body).toBe(202);
    const cancel = await stack.app.inject({
      method: 'POST',
      url: `/admin/api/notifications/${later.json().id}/cancel`,
      headers: as(cookie),
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const filtered = (
      await stack.app.inject({ url: '/admin/api/notifications?status=cancelled', headers: as(cookie) })
    ).json();
    expect(filtered.items.map((i: { id: string }) => i.id)).toContain(later.json().id);
    expect(filtered.items.map((i: { id: string }) => i.id)).not.toContain(id);
    expect(filtered.items.every((i: { status: string }) => i.status === 'cancelled')).toBe(true);
    const recipients = (
      await stack.app.inject({ url: `/admin/api/notifications/${id}/recipients`, headers: as(cookie) })
    ).json();
    expect(recipients.items[0]).toMatchObject({ userId: 'dash-1', status: 'delivered' });

    // Presence is written to Redis in batches (at most a second behind the connect).
    let me: { id: string; online: boolean } | undefined;
    await eventually(async () => {
      const subs = (await stack.app.inject({ url: '/admin/api/subscribers?q=dash', headers: as(cookie) })).json();
      me = subs.items.find((s: { userId: string }) => s.userId === 'dash-1');
      return me?.online === true;
    });
    if (!me) throw new Error('dash-1 is not listed');
    const detail = (await stack.app.inject({ url: `/admin/api/subscribers/${me.id}`, headers: as(cookie) })).json();
    expect(detail.history[0]).toMatchObject({ notificationId: id, status: 'delivered', title: 'From the composer' });
    user.disconnect();
  });

  it('filters the log by the status it shows: a send waiting for its job is queued, not dispatched, until its job emits it', async () => {
    const cookie = await stack.adminCookie('viewer');
    const queue = stack.app.notificationsQueue;
    const listed = async (status: string) =>
      (
        await stack.app.inject({
          url: `/admin/api/notifications?recipient=filtered-1&status=${status}`,
          headers: as(cookie),
        })
      ).json().items;
    // The queue hands out no job (a paused worker would still take the one its blocked fetch
    // returns): the send waits in the outbox, stored as dispatched by its accept.
    await queue.pause();
    let id = '';
    try {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/v1/notifications',
        headers: { authorization: `Bearer ${stack.apiKey}` },
        payload: { to: { userId: 'filtered-1' }, title: 'Waiting for its job' },
      });
      expect(res.statusCode, res.body).toBe(202);
      id = res.json().id;
      expect(await stack.db.prisma.notification.findUniqueOrThrow({ where: { id } })).toMatchObject({
        status: 'dispatched',
      });
      expect(await listed('queued')).toEqual([expect.objectContaining({ id, status: 'queued' })]);
      expect(await listed('dispatched')).toEqual([]);
      // Stored queued (a list of more than 100 users, fanned out by the worker) and waiting in the
      // outbox, merged newest first, page by page.
      const list = Array.from({ length: 101 }, (_, i) => `filtered-list-${i}`);
      const more = [];
      for (const to of [{ userIds: list }, { userId: 'filtered-2' }]) {
        const sent = await stack.app.inject({
          method: 'POST',
          url: '/v1/notifications',
          headers: { authorization: `Bearer ${stack.apiKey}` },
          payload: { to, title: 'Also waiting' },
        });
        more.push(sent.json().id as string);
      }
      const since = (await stack.db.prisma.notification.findUniqueOrThrow({ where: { id } })).createdAt.toISOString();
      const page = async (cursor?: string) =>
        (
          await stack.app.inject({
            url: `/admin/api/notifications?status=queued&from=${encodeURIComponent(since)}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            headers: as(cookie),
          })
        ).json();
      const first = await page();
      const second = await page(first.nextCursor);
      // Newest first, as stored (two sends may share a millisecond: then by id).
      const newest = await stack.db.prisma.notification.findMany({
        where: { id: { in: [id, ...more] } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      expect(newest.map((n) => n.status).sort()).toEqual(['dispatched', 'dispatched', 'queued']);
      expect([...first.items, ...second.items].map((n: { id: string; status: string }) => [n.id, n.status])).toEqual(
        newest.map((n) => [n.id, 'queued']),
      );
    } finally {
      await queue.resume();
    }
    await stack.jobsDone();
    expect(await stack.db.prisma.dispatchOutbox.count({ where: { notificationIds: { has: id } } })).toBe(0);
    expect(await listed('dispatched')).toEqual([expect.objectContaining({ id, status: 'dispatched' })]);
    expect(await listed('queued')).toEqual([]);
  });

  it('asks the composer to confirm a list by its users, each once however often it names them', async () => {
    const { cookie } = await signIn('ops@example.com');
    const send = (userIds: string[]) =>
      stack.app.inject({
        method: 'POST',
        url: '/admin/api/notifications',
        headers: as(cookie),
        payload: { appId: 'default', to: { userIds }, title: 'Named twice' },
      });
    // 60 users, each named twice: under the 100 above which a send needs confirming.
    const users = Array.from({ length: 60 }, (_, i) => `confirm-${i}`);
    const sent = await send([...users, ...users]);
    expect(sent.statusCode, sent.body).toBe(202);
    expect(sent.json().recipients).toBe(60);
    // 101 users do need it.
    const more = await send([...users, ...Array.from({ length: 41 }, (_, i) => `confirm-more-${i}`)]);
    expect(more.json()).toMatchObject({ code: 'HERALD_ERR_CONFIRMATION_REQUIRED' });
  });

  it("lists a subscriber's delivery history newest first by accept time, topic sends among direct ones, the newest 50", async () => {
    const cookie = await stack.adminCookie('viewer');
    const v1 = (url: string, payload: object, method: 'POST' | 'PUT' = 'POST') =>
      stack.app.inject({ method, url, headers: { authorization: `Bearer ${stack.apiKey}` }, payload });
    const user = 'hist-1';
    const topic = 'history-topic';
    await v1(`/v1/topics/${topic}/subscribers`, { userIds: [user] }, 'PUT');
    const socket = await stack.connectUser(user, {
      listen: (s) => s.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true })),
    });
    const ids: string[] = [];
    const send = async (to: object, title: string) => {
      const res = await v1('/v1/notifications', { to, title });
      expect(res.statusCode, res.body).toBe(202);
      ids.push(res.json().id);
    };
    // 52 received: a topic send, 49 direct ones, a topic send, a direct one.
    await send({ topic }, 'Topic 1');
    const batch = await v1('/v1/notifications/batch', {
      notifications: Array.from({ length: 49 }, (_, i) => ({ to: { userId: user }, title: `Direct ${i}` })),
    });
    expect(batch.statusCode, batch.body).toBe(202);
    ids.push(...batch.json().results.map((r: { id: string }) => r.id));
    await send({ topic }, 'Topic 2');
    await send({ userId: user }, 'Direct last');
    const subscriber = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { externalId: user } });
    await eventually(
      async () =>
        (await stack.db.prisma.delivery.count({ where: { subscriberId: subscriber.id, status: 'delivered' } })) === 52,
    );

    // The notifications log's order: accept time, then id.
    const newest = await stack.db.prisma.notification.findMany({
      where: { id: { in: ids } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 50,
      select: { id: true },
    });
    const detail = (
      await stack.app.inject({ url: `/admin/api/subscribers/${subscriber.id}`, headers: as(cookie) })
    ).json();
    const history = detail.history as Array<{ notificationId: string; title: string; queuedAt: string }>;
    expect(history.map((h) => h.notificationId)).toEqual(newest.map((n) => n.id));
    expect(history.slice(0, 2).map((h) => h.title)).toEqual(['Direct last', 'Topic 2']);
    expect(history.map((h) => h.title)).not.toContain('Topic 1');
    // A topic send's receipt is written with its ack; it was the user's from when it went out.
    const topicSend = await stack.db.prisma.notification.findUniqueOrThrow({
      where: { id: history[1]?.notificationId },
    });
    expect(history[1]?.queuedAt).toBe(topicSend.dispatchedAt?.toISOString());
    socket.disconnect();
  });

  it('pushes live counters and accepted notifications to signed-in admins over /admin', async () => {
    const { cookie } = await signIn('viewer@example.com');
    const refused = connectClient(`${stack.baseUrl}/admin`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      refused.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('HERALD_ERR_SIGN_IN_REQUIRED');

    const foreign = connectClient(`${stack.baseUrl}/admin`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie, origin: 'https://evil.example.net' },
    });
    const refusedOrigin = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      foreign.once('connect_error', resolve),
    );
    expect(refusedOrigin.data?.code).toBe('HERALD_ERR_ORIGIN_FORBIDDEN');

    const admin = connectClient(`${stack.baseUrl}/admin`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie },
    });
    const first = await new Promise<{ lastHour: { sent: number }; series: unknown[]; presence: { sockets: number } }>(
      (resolve) => admin.once('stats', resolve),
    );
    expect(first.series).toHaveLength(60);
    const accepted = new Promise<{ id: string; title: string }>((resolve) => admin.once('accepted', resolve));
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'live-1' }, title: 'Watch me' },
    });
    await expect(accepted).resolves.toMatchObject({ id: res.json().id, title: 'Watch me' });
    const later = await new Promise<{ lastHour: { sent: number } }>((resolve) => {
      admin.on('stats', (s: { lastHour: { sent: number } }) => {
        if (s.lastHour.sent > first.lastHour.sent) resolve(s);
      });
    });
    expect(later.lastHour.sent).toBeGreaterThan(first.lastHour.sent);
    admin.disconnect();
  });

  it('shows queue health, the delayed jobs (scheduled sends, retries with why) and retries a failed job', async () => {
    const { cookie } = await signIn('ops@example.com');
    const queue = (await stack.app.inject({ url: '/admin/api/queue', headers: as(cookie) })).json();
    expect(queue.counts).toEqual(expect.objectContaining({ waiting: expect.any(Number), failed: expect.any(Number) }));
    const missing = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/queue/jobs/nope/retry',
      headers: as(cookie),
    });
    expect(missing.json()).toMatchObject({ code: 'HERALD_ERR_JOB_NOT_FOUND' });
    const scheduledAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'later' }, title: 'later', sendAt: scheduledAt },
    });
    const notFailed = await stack.app.inject({
      method: 'POST',
      url: `/admin/api/queue/jobs/${scheduled.json().id}/retry`,
      headers: as(cookie),
    });
    expect(notFailed.statusCode).toBe(409);
    expect(notFailed.json()).toMatchObject({ code: 'HERALD_ERR_JOB_STATE', message: expect.stringMatching(/delayed/) });

    // A job whose attempt failed waits out its backoff (an hour here), with why it failed.
    // (Added with a delay of 2 s: its backoff counts from its attempt, not from when it was added.)
    const added = Date.now();
    await stack.app.notificationsQueue.add(
      'dispatch',
      { notificationId: 'not-an-id' },
      { jobId: 'broken-job', delay: 2000, attempts: 3, backoff: { type: 'fixed', delay: 3_600_000 } },
    );
    const broken = async () => stack.app.notificationsQueue.getJob('broken-job');
    await eventually(async () => {
      const job = await broken();
      expect(job?.attemptsMade).toBe(1);
      expect(await job?.getState()).toBe('delayed');
      return true;
    }, 10_000);
    // Both are listed among the delayed jobs, due soonest first: the scheduled send at its sendAt.
    const { delayed } = (await stack.app.inject({ url: '/admin/api/queue', headers: as(cookie) })).json();
    const send = delayed.find((j: { id: string }) => j.id === scheduled.json().id);
    expect(send).toMatchObject({ notificationId: send.id, attemptsMade: 0, lastFailure: null });
    // (Its delay counts from the accept; the job is added a moment later, and runs a moment later.)
    expect(Date.parse(send.dueAt) - Date.parse(scheduledAt)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(send.dueAt) - Date.parse(scheduledAt)).toBeLessThan(1000);
    const retrying = delayed.find((j: { id: string }) => j.id === 'broken-job');
    expect(retrying).toMatchObject({ notificationId: 'not-an-id', attemptsMade: 1, lastFailure: expect.any(String) });
    expect(Date.parse(retrying.dueAt) - (added + 3_600_000)).toBeGreaterThanOrEqual(1900);
    expect(Date.parse(retrying.dueAt) - (added + 3_600_000)).toBeLessThan(10_000);
    const dues = delayed.map((j: { dueAt: string }) => Date.parse(j.dueAt));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    await (await broken())?.remove();
  });

  it('pages through subscribers of all apps one by one, a user id that is in two apps listed once in each', async () => {
    const cookie = await stack.adminCookie('viewer');
    const { prisma } = stack.db;
    await prisma.app.create({ data: { id: 'twin', name: 'Twin', jwtSecret: 'x'.repeat(32) } });
    // The same user ids in two apps, and one more user between them.
    for (const [appId, externalId] of [
      [stack.appId, 'paged-a'],
      ['twin', 'paged-a'],
      [stack.appId, 'paged-b'],
      ['twin', 'paged-c'],
      [stack.appId, 'paged-c'],
    ] as const) {
      await prisma.subscriber.create({ data: { id: `sub-${appId}-${externalId}`, appId, externalId } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const url: string = `/admin/api/subscribers?q=paged-&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await stack.app.inject({ url, headers: as(cookie) })).json();
      seen.push(...page.items.map((s: { appId: string; userId: string }) => `${s.userId}@${s.appId}`));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const [first, second] = [stack.appId, 'twin'].sort();
    expect(seen).toEqual([
      `paged-a@${first}`,
      `paged-a@${second}`,
      `paged-b@${stack.appId}`,
      `paged-c@${first}`,
      `paged-c@${second}`,
    ]);
    // A cursor the list did not give is refused with a sentence, not read as a user id.
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'paged-a',
      encoded(['a']),
      encoded(['\u0000', 'x']),
      encoded(['a', '\ud800']),
      encoded([1, 2]),
    ]) {
      const forged = await stack.app.inject({
        url: `/admin/api/subscribers?cursor=${encodeURIComponent(cursor)}`,
        headers: as(cookie),
      });
      expect(forged.statusCode).toBe(400);
      expect(forged.json()).toMatchObject({ code: 'HERALD_ERR_CURSOR_INVALID', message: expect.any(String) });
    }
    await prisma.app.delete({ where: { id: 'twin' } });
  });

  it("counts a subscriber's notifications with the topic sends and broadcasts that are theirs, in the list and on their page", async () => {
    const cookie = await stack.adminCookie('viewer');
    const v1 = (method: 'POST' | 'PUT' | 'PATCH', url: string, payload: object) =>
      stack.app.inject({ method, url, headers: { authorization: `Bearer ${stack.apiKey}` }, payload });
    const sent = async (payload: object) => {
      const res = await v1('POST', '/v1/notifications', payload);
      expect(res.statusCode, res.body).toBe(202);
      const id = res.json().id as string;
      await eventually(async () => {
        const n = await stack.db.prisma.notification.findUniqueOrThrow({ where: { id } });
        return n.status === 'dispatched';
      });
      await stack.jobsDone();
      return id;
    };
    const [user, other] = ['counted-1', 'counted-2'];
    await v1('PUT', '/v1/topics/counted-news/subscribers', { userIds: [user, other] });
    await v1('PUT', '/v1/topics/counted-muted/subscribers', { userIds: [user] });
    await v1('PATCH', `/v1/users/${user}/preferences`, { topics: { 'counted-muted': 'off' } });
    // Theirs: two direct sends, one topic send, two broadcasts (offline, the inbox holds them).
    // Not theirs: a send to another user, one to the topic they turned off, a topic send cancelled before it reached them.
    await sent({ to: { userId: user }, title: 'Direct 1' });
    await sent({ to: { userIds: [user, other] }, title: 'Direct 2' });
    await sent({ to: { topic: 'counted-news' }, title: 'News' });
    await sent({ to: { broadcast: true }, title: 'Everyone' });
    await sent({ to: { broadcast: true }, title: 'Everyone again' });
    await sent({ to: { userId: other }, title: 'Not theirs' });
    await sent({ to: { topic: 'counted-muted' }, title: 'Muted' });
    const cancelled = await sent({ to: { topic: 'counted-news' }, title: 'Wrong' });
    await v1('POST', `/v1/notifications/${cancelled}/cancel`, {});

    const list = (await stack.app.inject({ url: '/admin/api/subscribers?q=counted-1', headers: as(cookie) })).json();
    expect(list.items).toEqual([expect.objectContaining({ userId: user, notifications: { count: 5, more: false } })]);
    const detail = (
      await stack.app.inject({ url: `/admin/api/subscribers/${list.items[0].id}`, headers: as(cookie) })
    ).json();
    expect(detail).toMatchObject({ notifications: { count: 5, more: false } });
    expect(detail.inbox).toHaveLength(5);
  });
});

describe('cross-origin protection of the admin API', () => {
  // inject() reaches the server as Host: localhost:80; a browser's Origin leaves the default port out.
  const ORIGIN = 'http://localhost';
  const secretOf = async (appId: string) =>
    (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: appId } })).jwtSecret;

  it('refuses body-less admin POSTs from another port or a sibling subdomain with 403, changing nothing', async () => {
    const { cookie } = await signIn('ops@example.com');
    const before = await secretOf('default');
    const key = (await stack.app.inject({ url: '/admin/api/apps/default/keys', headers: as(cookie) })).json()[0];
    const sent = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'csrf' }, title: 'later', sendAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    const notification = sent.json().id as string;
    const attacks = [
      // Another port of the same host: same site, so the SameSite=Strict cookie goes along.
      { origin: 'http://localhost:8080' },
      // A sibling subdomain of the same site.
      { origin: 'http://evil.localhost' },
      // What a current browser says about both, whatever the Origin.
      { origin: ORIGIN, 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    const routes = [
      '/admin/api/apps/default/rotate-secret',
      `/admin/api/keys/${key.id}/revoke`,
      `/admin/api/notifications/${notification}/cancel`,
      '/admin/api/queue/jobs/nope/retry',
    ];
    // The router decodes the path before it matches: spelled with escapes, they are the same routes.
    const spelled = routes.flatMap((url) => [url.replace('/admin/', '/%61dmin/'), url.replace('/api/', '/%61pi/')]);
    for (const headers of attacks) {
      for (const url of [...routes, ...spelled]) {
        const res = await stack.app.inject({ method: 'POST', url, headers: { ...as(cookie), ...headers } });
        expect(res.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(403);
        expect(res.json()).toMatchObject({
          code: 'HERALD_ERR_CSRF',
          message: expect.stringMatching(/only the dashboard itself may change things/),
        });
      }
      const signOut = await stack.app.inject({
        method: 'DELETE',
        url: '/admin/api/session',
        headers: { ...as(cookie), ...headers },
      });
      expect(signOut.statusCode).toBe(403);
    }
    expect(await secretOf('default')).toBe(before);
    const keys = (await stack.app.inject({ url: '/admin/api/apps/default/keys', headers: as(cookie) })).json();
    expect(keys[0]).toMatchObject({ id: key.id, revokedAt: null });
    const n = (await stack.app.inject({ url: `/admin/api/notifications/${notification}`, headers: as(cookie) })).json();
    expect(n.status).toBe('scheduled');
    // Still signed in: the refused sign-out did nothing either.
    expect((await stack.app.inject({ url: '/admin/api/session', headers: as(cookie) })).json()).toMatchObject({
      signedIn: true,
    });
  });

  it('accepts them from the dashboard itself, and from clients that are not browsers', async () => {
    const { cookie } = await signIn('ops@example.com');
    for (const headers of [
      { origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      { origin: ORIGIN },
      { origin: 'http://localhost:80' },
      { 'sec-fetch-site': 'same-origin' },
      {},
    ]) {
      const before = await secretOf('default');
      const res = await stack.app.inject({
        method: 'POST',
        url: '/admin/api/apps/default/rotate-secret',
        headers: { ...as(cookie), ...headers },
      });
      expect(res.statusCode, JSON.stringify(headers)).toBe(200);
      expect(await secretOf('default')).not.toBe(before);
    }
    // Reading stays open to any origin's fetch (the cookie does not travel cross-site anyway).
    const read = await stack.app.inject({
      url: '/admin/api/apps',
      headers: { ...as(cookie), origin: 'http://localhost:8080' },
    });
    expect(read.statusCode).toBe(200);
  });

  it('documents that 403 on every state-changing admin route', async () => {
    const doc = (await stack.app.inject({ url: '/docs/json' })).json();
    const documented = (path: string, method: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    expect(documented('/admin/api/session', 'post')).toContain('403');
    expect(documented('/admin/api/session', 'delete')).toContain('403');
    expect(documented('/admin/api/apps/{appId}/rotate-secret', 'post')).toContain('403');
    expect(documented('/admin/api/apps/{appId}', 'patch')).toContain('403');
    expect(documented('/admin/api/apps', 'get')).not.toContain('403');
  });

  it('refuses a sign-in form posted from another origin of the same site', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/session',
      headers: { origin: 'http://localhost:8080' },
      payload: { email: 'ops@example.com', password: PASSWORD },
    });
    expect(res.statusCode).toBe(403);
    expect(res.cookies).toEqual([]);
  });
});

describe('security headers', () => {
  it('forbids framing and MIME sniffing and sets a CSP on the dashboard, the demo page and the docs', async () => {
    for (const url of ['/dashboard/', '/', '/docs/', '/admin/api/session']) {
      const res = await stack.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toMatch(/script-src 'self'[^;]*;/);
      expect(csp, url).toContain("object-src 'none'");
      expect(csp, url).not.toContain('upgrade-insecure-requests');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    // The demo page's inline script is allowed by its hash, not by 'unsafe-inline'.
    const demo = await stack.app.inject({ url: '/' });
    const scriptSrc = String(demo.headers['content-security-policy']).match(/script-src ([^;]*)/)?.[1] ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(scriptSrc).toMatch(/'sha256-[A-Za-z0-9+/]+=*'/);
  });

  it('lets pages of any origin load the SDK scripts', async () => {
    for (const url of ['/sdk.js', '/inbox.js']) {
      const res = await stack.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cross-origin-resource-policy'], url).toBe('cross-origin');
      expect(res.headers['access-control-allow-origin'], url).toBe('*');
    }
    expect((await stack.app.inject({ url: '/dashboard/' })).headers['cross-origin-resource-policy']).toBe(
      'same-origin',
    );
  });
});
