import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import type { NotificationPayload, PushMessage, PushSubscribeReply } from '@herald/protocol';
import { type MockSubscription, type PushService, REDIS_URL, startPushService } from '@herald/test-support';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import webPush from 'web-push';
import { checkEndpoint, endpointShapeProblem, hostListed, isPublicAddress } from '../src/delivery/push/endpoint.js';
import { buildMessage, MAX_PLAINTEXT, navigateTo, pushTopic } from '../src/delivery/push/message.js';
import { signReceipt, signRenew } from '../src/delivery/push/receipts.js';
import { classify, forgetSlowHosts, retryAfter, sendPush, vapidAuthorization } from '../src/delivery/push/sender.js';
import { BROWSER_PUSH_SERVICES } from '../src/platform/config/index.js';
import { createPushQueue } from '../src/queue/push-jobs.js';
import { createTestDatabase, eventually, startStack, type TestDatabase, type TestStack, uid } from './helpers.js';

/**
 * Web Push (issue 13), server side: endpoints Herald refuses to post to, the message and its
 * trimming, how a push service's answers are read, and end to end against a local push service
 * (web-push-testing: it checks the VAPID JWT against the subscription's key and decrypts the
 * aes128gcm body) — registration over the user's socket, the socket-first rule per browser,
 * receipts, a subscription the push service says is gone, key rotation and renewal.
 */
describe('push endpoints (no SSRF through push)', () => {
  const strict = { allowPrivate: false };

  it('takes only public https URLs without credentials', async () => {
    expect(endpointShapeProblem('https://fcm.googleapis.com/fcm/send/abc', strict)).toBeUndefined();
    expect(endpointShapeProblem('http://push.example.com/x', strict)).toBe('a push endpoint must be an https:// URL');
    expect(endpointShapeProblem('not a url', strict)).toBe('the push endpoint is not a URL');
    expect(endpointShapeProblem('https://user:pw@push.example.com/x', strict)).toBe(
      'a push endpoint must not carry credentials',
    );
    expect(endpointShapeProblem(`https://push.example.com/${'x'.repeat(2100)}`, strict)).toMatch(/at most 2048/);
    for (const host of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '169.254.169.254', '[::1]', '[fd00::1]', '0.0.0.0']) {
      expect(endpointShapeProblem(`https://${host}/x`, strict), host).toMatch(/must be on a public address/);
    }
  });

  it('posts only to the push services the operator lists, when it lists them (HERALD_PUSH_HOSTS)', async () => {
    const listed = { allowPrivate: false, hosts: ['fcm.googleapis.com', '*.push.services.mozilla.com'] };
    expect(endpointShapeProblem('https://fcm.googleapis.com/fcm/send/abc', listed)).toBeUndefined();
    expect(endpointShapeProblem('https://FCM.googleapis.com./fcm/send/abc', listed)).toBeUndefined();
    expect(endpointShapeProblem('https://updates.push.services.mozilla.com/wpush/v2/x', listed)).toBeUndefined();
    for (const host of ['push.services.mozilla.com', 'evilfcm.googleapis.com', 'fcm.googleapis.com.evil.example']) {
      expect(endpointShapeProblem(`https://${host}/x`, listed), host).toBe(
        `this server posts only to the push services it lists (HERALD_PUSH_HOSTS), not to ${host}`,
      );
    }
    expect(hostListed('web.push.apple.com', [])).toBe(false);
    // The default list: the browsers' push services; a test push service on this machine passes
    // only where private addresses are allowed.
    const browsers = { allowPrivate: false, hosts: BROWSER_PUSH_SERVICES };
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/abc',
      'https://updates.push.services.mozilla.com/wpush/v2/x',
      'https://wns2-by3p.notify.windows.com/w/?token=x',
      'https://web.push.apple.com/QGx',
    ]) {
      expect(endpointShapeProblem(endpoint, browsers), endpoint).toBeUndefined();
    }
    expect(endpointShapeProblem('https://push.example.com/x', browsers)).toMatch(
      /posts only to the push services it lists/,
    );
    expect(endpointShapeProblem('http://localhost:9/x', { ...browsers, allowPrivate: true })).toBeUndefined();
    expect(endpointShapeProblem('http://127.0.0.1:9/x', { ...browsers, allowPrivate: true })).toBeUndefined();
    expect(endpointShapeProblem('https://push.example.com/x', { ...browsers, allowPrivate: true })).toMatch(
      /posts only to the push services it lists/,
    );
    expect(endpointShapeProblem('https://web.push.apple.com/x', { allowPrivate: false, hosts: [] })).toBeUndefined();
    // A subscription registered before the list: refused at the post, never sent.
    const refused = await sendPush(
      { endpoint: 'https://web.push.apple.com/x', keys: { p256dh: 'unused', auth: 'unused' } },
      'hello',
      {
        vapid: { publicKey: 'unused', privateKey: 'unused' },
        subject: 'mailto:ops@example.com',
        ttlSeconds: 60,
        urgency: 'normal',
      },
      listed,
    );
    expect(refused).toEqual({
      status: 0,
      refused: true,
      detail: 'this server posts only to the push services it lists (HERALD_PUSH_HOSTS), not to web.push.apple.com',
    });
    expect(classify(refused, false)).toEqual({ outcome: 'failed' });
  });

  it('refuses at the post a private address registered while private addresses were allowed, and connects to none', async () => {
    // A listener where such an endpoint points: nothing may reach it.
    let connections = 0;
    const listener = createTcpServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    try {
      for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '10.1.2.3', '169.254.169.254']) {
        const res = await sendPush(
          { endpoint: `https://${host}:${port}/x`, keys: { p256dh: 'unused', auth: 'unused' } },
          'hello',
          {
            vapid: { publicKey: 'unused', privateKey: 'unused' },
            subject: 'mailto:ops@example.com',
            ttlSeconds: 60,
            urgency: 'normal',
          },
          { allowPrivate: false, hosts: [] },
        );
        expect(res, host).toMatchObject({ status: 0, refused: true, detail: expect.stringMatching(/public address/) });
      }
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });

  it('looks at what a name resolves to, and lets a test push service through only when allowed', async () => {
    expect(await checkEndpoint('https://localhost:9/x', strict)).toEqual({
      ok: false,
      reason: "the push endpoint's host localhost resolves to a non-public address",
    });
    expect((await checkEndpoint('http://localhost:9/x', { allowPrivate: true })).ok).toBe(true);
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('::ffff:127.0.0.1')).toBe(false);
    expect(isPublicAddress('100.64.0.1')).toBe(false);
    expect(isPublicAddress('::7f00:1')).toBe(false); // IPv4-compatible ::127.0.0.1
    expect(endpointShapeProblem('https://[::127.0.0.1]/x', strict)).toMatch(/must be on a public address/);
  });
});

describe('the push message', () => {
  const n = {
    id: '0b7c8f5e-1111-4222-8333-444455556666',
    title: 'Build finished',
    body: 'main is green',
    icon: null,
    url: '/builds/42',
    tag: null,
    data: { build: 42 },
    createdAt: new Date(1_764_600_000_000),
  };
  const opts = {
    origin: 'https://app.example.com',
    receipt: 'r.e.c',
    receipts: 'https://herald.example.com/push/receipts',
  };

  it('is Declarative Web Push, with Herald part in notification.data', () => {
    const built = buildMessage(n, opts);
    expect(built.trimmed).toEqual([]);
    expect(JSON.parse(built.body)).toEqual({
      web_push: 8030,
      notification: {
        title: 'Build finished',
        body: 'main is green',
        navigate: 'https://app.example.com/builds/42',
        tag: n.id,
        timestamp: 1_764_600_000_000,
        data: { herald: { id: n.id, receipt: 'r.e.c', receipts: opts.receipts, data: { build: 42 } } },
      },
    } satisfies PushMessage);
  });

  it('fits 4 KB once encrypted: the data goes first, then the body is cut, and it says so', () => {
    const big = buildMessage({ ...n, data: { blob: 'x'.repeat(5000) } }, opts);
    expect(big.trimmed).toEqual(['data']);
    expect(Buffer.byteLength(big.body)).toBeLessThanOrEqual(MAX_PLAINTEXT);
    const long = buildMessage({ ...n, body: '"é"\n'.repeat(3000), data: { blob: 'x'.repeat(5000) } }, opts);
    expect(long.trimmed).toEqual(['data', 'body']);
    expect(Buffer.byteLength(long.body)).toBeLessThanOrEqual(MAX_PLAINTEXT);
    const parsed = JSON.parse(long.body) as PushMessage;
    expect(parsed.notification.body?.endsWith('…')).toBe(true);
    expect(parsed.notification.data.herald.trimmed).toEqual(['data', 'body']);
    expect(MAX_PLAINTEXT).toBe(4096 - 86 - 16 - 1);
  });

  it('goes to the url, absolute against where the browser subscribed, else that origin', () => {
    expect(navigateTo('https://other.example.com/x', 'https://app.example.com')).toBe('https://other.example.com/x');
    expect(navigateTo(null, 'https://app.example.com')).toBe('https://app.example.com/');
    expect(navigateTo('javascript:alert(1)', 'https://app.example.com')).toBe('https://app.example.com/');
  });

  it('has a Topic header of at most 32 URL-safe characters', () => {
    expect(pushTopic('build-42')).toBe('build-42');
    expect(pushTopic('a tag with spaces and more than thirty-two characters')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pushTopic(null)).toBeUndefined();
  });
});

describe('one post to a push service', () => {
  it('takes at most its deadline, whatever the push service does, and does not wait for a body after a 2xx', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((req, res) => {
      req.resume();
      if (req.url === '/silent') return; // never answers
      res.writeHead(req.url === '/trickle-refusal' ? 500 : 201, { 'content-type': 'text/plain' });
      res.write('x'); // then one byte every 100 ms, for ever
      const drip = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(drip));
    });
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const keys = webPush.generateVAPIDKeys();
    // A browser's keys: a real P-256 point (the message is encrypted for it) and a 16-byte secret.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const browserKeys = {
      p256dh: ecdh.getPublicKey().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    };
    const post = async (path: string) => {
      const started = Date.now();
      const res = await sendPush(
        { endpoint: `${base}${path}`, keys: browserKeys },
        'hello',
        { vapid: keys, subject: 'mailto:ops@example.com', ttlSeconds: 60, urgency: 'normal', timeoutMs: 800 },
        { allowPrivate: true },
      );
      return { res, ms: Date.now() - started };
    };
    try {
      const accepted = await post('/trickle-accepted');
      expect(accepted.res.status).toBe(201);
      expect(accepted.ms).toBeLessThan(700);
      const silent = await post('/silent');
      expect(silent.res).toEqual({ status: 0, detail: 'the push service did not answer within 0.8 s' });
      expect(silent.ms).toBeGreaterThanOrEqual(750);
      expect(silent.ms).toBeLessThan(2000);
      const refusal = await post('/trickle-refusal');
      expect(refusal.res.status).toBe(500);
      expect(refusal.ms).toBeLessThan(2000);
      // Every connection is closed by the deadline at the latest: nothing trickles on.
      await eventually(async () => [...sockets].every((socket) => socket.destroyed), 3000);
      // Two deadlines missed so far (the silence, the trickling refusal); a third, and the host
      // is left alone for a minute: no connection, answered at once, to be retried after that.
      await post('/silent');
      const connections = sockets.size;
      const cooled = await post('/trickle-accepted');
      expect(cooled.ms).toBeLessThan(100);
      expect(cooled.res).toMatchObject({
        status: 0,
        deferred: true,
        detail: expect.stringMatching(
          /^127\.0\.0\.1:\d+ did not answer in time 3 times running: not posted to before /,
        ),
      });
      expect(cooled.res.retryAfterMs).toBeGreaterThan(55_000);
      expect(classify(cooled.res, false)).toEqual({ outcome: 'retry' });
      expect(sockets.size).toBe(connections);
    } finally {
      forgetSlowHosts();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('VAPID (RFC 8292)', () => {
  it('signs one JWT per key, push service and subject, valid 12 hours, and signs again before it runs out', () => {
    const keys = webPush.generateVAPIDKeys();
    const other = webPush.generateVAPIDKeys();
    const now = Date.parse('2026-12-01T10:00:00Z');
    const auth = (endpoint: string, k = keys, at = now) =>
      vapidAuthorization(endpoint, k, 'mailto:ops@example.com', at);
    const first = auth('https://fcm.googleapis.com/fcm/send/a');
    const [, jwt = '', k] = first.match(/^vapid t=([^,]+), k=(.+)$/) ?? [];
    expect(k).toBe(keys.publicKey);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    expect(claims).toEqual({
      aud: 'https://fcm.googleapis.com',
      exp: now / 1000 + 12 * 3600,
      sub: 'mailto:ops@example.com',
    });
    // Another browser at the same push service: the same header, no new signature.
    expect(auth('https://fcm.googleapis.com/fcm/send/b', keys, now + 3600_000)).toBe(first);
    expect(auth('https://updates.push.services.mozilla.com/wpush/v2/x')).not.toBe(first);
    expect(auth('https://fcm.googleapis.com/fcm/send/a', other)).not.toBe(first);
    // Eleven hours on, a fresh one (never one that runs out while a push is on its way).
    expect(auth('https://fcm.googleapis.com/fcm/send/a', keys, now + 11 * 3600_000)).not.toBe(first);
  });
});

describe("the push service's answers", () => {
  it('are read as the contract says', () => {
    expect(classify({ status: 201 }, false)).toEqual({ outcome: 'sent' });
    expect(classify({ status: 404 }, false)).toEqual({ outcome: 'gone' });
    expect(classify({ status: 410 }, false)).toEqual({ outcome: 'gone' });
    expect(classify({ status: 413 }, false)).toEqual({ outcome: 'too-big' });
    expect(classify({ status: 429, retryAfterMs: 30_000 }, false)).toEqual({ outcome: 'retry', afterMs: 30_000 });
    expect(classify({ status: 503 }, false)).toEqual({ outcome: 'retry' });
    expect(classify({ status: 0, detail: 'ECONNRESET' }, false)).toEqual({ outcome: 'retry' });
    expect(classify({ status: 403 }, false)).toEqual({ outcome: 'resubscribe' });
    expect(classify({ status: 400 }, true)).toEqual({ outcome: 'resubscribe' });
    expect(classify({ status: 400 }, false)).toEqual({ outcome: 'failed' });
    expect(classify({ status: 0, refused: true }, false)).toEqual({ outcome: 'failed' });
    expect(retryAfter('120')).toBe(120_000);
    expect(retryAfter(new Date(Date.now() + 60_000).toUTCString())).toBeGreaterThan(55_000);
    expect(retryAfter('soon')).toBeUndefined();
  });
});

/** A stack with a local push service, and what its tests do with it: send, open a tab, subscribe a browser. */
interface PushCtx {
  stack: TestStack;
  service: PushService;
}

function pushHelpers(ctx: PushCtx) {
  const send = async (payload: object) => {
    const res = await ctx.stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${ctx.stack.apiKey}` },
      payload,
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json() as { id: string };
  };
  const emit = <T>(socket: Socket, event: string, body: object) =>
    socket.timeout(5000).emitWithAck(event, body) as Promise<T>;

  /** A browser tab of `userId`: a socket that acks every notification. */
  async function tab(userId: string) {
    const socket = connectClient(ctx.stack.baseUrl, {
      auth: { token: await ctx.stack.token(userId) },
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: { origin: 'http://app.localhost:8080' },
    });
    const got: NotificationPayload[] = [];
    socket.on('notification', (n: NotificationPayload, ack: (r: { ok: true }) => void) => {
      got.push(n);
      ack({ ok: true });
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return { socket, got };
  }

  /** A browser of `userId` subscribed at the push service and registered with Herald over a tab's socket. */
  async function browser(userId: string, socket?: Socket) {
    const own = socket ?? (await tab(userId)).socket;
    const key = await emit<{ ok: true; publicKey: string }>(own, 'push:key', {});
    expect(key.ok).toBe(true);
    const sub = await ctx.service.subscribe(key.publicKey);
    const reply = await emit<PushSubscribeReply>(own, 'push:subscribe', {
      endpoint: sub.endpoint,
      keys: sub.keys,
      publicKey: key.publicKey,
    });
    expect(reply).toMatchObject({ ok: true, subscription: { status: 'active' } });
    if (!socket) own.disconnect();
    return { sub, id: reply.subscription.id, renew: reply.renew, publicKey: key.publicKey };
  }

  const messages = async (sub: MockSubscription) =>
    (await ctx.service.messages(sub.clientHash)).map((m) => JSON.parse(m) as PushMessage);
  const pushRow = (notificationId: string, subscriptionId: string) =>
    ctx.stack.db.prisma.pushDelivery.findUnique({
      where: { notificationId_subscriptionId: { notificationId, subscriptionId } },
    });

  return { send, emit, tab, browser, messages, pushRow };
}

describe('Web Push end to end, against a local push service', () => {
  let testDb: TestDatabase;
  let stack: TestStack;
  let service: PushService;

  const ctx = {} as PushCtx;
  beforeAll(async () => {
    ctx.service = service = await startPushService();
    testDb = await createTestDatabase('postgres');
    ctx.stack = stack = await startStack(testDb, {
      env: { HERALD_PUSH_ALLOW_PRIVATE: 'true', HERALD_PUSH_WINDOW_MS: '300' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
    await service?.close();
  });

  const { send, emit, tab, browser, messages, pushRow } = pushHelpers(ctx);

  it('pushes to a browser with no tab open: VAPID checked, decrypted, the exact message', async () => {
    const user = uid('u-');
    const b = await browser(user);
    const { id } = await send({ to: { userId: user }, title: 'Build finished', body: 'main is green', url: '/b/1' });
    const [message] = await eventually(async () => {
      const got = await messages(b.sub);
      return got.length > 0 ? got : undefined;
    });
    expect(message).toMatchObject({
      web_push: 8030,
      notification: {
        title: 'Build finished',
        body: 'main is green',
        navigate: 'http://app.localhost:8080/b/1',
        tag: id,
        data: { herald: { id, receipts: `${stack.baseUrl}/push/receipts` } },
      },
    });
    const row = await eventually(async () => {
      const r = await pushRow(id, b.id);
      return r?.status === 'sent' ? r : undefined;
    });
    expect(row.attempts).toEqual([expect.objectContaining({ status: 201, outcome: 'sent' })]);

    // The service worker reports it shown, then clicked: the user's delivery moves forward.
    const receipt = message?.notification.data.herald.receipt as string;
    for (const event of ['displayed', 'clicked']) {
      const res = await stack.app.inject({ method: 'POST', url: '/push/receipts', payload: { receipt, event } });
      expect(res.statusCode, res.body).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }
    await eventually(async () => {
      const d = await stack.db.prisma.delivery.findFirst({ where: { notificationId: id } });
      return d?.status === 'clicked' ? d : undefined;
    });
    expect((await pushRow(id, b.id))?.clickedAt).toBeInstanceOf(Date);

    // The funnel in the API: by browser, and each attempt on the recipient's timeline.
    const auth = { authorization: `Bearer ${stack.apiKey}` };
    const detail = await stack.app.inject({ method: 'GET', url: `/v1/notifications/${id}`, headers: auth });
    expect(detail.json().push).toEqual({
      socket: 0,
      posted: 1,
      skipped: 0,
      accepted: 1,
      displayed: 1,
      clicked: 1,
      failed: 0,
    });
    const recipients = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${id}/recipients`,
      headers: auth,
    });
    expect(recipients.json().items[0].push).toEqual([
      expect.objectContaining({
        browser: b.id,
        status: 'sent',
        attempts: [expect.objectContaining({ status: 201, outcome: 'sent' })],
        trimmed: [],
        sentAt: expect.any(String),
        displayedAt: expect.any(String),
        clickedAt: expect.any(String),
      }),
    ]);

    const forged = await stack.app.inject({
      method: 'POST',
      url: '/push/receipts',
      payload: { receipt: `${receipt.slice(0, -4)}AAAA`, event: 'displayed' },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'HERALD_ERR_RECEIPT_INVALID' });
    // Signed with the app's secret, but not a receipt Herald makes (a notification id that is no id).
    const { jwtSecret } = await stack.db.prisma.app.findUniqueOrThrow({ where: { id: stack.appId } });
    for (const n of ['not-a-uuid', 5]) {
      const odd = signReceipt({ n: n as string, s: b.id, a: stack.appId }, jwtSecret, null);
      const res = await stack.app.inject({
        method: 'POST',
        url: '/push/receipts',
        payload: { receipt: odd, event: 'displayed' },
      });
      expect([res.statusCode, res.json().code]).toEqual([400, 'HERALD_ERR_RECEIPT_INVALID']);
    }
    // Nor one naming a browser by text PostgreSQL cannot store (was a 500).
    const nul = signReceipt({ n: id, s: '\u0000', a: stack.appId }, jwtSecret, null);
    const refused = await stack.app.inject({
      method: 'POST',
      url: '/push/receipts',
      payload: { receipt: nul, event: 'displayed' },
    });
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'HERALD_ERR_RECEIPT_INVALID']);
    // Nor one naming an app by such text: its app is looked up before its signature is checked (was a 500).
    for (const a of ['\u0000', '\ud800', 'x'.repeat(65)]) {
      const odd = signReceipt({ n: id, s: '\u0000', a }, 'any secret at all, 32 characters long', null);
      const res = await stack.app.inject({
        method: 'POST',
        url: '/push/receipts',
        payload: { receipt: odd, event: 'displayed' },
      });
      expect([res.statusCode, res.json().code]).toEqual([400, 'HERALD_ERR_RECEIPT_INVALID']);
    }
    const renewed = await stack.app.inject({
      method: 'POST',
      url: '/push/renew',
      payload: {
        renew: signRenew({ r: '\u0000', a: stack.appId }, jwtSecret),
        subscription: { endpoint: b.sub.endpoint, keys: b.sub.keys },
      },
    });
    expect([renewed.statusCode, renewed.json().code]).toEqual([400, 'HERALD_ERR_RENEW_INVALID']);
  });

  it('sends no push to a browser one of whose tabs acknowledged it, and one to its other browser', async () => {
    const user = uid('u-');
    const open = await tab(user);
    const laptop = await browser(user, open.socket);
    const phone = await browser(user);
    const { id } = await send({ to: { userId: user }, title: 'Socket first' });
    await eventually(() => open.got.some((n) => n.id === id));
    await eventually(async () => (await pushRow(id, phone.id))?.status === 'sent');
    expect((await messages(phone.sub)).map((m) => m.notification.data.herald.id)).toEqual([id]);
    expect(await messages(laptop.sub)).toEqual([]);
    expect((await pushRow(id, laptop.id))?.status).toBe('socket');
    open.socket.disconnect();
  });

  it('spares a browser whose tab acked the notification just before registering it (catch-up on connect comes first)', async () => {
    const user = uid('u-');
    const b = await browser(user);
    const { id } = await send({ to: { userId: user }, title: 'Acked, then registered' });
    // A tab of that browser opens within the window: catch-up hands it over and it is acked before
    // the SDK's connect-time push:subscribe is answered.
    const open = await tab(user);
    await eventually(() => open.got.some((n) => n.id === id));
    const again = await emit<PushSubscribeReply>(open.socket, 'push:subscribe', {
      endpoint: b.sub.endpoint,
      keys: b.sub.keys,
      publicKey: b.publicKey,
    });
    expect(again).toMatchObject({ ok: true, subscription: { id: b.id } });
    await eventually(async () => (await pushRow(id, b.id))?.status === 'socket');
    await new Promise((r) => setTimeout(r, 800));
    expect((await pushRow(id, b.id))?.status).toBe('socket');
    expect(await messages(b.sub)).toEqual([]);
    open.socket.disconnect();
  });

  it('pushes topic sends and broadcasts to members whose browsers had no tab open', async () => {
    const user = uid('u-');
    const b = await browser(user);
    // Another member, whose only browser's subscription the push service has let go (410).
    const gone = uid('u-');
    const g = await browser(gone);
    await service.expire(g.sub.clientHash);
    const topic = `push-${uid()}`;
    const res = await stack.app.inject({
      method: 'PUT',
      url: `/v1/topics/${topic}/subscribers`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { userIds: [user, gone] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const { id } = await send({ to: { topic }, title: 'To the topic' });
    await eventually(async () => (await messages(b.sub)).some((m) => m.notification.data.herald.id === id));
    // A topic send writes no row per member; the member pushed to is on the recipient list all the same.
    const listed = await eventually(async () => {
      const res = await stack.app.inject({
        method: 'GET',
        url: `/v1/notifications/${id}/recipients`,
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      const items = res.json().items as Array<{ userId: string; push: Array<{ status: string }> }>;
      return items.find((r) => r.userId === user && r.push[0]?.status === 'sent');
    });
    expect(listed).toMatchObject({
      userId: user,
      seq: null,
      status: 'sent',
      deliveredAt: null,
      push: [{ browser: b.id, status: 'sent', attempts: [expect.objectContaining({ status: 201, outcome: 'sent' })] }],
    });
    const failed = await eventually(async () => {
      const res = await stack.app.inject({
        method: 'GET',
        url: `/v1/notifications/${id}/recipients?status=failed`,
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      return (res.json().items as Array<{ userId: string }>).find((r) => r.userId === gone);
    });
    expect(failed).toMatchObject({
      status: 'failed',
      reason: 'every push to their browsers failed',
      sentAt: null,
      failedAt: expect.any(String),
      push: [{ browser: g.id, status: 'gone', attempts: [expect.objectContaining({ status: 410, outcome: 'gone' })] }],
    });
    const filtered = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${id}/recipients?status=delivered`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(filtered.json().items).toEqual([]);
  });

  it('judges a send to several topics by the first of them the member is in', async () => {
    const user = uid('u-');
    const b = await browser(user);
    const [first, second] = [`t1-${uid()}`, `t2-${uid()}`];
    const put = (topic: string, userIds: string[]) =>
      stack.app.inject({
        method: 'PUT',
        url: `/v1/topics/${topic}/subscribers`,
        headers: { authorization: `Bearer ${stack.apiKey}` },
        payload: { userIds },
      });
    expect((await put(first, [uid('other-')])).statusCode).toBe(200);
    expect((await put(second, [user])).statusCode).toBe(200);
    const prefs = await stack.app.inject({
      method: 'PATCH',
      url: `/v1/users/${user}/preferences`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { topics: { [second]: 'off' } },
    });
    expect(prefs.statusCode, prefs.body).toBe(200);
    const { id } = await send({ to: { topics: [first, second] }, title: 'Through the second topic' });
    const row = await eventually(async () => {
      const r = await pushRow(id, b.id);
      return r?.status === 'skipped' ? r : undefined;
    });
    expect(row.attempts).toEqual([
      expect.objectContaining({ outcome: 'skipped', detail: `topic "${second}" is off (the user's choice)` }),
    ]);
    expect(await messages(b.sub)).toEqual([]);
  });

  it("posts nothing the user's preferences keep from popping up, and says why on the timeline", async () => {
    const user = uid('u-');
    const b = await browser(user);
    const key = `digest-${uid()}`;
    const put = await stack.app.inject({
      method: 'PUT',
      url: `/v1/categories/${key}`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload: { defaultMode: 'inbox' },
    });
    expect(put.statusCode, put.body).toBe(200);
    const { id } = await send({ to: { userId: user }, title: 'Weekly digest', category: key });
    const row = await eventually(async () => {
      const r = await pushRow(id, b.id);
      return r?.status === 'skipped' ? r : undefined;
    });
    expect(row.attempts).toEqual([
      expect.objectContaining({ outcome: 'skipped', detail: `category "${key}" is inbox (its default)` }),
    ]);
    expect(await messages(b.sub)).toEqual([]);
    const detail = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${id}`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(detail.json().push).toMatchObject({ posted: 0, skipped: 1, failed: 0 });
  });

  it('takes over a claim whose job died before posting, and looks again later at a claim still in flight', async () => {
    const user = uid('u-');
    const b = await browser(user);
    const subscriber = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { externalId: user } });
    // A worker killed between claiming this browser and posting to it, three minutes ago.
    const claim = (id: string, ageSeconds: number) =>
      stack.db.sql.query(
        `INSERT INTO push_deliveries (notification_id, subscription_id, app_id, subscriber_id, status, created_at)
         VALUES ($1::uuid, $2, $3, $4, 'pending', now() - make_interval(secs => $5))`,
        [id, b.id, stack.appId, subscriber.id, ageSeconds],
      );
    const { id } = await send({ to: { userId: user }, title: 'Orphaned claim' });
    await claim(id, 180);
    await eventually(async () => (await messages(b.sub)).some((m) => m.notification.data.herald.id === id));
    // The push service has the message before the job writes its answer down.
    await eventually(async () => (await pushRow(id, b.id))?.status === 'sent');

    // A claim just made (another job posting right now): not posted twice, checked again later.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createPushQueue(redis, stack.config.queuePrefix);
    try {
      const { id: busy } = await send({ to: { userId: user }, title: 'Claimed elsewhere' });
      await claim(busy, 0);
      const later = await eventually(async () => {
        const jobs = await queue.getDelayed();
        return jobs.find(
          (j) =>
            j.name === 'push-check' &&
            (j.opts.delay ?? 0) > 60_000 &&
            (j.data as { notificationIds: string[] }).notificationIds.includes(busy),
        );
      });
      expect(later.opts.delay).toBeGreaterThanOrEqual(120_000);
      expect((await messages(b.sub)).some((m) => m.notification.data.herald.id === busy)).toBe(false);
    } finally {
      await queue.close();
      await redis.quit();
    }
  });

  it('keeps dispatching to sockets while every push slot waits on a push service that never answers', async () => {
    // A "push service" that takes connections and never answers: each post waits out its deadline.
    const held = new Set<import('node:net').Socket>();
    const tarpit = createServer(() => {});
    tarpit.on('connection', (socket) => held.add(socket));
    await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    try {
      // Twelve users each with a browser there, and a send each: more push jobs than the worker has slots (4 here).
      const stuck = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const user = uid(`tarpit-${i}-`);
          const { socket } = await tab(user);
          const { publicKey } = await emit<{ publicKey: string }>(socket, 'push:key', {});
          const endpoint = `http://127.0.0.1:${(tarpit.address() as AddressInfo).port}/p/${i}`;
          expect(await emit(socket, 'push:subscribe', { endpoint, keys, publicKey })).toMatchObject({ ok: true });
          socket.disconnect();
          return user;
        }),
      );
      for (const user of stuck) await send({ to: { userId: user }, title: 'Into the tarpit' });
      // The test stack's worker has 4 push slots: all of them wait on the tarpit now.
      await eventually(async () => held.size >= 4);
      // An operator sees them: the push queue's busy slots, apart from the dispatch queue's.
      const metrics = await stack.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(/^herald_push_queue_jobs\{state="active"\} [1-4]$/m);
      // Meanwhile, a user with a tab open gets theirs at once.
      const live = uid('live-');
      const { socket, got } = await tab(live);
      const sentAt = Date.now();
      const { id } = await send({ to: { userId: live }, title: 'Not stuck behind the pushes' });
      await eventually(async () => got.some((n) => n.id === id), 5000);
      expect(Date.now() - sentAt).toBeLessThan(3000);
      socket.disconnect();
    } finally {
      for (const socket of held) socket.destroy();
      tarpit.close();
    }
  });

  it('fails a browser refused before any post, and does not count it as posted to', async () => {
    const user = uid('u-');
    const b = await browser(user);
    // Keys stored before they were checked, which no message can be encrypted for.
    await stack.db.prisma.pushSubscription.update({ where: { id: b.id }, data: { p256dh: 'AAAA' } });
    const { id } = await send({ to: { userId: user }, title: 'Never leaves' });
    const row = await eventually(async () => {
      const r = await pushRow(id, b.id);
      return r?.status === 'failed' ? r : undefined;
    });
    expect(row.attempts).toEqual([expect.objectContaining({ status: 0, outcome: 'failed' })]);
    expect(await messages(b.sub)).toEqual([]);
    const detail = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${id}`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(detail.json().push).toMatchObject({ posted: 0, accepted: 0, failed: 1 });
  });

  it('removes a subscription the push service says is gone (410)', async () => {
    const user = uid('u-');
    const b = await browser(user);
    await service.expire(b.sub.clientHash);
    const { id } = await send({ to: { userId: user }, title: 'Into the void' });
    const row = await eventually(async () => {
      const r = await pushRow(id, b.id);
      return r?.status === 'gone' ? r : undefined;
    });
    expect(row.attempts).toEqual([expect.objectContaining({ status: 410, outcome: 'gone' })]);
    expect(await stack.db.prisma.pushSubscription.findUnique({ where: { id: b.id } })).toBeNull();
  });

  it('marks subscriptions for re-subscription when the key rotates, and tells a browser that registers with the old key', async () => {
    const user = uid('u-');
    const { socket } = await tab(user);
    const b = await browser(user, socket);
    const told = new Promise<{ publicKey: string }>((resolve) => socket.once('push:resubscribe', resolve));
    const rotated = await stack.app.vapid.rotate(stack.appId);
    expect(rotated?.marked).toBeGreaterThanOrEqual(1);
    // The connected browser is told at once, with the key to subscribe with.
    expect(await told).toEqual({ publicKey: rotated?.publicKey });
    expect((await stack.db.prisma.pushSubscription.findUnique({ where: { id: b.id } }))?.status).toBe('resubscribe');
    const again = await emit<{ ok: false; code: string; publicKey: string }>(socket, 'push:subscribe', {
      endpoint: b.sub.endpoint,
      keys: b.sub.keys,
      publicKey: b.publicKey,
    });
    expect(again).toMatchObject({ ok: false, code: 'HERALD_ERR_PUSH_KEY_ROTATED', publicKey: rotated?.publicKey });
    // Nothing is posted to it meanwhile (no tab open either).
    socket.disconnect();
    const { id } = await send({ to: { userId: user }, title: 'Not to the old key' });
    await new Promise((r) => setTimeout(r, 800));
    expect(await pushRow(id, b.id)).toBeNull();
    expect(await messages(b.sub)).toEqual([]);
    // Subscribed again with the new key: pushes again.
    const fresh = await browser(user);
    const { id: next } = await send({ to: { userId: user }, title: 'With the new key' });
    await eventually(async () => (await messages(fresh.sub)).some((m) => m.notification.data.herald.id === next));
  });

  it("shows each user's browsers to admins, and lets an admin rotate the app's push key (audited)", async () => {
    const user = uid('u-');
    const b = await browser(user);
    const cookie = await stack.adminCookie('admin');
    const subscriber = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { externalId: user } });
    const detail = await stack.app.inject({
      method: 'GET',
      url: `/admin/api/subscribers/${subscriber.id}`,
      headers: { cookie },
    });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json().browsers).toEqual([
      expect.objectContaining({ id: b.id, status: 'active', pushService: new URL(service.url).host }),
    ]);
    const viewer = await stack.adminCookie('viewer');
    const refused = await stack.app.inject({
      method: 'POST',
      url: `/admin/api/apps/${stack.appId}/rotate-push-key`,
      headers: { cookie: viewer },
    });
    expect(refused.statusCode).toBe(403);
    const rotated = await stack.app.inject({
      method: 'POST',
      url: `/admin/api/apps/${stack.appId}/rotate-push-key`,
      headers: { cookie },
    });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().vapidPublicKey).not.toBe(b.publicKey);
    expect(rotated.json().marked).toBeGreaterThanOrEqual(1);
    const apps = await stack.app.inject({ method: 'GET', url: '/admin/api/apps', headers: { cookie } });
    const app = { json: () => (apps.json() as Array<{ id: string }>).find((a) => a.id === stack.appId) };
    expect(app.json()).toMatchObject({
      vapidPublicKey: rotated.json().vapidPublicKey,
      vapidRotatedAt: expect.any(String),
    });
    expect(JSON.stringify(app.json())).not.toContain('rivate');
    const audit = await stack.db.prisma.auditEvent.findFirst({ where: { action: 'app.rotate_push_key' } });
    expect(audit?.targetId).toBe(stack.appId);
  });

  it('refuses bad registrations with a code and a sentence', async () => {
    const { socket } = await tab(uid('u-'));
    const key = await emit<{ publicKey: string }>(socket, 'push:key', {});
    expect(await emit(socket, 'push:subscribe', { endpoint: 'x' })).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
    });
    expect(
      await emit(socket, 'push:subscribe', {
        endpoint: 'ftp://push.example.com/x',
        keys: (await service.subscribe(key.publicKey)).keys,
        publicKey: key.publicKey,
      }),
    ).toMatchObject({ ok: false, code: 'HERALD_ERR_PUSH_ENDPOINT', message: expect.stringContaining('https://') });
    // Keys no browser makes (RFC 8291 needs a 65-byte P-256 point and a 16-byte secret).
    expect(
      await emit(socket, 'push:subscribe', {
        endpoint: 'https://push.example.com/x',
        keys: { p256dh: 'x', auth: 'y' },
        publicKey: key.publicKey,
      }),
    ).toMatchObject({ ok: false, code: 'HERALD_ERR_VALIDATION', message: expect.stringContaining('65-byte') });
    const real = (await service.subscribe(key.publicKey)).keys;
    const refusedWith = async (extra: object) =>
      emit(socket, 'push:subscribe', {
        endpoint: 'https://push.example.com/x',
        keys: real,
        publicKey: key.publicKey,
        ...extra,
      });
    // 65 bytes that are not a point of the curve; an expiration no Date holds: refused, not a 500.
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url');
    expect(await refusedWith({ keys: { ...real, p256dh: offCurve } })).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
    });
    // An endpoint PostgreSQL cannot store (it was a 500), or would store altered so that the
    // browser could never unsubscribe it (a lone surrogate became U+FFFD).
    for (const endpoint of ['https://push.example.com/\u0000nul', 'https://push.example.com/\ud800lone']) {
      expect(await refusedWith({ endpoint })).toMatchObject({
        ok: false,
        code: 'HERALD_ERR_PUSH_ENDPOINT',
        message: expect.stringContaining('NUL character or an unpaired surrogate'),
      });
    }
    // Nor one a Date holds but PostgreSQL does not (past the year 9999), nor one before 1970.
    for (const expirationTime of [1e308, 1e15, 8.64e15, -1]) {
      expect(await refusedWith({ expirationTime })).toMatchObject({ ok: false, code: 'HERALD_ERR_VALIDATION' });
    }
    expect(await emit(socket, 'push:unsubscribe', {})).toMatchObject({ ok: false, code: 'HERALD_ERR_VALIDATION' });
    for (const endpoint of ['https://nowhere.example/x', '\u0000', `https://push.example/${'x'.repeat(3000)}`]) {
      expect(await emit(socket, 'push:unsubscribe', { endpoint })).toEqual({ ok: true, removed: false });
    }
    socket.disconnect();
  });

  it("answers the service worker's bad posts with a code any origin can read, and counts receipts by browser", async () => {
    const user = uid('u-');
    const b = await browser(user);
    const { id } = await send({ to: { userId: user }, title: 'Counted by browser' });
    const message = await eventually(async () =>
      (await messages(b.sub)).find((m) => m.notification.data.herald.id === id),
    );
    const receipt = message.notification.data.herald.receipt as string;
    // All from one address, as from a crowd behind one NAT.
    const post = (url: string, payload: string | object, headers: Record<string, string> = {}) =>
      stack.app.inject({ method: 'POST', url, payload, headers, remoteAddress: '203.0.113.77' });
    const readable = (res: { headers: Record<string, unknown> }) => {
      expect(res.headers['access-control-allow-origin']).toBe('*');
    };

    const wrongEvent = await post('/push/receipts', { receipt, event: 'opened' });
    expect(wrongEvent.statusCode).toBe(400);
    expect(wrongEvent.json()).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      message: 'body.event must be one of "displayed", "clicked", "closed".',
      details: [{ path: 'body.event', message: 'must be one of "displayed", "clicked", "closed"' }],
    });
    readable(wrongEvent);
    const notJson = await post('/push/receipts', 'displayed', { 'content-type': 'text/plain' });
    expect([notJson.statusCode, notJson.json().code]).toEqual([415, 'HERALD_ERR_UNSUPPORTED_MEDIA_TYPE']);
    readable(notJson);
    const huge = await post('/push/receipts', { receipt: 'x'.repeat(9000), event: 'displayed' });
    expect([huge.statusCode, huge.json().code]).toEqual([413, 'HERALD_ERR_PAYLOAD_TOO_LARGE']);
    expect(huge.json().message).toBe('The request body is larger than the 8 KB POST /push/receipts takes.');
    readable(huge);
    // A method the route does not take: a 405 the worker can read too.
    const wrongMethod = await stack.app.inject({ method: 'GET', url: '/push/receipts' });
    expect([wrongMethod.statusCode, wrongMethod.json().code]).toEqual([405, 'HERALD_ERR_METHOD_NOT_ALLOWED']);
    readable(wrongMethod);
    // The same paths spelled with escapes, which the router decodes: the same answers, as readable.
    const spelled = await post('/%70ush/receipts', { receipt, event: 'opened' });
    expect([spelled.statusCode, spelled.json().code]).toEqual([400, 'HERALD_ERR_VALIDATION']);
    readable(spelled);
    readable(await stack.app.inject({ method: 'GET', url: '/%70ush/receipts' }));
    // Other paths stay closed to foreign origins.
    const elsewhere = await stack.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(elsewhere.headers['access-control-allow-origin']).toBeUndefined();

    // A renewal whose new subscription has keys no browser makes: a validation error of its own.
    const next = await service.subscribe(b.publicKey);
    const badKeys = await post('/push/renew', {
      renew: b.renew,
      subscription: { endpoint: next.endpoint, keys: { p256dh: 'AAAA', auth: 'AAAA' } },
    });
    expect(badKeys.statusCode).toBe(400);
    expect(badKeys.json().code).toBe('HERALD_ERR_VALIDATION');
    expect(badKeys.json().message).toMatch(/^"subscription" needs \{ endpoint, keys: /);
    expect(badKeys.json().message).not.toMatch(/push:subscribe|publicKey/);
    readable(badKeys);
    const farOff = await post('/push/renew', {
      renew: b.renew,
      subscription: { endpoint: next.endpoint, keys: next.keys, expirationTime: 1e15 },
    });
    expect([farOff.statusCode, farOff.json().code]).toEqual([400, 'HERALD_ERR_VALIDATION']);

    // Unsigned receipts count against the address, up to a limit — and those naming apps that do
    // not exist, each another, cost an app lookup only until then...
    const forge = createSigner({ key: 'not-the-app-secret', algorithm: 'HS256' });
    const lookups = vi.spyOn(stack.app.apps, 'get');
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    let answered = 0;
    for (let i = 0; i < 700 && !limited; i++) {
      const receipt = i % 2 ? `forged.${i}.x` : forge({ n: id, s: b.id, a: `made-up-${i}`, exp: 2e9 });
      const res = await post('/push/receipts', { receipt, event: 'displayed' });
      if (res.statusCode === 429) limited = res;
      else {
        answered++;
        expect(res.json().code).toBe('HERALD_ERR_RECEIPT_INVALID');
      }
    }
    const lookedUp = lookups.mock.calls.length;
    for (let i = 0; i < 50; i++) {
      await post('/push/receipts', {
        receipt: forge({ n: id, s: b.id, a: `later-${i}`, exp: 2e9 }),
        event: 'displayed',
      });
    }
    expect(lookups.mock.calls.length).toBe(lookedUp);
    expect(lookedUp).toBeLessThanOrEqual(answered);
    lookups.mockRestore();
    expect(limited?.json()).toMatchObject({ code: 'HERALD_ERR_RATE_LIMITED' });
    expect(limited?.json().message).toMatch(/from one address/);
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited?.headers['access-control-expose-headers']).toBe('retry-after');
    if (limited) readable(limited);
    // ...while a receipt Herald signed counts against its browser: the same address still reports.
    const signed = await post('/push/receipts', { receipt, event: 'displayed' });
    expect(signed.statusCode, signed.body).toBe(204);
    expect((await pushRow(id, b.id))?.displayedAt).toBeInstanceOf(Date);
  });

  it("renews a browser's subscription from its service worker (pushsubscriptionchange)", async () => {
    const user = uid('u-');
    const b = await browser(user);
    const next = await service.subscribe(b.publicKey);
    const res = await stack.app.inject({
      method: 'POST',
      url: '/push/renew',
      payload: { renew: b.renew, subscription: { endpoint: next.endpoint, keys: next.keys } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().renew).toEqual(expect.any(String));
    const rows = await stack.db.prisma.pushSubscription.findMany({
      where: { subscriber: { externalId: user } },
    });
    expect(rows.map((r) => r.endpoint)).toEqual([next.endpoint]);
    const bad = await stack.app.inject({
      method: 'POST',
      url: '/push/renew',
      payload: { renew: 'nope', subscription: { endpoint: next.endpoint, keys: next.keys } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'HERALD_ERR_RENEW_INVALID' });
  });

  it('lets one renewal token replace its subscription once, even when two renewals with it run at once', async () => {
    const user = uid('u-');
    const b = await browser(user);
    const nexts = await Promise.all([service.subscribe(b.publicKey), service.subscribe(b.publicKey)]);
    const replies = await Promise.all(
      nexts.map((next) =>
        stack.app.inject({
          method: 'POST',
          url: '/push/renew',
          payload: { renew: b.renew, subscription: { endpoint: next.endpoint, keys: next.keys } },
        }),
      ),
    );
    expect(replies.map((r) => r.statusCode).sort()).toEqual([200, 400]);
    const refused = replies.find((r) => r.statusCode === 400);
    expect(refused?.json()).toMatchObject({ code: 'HERALD_ERR_RENEW_INVALID' });
    // One browser, with the subscription of the renewal that was answered 200.
    const won = nexts[replies.findIndex((r) => r.statusCode === 200)];
    const rows = await stack.db.prisma.pushSubscription.findMany({ where: { subscriber: { externalId: user } } });
    expect(rows.map((r) => r.endpoint)).toEqual([won?.endpoint]);
    // The same endpoint with new keys (a renewal that kept its endpoint) keeps one row, with the new keys.
    const renewed = replies.find((r) => r.statusCode === 200)?.json().renew as string;
    const keys = (await service.subscribe(b.publicKey)).keys;
    const same = await stack.app.inject({
      method: 'POST',
      url: '/push/renew',
      payload: { renew: renewed, subscription: { endpoint: won?.endpoint, keys } },
    });
    expect(same.statusCode, same.body).toBe(200);
    const after = await stack.db.prisma.pushSubscription.findMany({ where: { subscriber: { externalId: user } } });
    expect(after.map((r) => [r.endpoint, r.p256dh])).toEqual([[won?.endpoint, keys.p256dh]]);
  });
});

describe('Web Push after Redis lost its data', () => {
  let testDb: TestDatabase;
  const ctx = {} as PushCtx;
  const { send, browser, messages, pushRow } = pushHelpers(ctx);

  beforeAll(async () => {
    ctx.service = await startPushService();
    testDb = await createTestDatabase('postgres');
    // A long socket window: the push checks are still waiting in Redis when it loses them.
    ctx.stack = await startStack(testDb, {
      env: { HERALD_PUSH_ALLOW_PRIVATE: 'true', HERALD_PUSH_WINDOW_MS: '60000', HERALD_SWEEP_INTERVAL_MS: '600000' },
    });
  });
  afterAll(async () => {
    await ctx.stack?.close();
    await testDb?.cleanup();
    await ctx.service?.close();
  });

  it("queues again the pushes whose jobs were lost: each notification's check, and each browser waiting for a retry", async () => {
    const { stack } = ctx;
    const user = uid('u-');
    const b = await browser(user);
    const { id: unchecked } = await send({ to: { userId: user }, title: 'Its check was lost' });
    const { id: retrying } = await send({ to: { userId: user }, title: 'Its retry was lost' });
    // The second was tried once already; its retry job was lost too.
    const subscriber = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { externalId: user } });
    await stack.db.sql.query(
      `INSERT INTO push_deliveries (notification_id, subscription_id, app_id, subscriber_id, status, attempts)
       VALUES ($1::uuid, $2, $3, $4, 'pending', $5::jsonb)`,
      [
        retrying,
        b.id,
        stack.appId,
        subscriber.id,
        JSON.stringify([{ at: new Date().toISOString(), status: 503, outcome: 'retry' }]),
      ],
    );
    // Redis loses its data: the two delayed checks (and the housekeeping's marker) are gone.
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = createPushQueue(redis, stack.config.queuePrefix);
    try {
      const checks = await eventually(async () => {
        const jobs = (await queue.getDelayed()).filter((j) => j.name === 'push-check');
        const named = jobs.flatMap((j) => (j.data as { notificationIds: string[] }).notificationIds);
        return named.includes(unchecked) && named.includes(retrying) ? jobs : undefined;
      });
      for (const job of checks) await job.remove();
      await redis.del(
        `${stack.config.queuePrefix}:housekeeping:marker`,
        `${stack.config.queuePrefix}:housekeeping:lock`,
      );
      expect(await messages(b.sub)).toEqual([]);

      await stack.worker?.housekeeping.tick();
      // The check comes back after the socket window; the retry at once.
      const retried = await eventually(async () => {
        const r = await pushRow(retrying, b.id);
        return r?.status === 'sent' ? r : undefined;
      });
      expect(retried.attempts).toEqual([
        expect.objectContaining({ status: 503, outcome: 'retry' }),
        expect.objectContaining({ status: 201, outcome: 'sent' }),
      ]);
      const recovered = await eventually(async () => {
        const jobs = (await queue.getDelayed()).filter((j) => j.name === 'push-check');
        return jobs.find((j) => (j.data as { notificationIds: string[] }).notificationIds.includes(unchecked));
      });
      expect(recovered.opts.delay).toBe(60_000);
      await recovered.promote();
      await eventually(async () => (await pushRow(unchecked, b.id))?.status === 'sent');
      // One message each: the recovered check did not post the retried browser again.
      const got = (await messages(b.sub)).map((m) => m.notification.data.herald.id).sort();
      expect(got).toEqual([unchecked, retrying].sort());
    } finally {
      await queue.close();
      await redis.quit();
    }
  });
});
