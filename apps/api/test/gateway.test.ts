import { createSigner } from 'fast-jwt';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_UNKNOWN_APPS_PER_MINUTE } from '../src/auth/user-tokens.js';
import { localDelivery, resendQueued } from '../src/delivery/socket-channel.js';
import { resendStreams } from '../src/gateway/resend-streams.js';
import {
  createTestDatabase,
  eventually,
  rejected,
  startStack,
  type TestDatabase,
  type TestStack,
  uid,
} from './helpers.js';

describe('socket gateway handshake', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  let secret: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('postgres');
    stack = await startStack(testDb, { worker: false });
    secret = (await stack.db.prisma.app.findUniqueOrThrow({ where: { id: stack.appId } })).jwtSecret;
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  const refused = async (auth: Record<string, unknown> | undefined, query?: Record<string, string>) => {
    const socket: Socket = connectClient(stack.baseUrl, {
      auth,
      query,
      transports: ['websocket'],
      reconnection: false,
    });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve, reject) => {
      socket.once('connect_error', resolve);
      socket.once('connect', () => reject(new Error('connected but should have been refused')));
    });
    socket.disconnect();
    return error;
  };

  it("joins the user room with a valid token, and Herald's delivery to that room reaches only that user, once", async () => {
    const socket = await stack.connectUser('gina');
    const other = await stack.connectUser('hank');
    expect(socket.connected).toBe(true);
    const rooms = await eventually(async () => {
      const sockets = await stack.app.io.in(`user:${stack.appId}:gina`).fetchSockets();
      return sockets.length === 1 ? sockets : undefined;
    });
    expect(rooms[0]?.data).toMatchObject({ appId: stack.appId, userId: 'gina' });
    await new Promise((r) => setTimeout(r, 200)); // both catch-ups on connect are over (nothing to send)
    const got: Array<{ id: string; seq: number; title: string }> = [];
    socket.on('notification', (payload, ack) => {
      got.push(payload);
      ack?.({ ok: true });
    });
    const strayed: unknown[] = [];
    other.on('notification', (payload) => strayed.push(payload));

    // Stored with its delivery row (no worker runs here); then the gateway sends what is queued for
    // the users connected to it, as it does when its deliveries channel comes back.
    const sent = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { userId: 'gina' }, title: 'Through the room' },
    });
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json();
    await stack.db.sql.query(`UPDATE notifications SET status = 'dispatched' WHERE id = $1`, [id]);
    const deliver = localDelivery(stack.app.io, stack.app.recorder, 2000);
    expect(await resendQueued(stack.app.io, stack.db.sql, deliver, 60_000)).toBe(1);
    await eventually(async () => got.length === 1);
    expect(got[0]).toMatchObject({ id, title: 'Through the room', seq: 1 });
    await eventually(async () => {
      await stack.app.recorder.flush();
      const row = await stack.db.prisma.delivery.findFirst({ where: { notificationId: id } });
      return row?.status === 'delivered';
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toHaveLength(1);
    expect(strayed).toEqual([]);
    socket.disconnect();
    other.disconnect();
  });

  it('sends again a topic send that went out while the deliveries channel was down, until a device has it', async () => {
    const topic = `resend-${Date.now()}`;
    await stack.app.inject({
      method: 'PUT',
      url: `/v1/topics/${topic}/subscribers`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { userIds: ['rita'] },
    });
    const socket = await stack.connectUser('rita');
    const got: Array<{ id: string; stream?: { name: string } }> = [];
    socket.on('notification', (n, ack) => {
      got.push(n);
      ack({ ok: true });
    });
    await new Promise((r) => setTimeout(r, 200)); // catch-up on connect is over
    // Accepted with no worker running: stored in the topic's stream, never emitted.
    const sent = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { to: { topic }, title: 'Missed while the channel was down' },
    });
    const { id } = sent.json();
    await stack.db.sql.query(`UPDATE notifications SET status = 'dispatched' WHERE id = $1`, [id]);
    const acks = { recorder: stack.app.recorder, ackTimeoutMs: 2000 };
    expect(await resendStreams(stack.app.io, stack.db.sql, acks, 60_000)).toBe(1);
    await eventually(async () => got.length === 1);
    expect(got[0]).toMatchObject({ id, stream: { name: topic } });
    // Its receipt written, nothing is sent again.
    await eventually(async () => {
      await stack.app.recorder.flush();
      return (await stack.db.prisma.delivery.count({ where: { notificationId: id } })) === 1;
    });
    expect(await resendStreams(stack.app.io, stack.db.sql, acks, 60_000)).toBe(0);
    socket.disconnect();
  });

  it('answers a request sent with a callback and no payload (as if empty) or two payloads (the first counts)', async () => {
    const socket = await stack.connectUser('ivy');
    const ask = (event: string) =>
      new Promise((resolve) =>
        (socket as unknown as { emit(e: string, cb: (r: unknown) => void): void }).emit(event, resolve),
      );
    expect(await ask('push:key')).toMatchObject({ ok: true, publicKey: expect.any(String) });
    expect(await ask('inbox:unread')).toMatchObject({ ok: true });
    expect(await ask('push:unsubscribe')).toMatchObject({ ok: false, code: 'HERALD_ERR_VALIDATION' });
    // Two payloads: the first counts, and the callback is answered.
    const twice = await new Promise((resolve) =>
      (socket as unknown as { emit(e: string, a: object, b: object, cb: (r: unknown) => void): void }).emit(
        'push:key',
        {},
        {},
        resolve,
      ),
    );
    expect(twice).toMatchObject({ ok: true, publicKey: expect.any(String) });
    socket.disconnect();
  });

  it('refuses a payload that is not an object, saying what the event takes, and still answers the next request', async () => {
    const socket = await stack.connectUser('ivo');
    const ask = (event: string, payload: unknown) =>
      new Promise<{ ok: boolean; code?: string; message?: string }>((resolve) =>
        (socket as unknown as { emit(e: string, p: unknown, cb: (r: never) => void): void }).emit(
          event,
          payload,
          resolve,
        ),
      );
    for (const [event, payload, kind] of [
      ['inbox:list', 'x'.repeat(60_000), 'a string'],
      ['inbox:unread', 42, 'a number'],
      ['sync', [1, 2, 3], 'an array'],
      ['topics:list', true, 'a boolean'],
      ['preferences:get', 'all', 'a string'],
    ] as const) {
      expect(await ask(event, payload), event).toEqual({
        ok: false,
        code: 'HERALD_ERR_VALIDATION',
        message: `"${event}" takes an object (or nothing), not ${kind}.`,
      });
    }
    // Null, like no payload at all, is an empty request.
    expect(await ask('inbox:unread', null)).toMatchObject({ ok: true, unread: 0 });
    expect(await ask('sync', {})).toMatchObject({ ok: true });
    socket.disconnect();
  });

  it('refuses a handshake without a token, saying how to pass one', async () => {
    const error = await refused(undefined);
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_MISSING');
    expect(error.message).toMatch(/auth: \{ token/);
  });

  it('ignores a token passed in the query string', async () => {
    const token = await stack.token('henry');
    const error = await refused(undefined, { token });
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_MISSING');
  });

  it('refuses a malformed token', async () => {
    const error = await refused({ token: 'not-a-jwt' });
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_INVALID');
  });

  it('refuses a token signed with another secret', async () => {
    const sign = createSigner({ key: 'x'.repeat(40), algorithm: 'HS256' });
    const token = sign({ sub: 'ivan', aud: stack.appId, exp: Math.floor(Date.now() / 1000) + 60 });
    const error = await refused({ token });
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/signature/);
  });

  it('refuses an expired token', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const token = sign({ sub: 'judy', aud: stack.appId, exp: Math.floor(Date.now() / 1000) - 10 });
    const error = await refused({ token });
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_EXPIRED');
    expect(error.message).toMatch(/expired/i);
  });

  it('refuses a token without exp', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const error = await refused({ token: sign({ sub: 'kim', aud: stack.appId }) });
    expect(error.data?.code).toBe('HERALD_ERR_TOKEN_INVALID');
    expect(error.message).toBe(
      'Invalid token: it has no "exp" claim (every token needs "sub", the user id, and "exp", when it expires).',
    );
  });

  it('refuses a token for an app that does not exist', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const token = sign({ sub: 'leo', aud: 'no-such-app', exp: Math.floor(Date.now() / 1000) + 60 });
    const error = await refused({ token });
    expect(error.data?.code).toBe('HERALD_ERR_APP_UNKNOWN');
  });

  it('accepts a token the integrator signed with the app secret, without aud', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const token = sign({ sub: 'mia', exp: Math.floor(Date.now() / 1000) + 60 });
    const socket = await stack.connectUser('mia', { token });
    expect(socket.connected).toBe(true);
    socket.disconnect();
  });

  it('closes the socket when its token expires', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const token = sign({ sub: 'nina', aud: stack.appId, exp: Math.floor(Date.now() / 1000) + 2 });
    const socket = await stack.connectUser('nina', { token });
    expect(socket.connected).toBe(true);
    const reason = await new Promise((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  });

  it('refuses a wrong app id presented again and again as unknown, with one lookup, spending none of the budget', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const lookups = vi.spyOn(stack.db.prisma.app, 'findUnique');
    try {
      // More handshakes than the budget allows made-up apps: a page with a wrong app id, reloaded.
      const aud = `wrong-id-${uid()}`;
      for (let i = 0; i <= MAX_UNKNOWN_APPS_PER_MINUTE + 5; i++) {
        const token = sign({ sub: 'x', aud, exp: Math.floor(Date.now() / 1000) + 60 });
        expect((await refused({ token })).data?.code).toBe('HERALD_ERR_APP_UNKNOWN');
      }
      // One lookup, then the node remembers the id is missing (for a few seconds: one more then).
      expect(lookups.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      lookups.mockRestore();
    }
  });

  // Last in this block: it spends the test address's budget of unknown app ids.
  it('looks up made-up apps up to a budget per address, then refuses without a lookup; a real app still connects from there', async () => {
    const sign = createSigner({ key: secret, algorithm: 'HS256' });
    const token = (aud: string) => sign({ sub: 'x', aud, exp: Math.floor(Date.now() / 1000) + 60 });
    const forged = () => token(`made-up-${uid()}`);
    let lookedUp = '';
    const lookups = vi.spyOn(stack.db.prisma.app, 'findUnique');
    try {
      // Made-up apps until the budget says no (earlier tests of this block may have spent one or two).
      let unknown = 0;
      let over: Awaited<ReturnType<typeof refused>> | undefined;
      while (!over && unknown <= MAX_UNKNOWN_APPS_PER_MINUTE) {
        const aud = `made-up-${uid()}`;
        const error = await refused({ token: token(aud) });
        if (error.data?.code === 'HERALD_ERR_APP_UNKNOWN') {
          unknown++;
          lookedUp = aud;
        } else over = error;
      }
      expect(unknown).toBeGreaterThanOrEqual(MAX_UNKNOWN_APPS_PER_MINUTE - 3);
      expect(unknown).toBeLessThanOrEqual(MAX_UNKNOWN_APPS_PER_MINUTE);
      expect(lookups).toHaveBeenCalledTimes(unknown);
      expect(over?.data).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED', retryAfterMs: expect.any(Number) });
      expect(over?.message).toMatch(/apps that do not exist/);
      expect((await refused({ token: forged() })).data?.code).toBe('HERALD_ERR_RATE_LIMITED');
      expect(lookups).toHaveBeenCalledTimes(unknown);
      expect(await rejected(stack, 'app-id')).toBe(2);
      // An id this node just found missing is still answered as unknown, without a lookup.
      const again = token(lookedUp);
      expect((await refused({ token: again })).data?.code).toBe('HERALD_ERR_APP_UNKNOWN');
      expect(lookups).toHaveBeenCalledTimes(unknown);
    } finally {
      lookups.mockRestore();
    }
    const socket = await stack.connectUser('real-user');
    expect(socket.connected).toBe(true);
    socket.disconnect();
  });
});
