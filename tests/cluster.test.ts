/**
 * Scale-out: two API/socket nodes and a worker on one PostgreSQL and Redis, behind HAProxy with
 * sticky sessions. Clients spread over both nodes all receive a broadcast; when one node is
 * killed, its clients reconnect through HAProxy to the other and catch up, with nothing lost.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkUser, type TestUser, tally } from './support/clients.js';
import {
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  MAIN,
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

const env = () => ({
  DATABASE_URL: schema.url,
  HERALD_API_KEY: API_KEY,
  HERALD_QUEUE_PREFIX: queuePrefix,
  HERALD_DATA_DIR: data.path,
});
const startNode = async (port: number) =>
  startHerald({ env: { ...env(), PORT: String(port) }, args: ['--role', 'api'] });

beforeAll(async () => {
  schema = await createSchema();
  execFileSync(process.execPath, [MAIN, 'migrate'], { env: { ...process.env, ...env(), LOG_LEVEL: 'warn' } });
  ports = [await freePort(), await freePort()];
  nodes.push(await startNode(ports[0] as number), await startNode(ports[1] as number));
  worker = await startHerald({ env: env(), args: ['--role', 'worker'], ready: /(Herald worker is running)/ });
  const { haproxyConfig } = (await import(
    pathToFileURL(join(ROOT, 'scripts/haproxy-config.mjs')).href
  )) as typeof import('../scripts/haproxy-config.mjs');
  const port = await freePort();
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
  haproxy?.kill('SIGKILL');
  for (const n of nodes) await n.stop('SIGKILL');
  await worker?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
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

  it('moves the clients of a killed node to the other one, which catches them up', async () => {
    const ids: string[] = [];
    nodes[0]?.child.kill('SIGKILL');
    await nodes[0]?.exited;
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
    const expected = (u: TestUser) => [...ids, mine.get(u.userId) ?? ''];
    await eventually(() => users.every((u) => expected(u).every((id) => u.received.some((n) => n.id === id))), 30_000);
    const numbers = tally(users, expected);
    console.log(
      `[cluster] after killing a node: sent=${numbers.sent}, delivered=${numbers.delivered}, duplicates=${numbers.duplicates}, lost=${numbers.lost}`,
    );
    expect(numbers).toMatchObject({ duplicates: 0, lost: 0 });
    const counts = await eventually(async () => {
      const c = await socketsPerNode();
      return c.length === 1 && c[0] === 40 ? c : undefined;
    });
    expect(counts).toEqual([40]);
  });
});
