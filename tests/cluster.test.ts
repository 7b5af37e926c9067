/**
 * Scale-out: two API/socket nodes and a worker on one PostgreSQL and Redis, behind HAProxy with
 * sticky sessions. Clients spread over both nodes all receive a broadcast; when one node is
 * killed, its clients reconnect through HAProxy to the other and catch up, with nothing lost.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type PushService, startPushService } from '@herald/test-support';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProtocolDevice, protocolDevice, sdkUser, streamTally, type TestUser, tally } from './support/clients.js';
import {
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  MAIN,
  query,
  REDIS_URL,
  ROOT,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
const nodes: HeraldProcess[] = [];
let worker: HeraldProcess;
let haproxy: ChildProcess;
let lb = '';
let ports: number[] = [];
const users: TestUser[] = [];
const devices: ProtocolDevice[] = [];

const ADMIN = { email: 'ops@example.com', password: 'cluster admin password' };
let push: PushService;
let lbPort = 0;
const env = () => ({
  DATABASE_URL: schema.url,
  HERALD_API_KEY: API_KEY,
  HERALD_ADMIN_EMAIL: ADMIN.email,
  HERALD_ADMIN_PASSWORD: ADMIN.password,
  // Web Push to a local push service, with receipts through the load balancer (a worker-only node
  // has no address of its own to give the service workers).
  HERALD_PUSH_ALLOW_PRIVATE: 'true',
  HERALD_PUSH_WINDOW_MS: '500',
  HERALD_PUBLIC_URL: `http://127.0.0.1:${lbPort}`,
  HERALD_QUEUE_PREFIX: queuePrefix,
  HERALD_DATA_DIR: data.path,
  // A send a dying node stored without queueing its job goes out with the next sweep: soon, here.
  HERALD_SWEEP_INTERVAL_MS: '1000',
  HERALD_REQUEUE_AFTER_MS: '3000',
});
const startNode = async (port: number) =>
  startHerald({ env: { ...env(), PORT: String(port) }, args: ['--role', 'api'] });

beforeAll(async () => {
  push = await startPushService();
  lbPort = await freePort();
  schema = await createSchema();
  execFileSync(process.execPath, [MAIN, 'migrate'], { env: { ...process.env, ...env(), LOG_LEVEL: 'warn' } });
  ports = [await freePort(), await freePort()];
  nodes.push(await startNode(ports[0] as number), await startNode(ports[1] as number));
  worker = await startHerald({ env: env(), args: ['--role', 'worker'], ready: /(Herald worker is running)/ });
  const { haproxyConfig } = (await import(
    pathToFileURL(join(ROOT, 'scripts/haproxy-config.mjs')).href
  )) as typeof import('../scripts/haproxy-config.mjs');
  const port = lbPort;
  const cfg = join(data.path, 'haproxy.cfg');
  writeFileSync(
    cfg,
    haproxyConfig({
      port,
      servers: ports.map((p, i) => ({ name: `api${i + 1}`, host: '127.0.0.1', port: p })),
      maxconn: 2000,
    }),
  );
  haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  lb = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${lb}/readyz`)).ok);
});

afterAll(async () => {
  for (const u of users) u.close();
  for (const d of devices) d.close();
  haproxy?.kill('SIGKILL');
  for (const n of nodes) await n.stop('SIGKILL');
  await worker?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  await push?.close();
  data.remove();
});

/** Sockets per node, as each node reports them to Redis. */
async function socketsPerNode(): Promise<number[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const all = await redis.hgetall(`${queuePrefix}:presence`);
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as { sockets: number; ts: number })
      .filter((p) => Date.now() - p.ts < 10_000)
      .map((p) => p.sockets);
  } finally {
    redis.disconnect();
  }
}

describe('two nodes behind HAProxy', () => {
  it('spreads clients over both nodes, and a broadcast reaches all of them', async () => {
    for (let i = 0; i < 40; i++) users.push(sdkUser(() => lb, API_KEY, `cl-${i}`));
    await Promise.all(users.map((u) => u.connected()));
    const spread = await eventually(async () => {
      const counts = await socketsPerNode();
      return counts.length === 2 && counts.every((c) => c > 0) && counts.reduce((a, b) => a + b, 0) === 40
        ? counts
        : undefined;
    });
    console.log(`[cluster] sockets per node: ${spread.join(' + ')}`);

    const { body } = await api<{ id: string }>(lb, '/v1/notifications', {
      key: API_KEY,
      body: { to: { broadcast: true }, title: 'Everyone, everywhere' },
    });
    await eventually(() => users.every((u) => u.received.some((n) => n.id === body.id)), 20_000);
  });

  it('moves sockets on both nodes into and out of a topic’s room, whichever node took the change', async () => {
    const topic = `cl-topic-${uid()}`;
    const members = users.slice(0, 20);
    const change = (method: 'PUT' | 'DELETE', userIds: string[]) =>
      api(lb, `/v1/topics/${topic}/subscribers`, { key: API_KEY, method, body: { userIds } });
    expect(
      (
        await change(
          'PUT',
          members.map((u) => u.userId),
        )
      ).status,
    ).toBe(200);
    const send = async (title: string) =>
      (await api<{ id: string }>(lb, '/v1/notifications', { key: API_KEY, body: { to: { topic }, title } })).body.id;
    const first = await send('Members only');
    await eventually(() => members.every((u) => u.received.some((n) => n.id === first)), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(users.slice(20).filter((u) => u.received.some((n) => n.id === first))).toEqual([]);

    const leaving = members.slice(0, 10);
    expect(
      (
        await change(
          'DELETE',
          leaving.map((u) => u.userId),
        )
      ).status,
    ).toBe(200);
    const second = await send('Those who stayed');
    await eventually(() => members.slice(10).every((u) => u.received.some((n) => n.id === second)), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(leaving.filter((u) => u.received.some((n) => n.id === second))).toEqual([]);
  });

  it('pushes from the worker node to a browser with no tab open, takes its receipt on either node, and tells browsers on the other node of a key rotation', async () => {
    const token = async (userId: string) =>
      (await api<{ token: string }>(lb, '/v1/tokens', { key: API_KEY, body: { userId } })).body.token;
    /** A tab of `userId` on one node, its browser registered for push (as the SDK does). */
    const tab = async (userId: string, port: number) => {
      const socket = io(`http://127.0.0.1:${port}`, {
        auth: { token: await token(userId) },
        transports: ['websocket'],
        reconnection: false,
        extraHeaders: { origin: 'http://shop.localhost' },
      });
      socket.on('notification', (_n: unknown, ack: (r: { ok: true }) => void) => ack({ ok: true }));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const { publicKey } = await socket.emitWithAck('push:key', {});
      const sub = await push.subscribe(publicKey);
      const reply = await socket.emitWithAck('push:subscribe', { endpoint: sub.endpoint, keys: sub.keys, publicKey });
      expect(reply).toMatchObject({ ok: true });
      return { socket, sub, publicKey: publicKey as string };
    };
    const away = `cl-push-${uid()}`;
    const { socket: gone, sub } = await tab(away, ports[0] as number);
    const here = await tab(`cl-push-${uid()}`, ports[1] as number);
    gone.disconnect();

    const { body } = await api<{ id: string }>(lb, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: away }, title: 'While you were away' },
    });
    const [plain] = await eventually(async () => {
      const got = await push.messages(sub.clientHash);
      return got.length > 0 ? got : undefined;
    }, 20_000);
    const message = JSON.parse(plain as string) as {
      notification: { title: string; data: { herald: { id: string; receipt: string; receipts: string } } };
    };
    expect(message.notification.title).toBe('While you were away');
    expect(message.notification.data.herald.receipts).toBe(`${lb}/push/receipts`);
    // The worker's receipt URL is the load balancer's: either node takes it.
    const res = await fetch(message.notification.data.herald.receipts, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ receipt: message.notification.data.herald.receipt, event: 'displayed' }),
    });
    expect(res.status).toBe(204);
    await eventually(async () => {
      const { body: r } = await api<{ items: Array<{ status: string }> }>(
        lb,
        `/v1/notifications/${body.id}/recipients`,
        { key: API_KEY, method: 'GET' },
      );
      return r.items[0]?.status === 'displayed';
    });

    // A key rotation taken by node 1 reaches the browser whose tab is on node 2.
    const told = new Promise<{ publicKey: string }>((resolve) => here.socket.once('push:resubscribe', resolve));
    const session = await fetch(`http://127.0.0.1:${ports[0]}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const rotated = await fetch(`http://127.0.0.1:${ports[0]}/admin/api/apps/default/rotate-push-key`, {
      method: 'POST',
      headers: { cookie },
    });
    expect(rotated.status).toBe(200);
    const { vapidPublicKey } = (await rotated.json()) as { vapidPublicKey: string };
    expect(await told).toEqual({ publicKey: vapidPublicKey });
    // And node 2 no longer takes the old key (its cache was dropped).
    const again = await here.socket.emitWithAck('push:subscribe', {
      endpoint: here.sub.endpoint,
      keys: here.sub.keys,
      publicKey: here.publicKey,
    });
    expect(again).toMatchObject({ ok: false, code: 'HERALD_ERR_PUSH_KEY_ROTATED', publicKey: vapidPublicKey });
    here.socket.disconnect();
  });

  it('keeps long-polling sessions on one node with the sticky cookie', async () => {
    const { body } = await api<{ token: string }>(lb, '/v1/tokens', { key: API_KEY, body: { userId: 'poller' } });
    const socket = io(lb, {
      auth: { token: body.token },
      transports: ['polling'],
      withCredentials: true,
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const got = new Promise<{ id: string }>((resolve) =>
      socket.once('notification', (n: { id: string }, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(n);
      }),
    );
    // Several polling round trips: each must land on the node that holds the session.
    const sent = await api<{ id: string }>(lb, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'poller' }, title: 'Polled' },
    });
    await expect(got).resolves.toMatchObject({ id: sent.body.id });
    expect(socket.connected).toBe(true);
    socket.disconnect();
  });

  it('moves the clients of a killed node to the other one, which catches them up, in the middle of a burst of topic sends', async () => {
    // Half the users in a topic, and devices following the protocol (no SDK) in it and out of it.
    const topic = `cl-burst-${uid()}`;
    const sdkMembers = users.slice(20);
    const deviceNames = Array.from({ length: 8 }, (_, i) => `${topic}-${i}`);
    const joined = await api(lb, `/v1/topics/${topic}/subscribers`, {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: [...sdkMembers.map((u) => u.userId), ...deviceNames.slice(0, 6)] },
    });
    expect(joined.status).toBe(200);
    devices.push(...(await Promise.all(deviceNames.map((name) => protocolDevice(lb, API_KEY, name)))));
    await Promise.all(devices.map((d) => d.synced()));
    const members = devices.slice(0, 6);
    // Sent through HAProxy as an integrator would: a request the dying node took is answered 502,
    // and retried with its idempotency key (it may or may not have been stored).
    const topicSends: string[] = [];
    let bursting = true;
    const burst = (async () => {
      for (let i = 0; bursting; i++) {
        const body = { to: { topic }, title: `burst #${i}`, idempotencyKey: `${topic}-${i}` };
        const res = await eventually(async () => {
          const r = await api<{ id: string }>(lb, '/v1/notifications', { key: API_KEY, body }).catch(() => undefined);
          return r && (r.status === 202 || r.status === 200) ? r : undefined;
        }, 10_000);
        topicSends.push(res.body.id);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await eventually(() => topicSends.length >= 10);

    const ids: string[] = [];
    nodes[0]?.child.kill('SIGKILL');
    await nodes[0]?.exited;
    const topicSendsAtKill = topicSends.length;
    // While they reconnect: a broadcast and one personal notification each.
    const broadcast = await api<{ id: string }>(lb, '/v1/notifications', {
      key: API_KEY,
      body: { to: { broadcast: true }, title: 'After the crash' },
    });
    expect(broadcast.status).toBe(202);
    ids.push(broadcast.body.id);
    const personal = await api<{ results: Array<{ id: string }> }>(lb, '/v1/notifications/batch', {
      key: API_KEY,
      body: { notifications: users.map((u) => ({ to: { userId: u.userId }, title: `Just for ${u.userId}` })) },
    });
    const mine = new Map(users.map((u, i) => [u.userId, personal.body.results[i]?.id ?? '']));
    const counts = await eventually(async () => {
      const c = await socketsPerNode();
      return c.length === 1 && c[0] === users.length + devices.length ? c : undefined;
    });
    expect(counts).toEqual([users.length + devices.length]);
    bursting = false;
    await burst;

    const expected = (u: TestUser) => [...ids, mine.get(u.userId) ?? '', ...(sdkMembers.includes(u) ? topicSends : [])];
    await eventually(() => users.every((u) => expected(u).every((id) => u.received.some((n) => n.id === id))), 30_000);
    const numbers = tally(users, expected);
    console.log(
      `[cluster] after killing a node: sent=${numbers.sent}, delivered=${numbers.delivered}, duplicates=${numbers.duplicates}, lost=${numbers.lost}`,
    );
    expect(numbers).toMatchObject({ duplicates: 0, lost: 0 });
    // No SDK user outside the topic got any of it.
    expect(users.filter((u) => !sdkMembers.includes(u) && u.received.some((n) => topicSends.includes(n.id)))).toEqual(
      [],
    );

    // The devices: the broadcast, and the topic sends for the members; each once, nothing else.
    const theirs = (d: ProtocolDevice) => [...ids, ...(members.includes(d) ? topicSends : [])];
    await eventually(
      () => devices.every((d) => theirs(d).every((id) => d.arrivals.some((a) => a.id === id))),
      20_000,
    ).catch(async (error) => {
      const missing = [
        ...new Set(devices.flatMap((d) => theirs(d).filter((id) => !d.arrivals.some((a) => a.id === id)))),
      ];
      const rows = await query(
        schema.url,
        `SELECT n.id, n.status, n.created_at, n.dispatched_at, e.seq FROM notifications n
           LEFT JOIN stream_entries e ON e.notification_id = n.id WHERE n.id = ANY($1::uuid[])`,
        [missing],
      );
      console.log(streamTally(devices, theirs), rows, JSON.stringify(devices.map((d) => [d.userId, d.handshakes])));
      throw error;
    });
    await new Promise((r) => setTimeout(r, 500));
    const streamed = streamTally(devices, theirs);
    console.log(
      `[cluster] topic burst across the kill: topicSends=${topicSends.length}, atKill=${topicSendsAtKill}, ${Object.entries(
        streamed,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    expect(topicSends.length).toBeGreaterThan(topicSendsAtKill);
    expect(new Set(topicSends).size).toBe(topicSends.length);
    expect(streamed).toMatchObject({ lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0 });
    expect(devices.filter((d) => d.handshakes.length > 1).length).toBeGreaterThan(0);
  });
});
