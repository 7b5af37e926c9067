import { createSigner } from 'fast-jwt';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recheckSockets } from '../src/gateway/credentials.js';
import { hashPassword } from '../src/platform/lib/secrets.js';
import { createTestDatabase, startStack, type TestDatabase, type TestStack } from './helpers.js';

const PASSWORD = 'correct horse battery';
const now = () => Math.floor(Date.now() / 1000);

interface Ended {
  code: string;
  message: string;
}

/** A user socket that records why the server ended it. */
interface Watched {
  socket: Socket;
  ended: Promise<{ event: Ended | undefined; reason: string }>;
}

describe('user credentials on live sockets', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  let cookie = '';
  const sockets: Socket[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    cookie = await stack.adminCookie('admin', 'ops@example.com');
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await stack?.close();
    await testDb?.cleanup();
  });

  const secret = async () => (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: stack.appId } })).jwtSecret;
  const sign = async (claims: Record<string, unknown>, key?: string) =>
    createSigner({ key: key ?? (await secret()), algorithm: 'HS256' })({ aud: stack.appId, ...claims });

  /** Connects with `token`; resolves once connected, or with the refusal. */
  const open = (token: string, extraHeaders: Record<string, string> = {}) =>
    new Promise<Watched | (Error & { data?: { code: string } })>((resolve) => {
      const socket = connectClient(stack.baseUrl, {
        auth: { token },
        transports: ['polling'],
        reconnection: false,
        forceNew: true,
        extraHeaders,
      });
      sockets.push(socket);
      let event: Ended | undefined;
      socket.on('closing', (e: Ended) => {
        event = e;
      });
      const ended = new Promise<{ event: Ended | undefined; reason: string }>((done) =>
        socket.once('disconnect', (reason) => done({ event, reason })),
      );
      socket.once('connect', () => resolve({ socket, ended }));
      socket.once('connect_error', resolve);
    });
  const connected = async (token: string, extraHeaders?: Record<string, string>) => {
    const result = await open(token, extraHeaders);
    if (result instanceof Error) throw new Error(`refused: ${result.data?.code} ${result.message}`);
    return result;
  };
  const refusal = async (token: string) => {
    const result = await open(token);
    if (!(result instanceof Error)) throw new Error('connected, but should have been refused');
    return result;
  };
  const admin = (method: 'POST' | 'PATCH', url: string, payload?: object) =>
    stack.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
  const stillOpen = async (w: Watched, ms: number) => {
    const outcome = await Promise.race([w.ended, new Promise((r) => setTimeout(() => r('open'), ms))]);
    return outcome === 'open' && w.socket.connected;
  };

  describe('maximum token lifetime', () => {
    it('refuses a handshake with a token that expires in the year 5138', async () => {
      const error = await refusal(await sign({ sub: 'far', exp: Math.floor(Date.UTC(5138, 0, 1) / 1000) }));
      expect(error.data?.code).toBe('HERALD_ERR_TOKEN_TOO_LONG_LIVED');
      expect(error.message).toMatch(/expires at 5138-01-01T00:00:00\.000Z.*within 86400 seconds/);
    });

    it('accepts a token that expires within the maximum, and refuses one just past it', async () => {
      const ok = await connected(await sign({ sub: 'near', exp: now() + 86_400 }));
      ok.socket.disconnect();
      const error = await refusal(await sign({ sub: 'near', exp: now() + 86_400 + 3600 }));
      expect(error.data?.code).toBe('HERALD_ERR_TOKEN_TOO_LONG_LIVED');
    });

    it('refuses a too long-lived token at auth:refresh, and the socket keeps its current one', async () => {
      const w = await connected(await sign({ sub: 'refresher', exp: now() + 600 }));
      const reply = await w.socket.emitWithAck('auth:refresh', {
        token: await sign({ sub: 'refresher', exp: now() + 400 * 24 * 3600 }),
      });
      expect(reply).toMatchObject({ ok: false, code: 'HERALD_ERR_TOKEN_TOO_LONG_LIVED' });
      const good = await w.socket.emitWithAck('auth:refresh', {
        token: await sign({ sub: 'refresher', exp: now() + 900 }),
      });
      expect(good).toMatchObject({ ok: true });
      // Sent without its token, it says what it needs (not how to connect).
      for (const refresh of [
        () => w.socket.emitWithAck('auth:refresh'),
        () => w.socket.emitWithAck('auth:refresh', {}),
      ])
        expect(await refresh()).toEqual({
          ok: false,
          code: 'HERALD_ERR_TOKEN_MISSING',
          message: '"auth:refresh" needs { token: "<user JWT>" }.',
        });
      w.socket.disconnect();
    });

    it('issues no token from POST /v1/tokens that lives longer than the maximum', async () => {
      const issue = (ttlSeconds: number) =>
        stack.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: { authorization: `Bearer ${stack.apiKey}` },
          payload: { userId: 'u', ttlSeconds },
        });
      const tooLong = await issue(86_401);
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.json()).toMatchObject({
        code: 'HERALD_ERR_TOKEN_TTL_TOO_LONG',
        message: expect.stringMatching(/at most 86400 seconds.*HERALD_MAX_TOKEN_LIFETIME_SECONDS/),
      });
      expect((await issue(86_400)).statusCode).toBe(200);
    });
  });

  describe('secret rotation and revocation', () => {
    it('closes sockets opened with the old secret at once when it is rotated without grace, saying why', async () => {
      const old = await connected(await stack.token('rotated-1'));
      const alsoOld = await connected(await stack.token('rotated-2'));
      const rotated = await admin('POST', `/admin/api/apps/${stack.appId}/rotate-secret?graceSeconds=0`);
      expect(rotated.statusCode).toBe(200);
      for (const w of [old, alsoOld]) {
        const { event, reason } = await w.ended;
        expect(event).toMatchObject({ code: 'HERALD_ERR_TOKEN_REVOKED', message: expect.stringMatching(/rotated/) });
        expect(reason).toBe('io server disconnect');
      }
      // The old token is refused from now on, with the same code; new ones connect.
      const error = await refusal(await sign({ sub: 'rotated-1', exp: now() + 600 }, await previousSecret()));
      expect(error.data?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
      const fresh = await connected(await stack.token('rotated-1'));
      expect(await stillOpen(fresh, 300)).toBe(true);
      fresh.socket.disconnect();
    });

    it('keeps sockets on the old secret through the grace, closes them when it ends, unless they refreshed', async () => {
      const stays = await connected(await stack.token('grace-1'));
      const refreshes = await connected(await stack.token('grace-2'));
      const rotated = await admin('POST', `/admin/api/apps/${stack.appId}/rotate-secret?graceSeconds=3`);
      const until = Date.parse(rotated.json().previousValidUntil);
      // Within the grace, both stay; one swaps in a token signed with the new secret.
      expect(await stillOpen(stays, 1000)).toBe(true);
      const reply = await refreshes.socket.emitWithAck('auth:refresh', { token: await stack.token('grace-2') });
      expect(reply).toMatchObject({ ok: true });
      const { event } = await stays.ended;
      expect(event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
      expect(Date.now()).toBeGreaterThanOrEqual(until - 50);
      expect(await stillOpen(refreshes, 1000)).toBe(true);
      refreshes.socket.disconnect();
    });

    it('closes sockets still on the previous secret when its grace is revoked', async () => {
      const old = await connected(await stack.token('revoked-1'));
      await admin('POST', `/admin/api/apps/${stack.appId}/rotate-secret`);
      expect(await stillOpen(old, 500)).toBe(true);
      const apps = (await stack.app.inject({ url: '/admin/api/apps', headers: { cookie } })).json();
      expect(apps.find((a: { id: string }) => a.id === stack.appId).previousSecretValidUntil).toEqual(
        expect.any(String),
      );
      const revoked = await admin('POST', `/admin/api/apps/${stack.appId}/revoke-previous-secret`);
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().previousSecretValidUntil).toBeNull();
      const { event } = await old.ended;
      expect(event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
    });

    it('closes them at the periodic check on a node that missed the message', async () => {
      const old = await connected(await stack.token('missed-1'));
      // Revoked behind the node's back: straight in the database, no message to any node.
      await stack.db.prisma.app.update({
        where: { id: stack.appId },
        data: { jwtSecret: 'x'.repeat(43), jwtSecretPrevious: await secret(), jwtSecretPreviousUntil: new Date() },
      });
      expect(await stillOpen(old, 300)).toBe(true);
      stack.app.apps.forget(stack.appId); // what the cache's 10-second lifetime does by itself
      expect(await recheckSockets(stack.app.io, stack.app.apps)).toBeGreaterThanOrEqual(1);
      expect((await old.ended).event?.code).toBe('HERALD_ERR_TOKEN_REVOKED');
    });

    it('closes sockets from an origin the app no longer allows', async () => {
      const shop = await connected(await stack.token('origin-1'), { origin: 'https://shop.example.com' });
      const other = await connected(await stack.token('origin-2'), { origin: 'https://old.example.com' });
      await admin('PATCH', `/admin/api/apps/${stack.appId}`, { allowedOrigins: ['https://shop.example.com'] });
      const { event } = await other.ended;
      expect(event).toMatchObject({ code: 'HERALD_ERR_ORIGIN_FORBIDDEN' });
      expect(await stillOpen(shop, 300)).toBe(true);
      shop.socket.disconnect();
      await admin('PATCH', `/admin/api/apps/${stack.appId}`, { allowedOrigins: [] });
    });
  });

  const previousSecret = async () =>
    (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: stack.appId } })).jwtSecretPrevious as string;

  it('tells a client whose token expired why it is closed', async () => {
    const w = await connected(await sign({ sub: 'short', exp: now() + 2 }));
    const { event, reason } = await w.ended;
    expect(event?.code).toBe('HERALD_ERR_TOKEN_EXPIRED');
    expect(reason).toBe('io server disconnect');
  });
});

describe('the /admin live channel', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    for (const [email, role] of [
      ['owner@example.com', 'owner'],
      ['leaver@example.com', 'admin'],
      ['watcher@example.com', 'viewer'],
    ] as const) {
      await stack.db.prisma.admin.create({ data: { email, role, passwordHash: await hashPassword(PASSWORD) } });
    }
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await stack?.close();
    await testDb?.cleanup();
  });

  const signIn = async (email: string) => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/admin/api/session',
      payload: { email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return `herald_session=${res.cookies.find((c) => c.name === 'herald_session')?.value}`;
  };
  /** An open /admin channel (it got its first counters), recording why it ended. */
  const channel = async (cookie: string) => {
    const socket = connectClient(`${stack.baseUrl}/admin`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { cookie },
    });
    sockets.push(socket);
    let event: Ended | undefined;
    socket.on('session:ended', (e: Ended) => {
      event = e;
    });
    const ended = new Promise<{ event: Ended | undefined; reason: string }>((done) =>
      socket.once('disconnect', (reason) => done({ event, reason })),
    );
    await new Promise((resolve, reject) => {
      socket.once('stats', resolve);
      socket.once('connect_error', reject);
    });
    return { socket, ended };
  };
  const openAfter = async (c: { socket: Socket; ended: Promise<unknown> }, ms: number) =>
    (await Promise.race([c.ended, new Promise((r) => setTimeout(() => r('open'), ms))])) === 'open' &&
    c.socket.connected;

  it('closes the channel of a session that signs out, and leaves the admin’s other sessions open', async () => {
    const laptop = await signIn('watcher@example.com');
    const phone = await signIn('watcher@example.com');
    const onLaptop = await channel(laptop);
    const onPhone = await channel(phone);
    const out = await stack.app.inject({ method: 'DELETE', url: '/admin/api/session', headers: { cookie: laptop } });
    expect(out.statusCode).toBe(200);
    const { event, reason } = await onLaptop.ended;
    expect(event).toMatchObject({ code: 'HERALD_ERR_SIGN_IN_REQUIRED', message: expect.stringMatching(/signed out/) });
    expect(reason).toBe('io server disconnect');
    expect(await openAfter(onPhone, 500)).toBe(true);
  });

  it('closes every channel of an admin who is removed', async () => {
    const owner = await signIn('owner@example.com');
    const leaver = await channel(await signIn('leaver@example.com'));
    const id = (await stack.db.prisma.admin.findUniqueOrThrow({ where: { email: 'leaver@example.com' } })).id;
    const removed = await stack.app.inject({
      method: 'DELETE',
      url: `/admin/api/admins/${id}`,
      headers: { cookie: owner },
    });
    expect(removed.statusCode).toBe(200);
    const { event } = await leaver.ended;
    expect(event?.message).toMatch(/removed/);
  });

  it('closes the channel when its session expires', async () => {
    const cookie = await signIn('owner@example.com');
    const token = cookie.split('=')[1] as string;
    const { createHash } = await import('node:crypto');
    await stack.db.prisma.adminSession.update({
      where: { id: createHash('sha256').update(token).digest('hex') },
      data: { expiresAt: new Date(Date.now() + 1500) },
    });
    const c = await channel(cookie);
    const { event } = await c.ended;
    expect(event?.message).toMatch(/expired/);
  });
});
