/**
 * Stopping Herald as a newcomer does: Ctrl-C (SIGINT) or SIGTERM while a dashboard tab, users'
 * sockets (WebSocket and long-polling), an idle keep-alive connection and a request that never
 * finishes its body are all connected. It must exit 0 within seconds, and start again on the same
 * data directory at once — also after kill -9, which leaves the embedded database's lock behind.
 */
import http from 'node:http';
import net from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { protocolDevice, streamTally } from './support/clients.js';
import {
  api,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const data = tempDir();
const queuePrefix = `{herald-e2e-${uid()}}`;
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery' };
const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const env = {
  HERALD_DATA_DIR: data.path,
  HERALD_QUEUE_PREFIX: queuePrefix,
  HERALD_ADMIN_EMAIL: ADMIN.email,
  HERALD_ADMIN_PASSWORD: ADMIN.password,
  HERALD_API_KEY: API_KEY,
};

const open: Array<{ close(): void }> = [];
let herald: HeraldProcess | undefined;

afterEach(async () => {
  for (const o of open.splice(0)) o.close();
  await herald?.stop('SIGKILL');
  herald = undefined;
});

afterAll(async () => {
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

function connected(socket: Socket): Promise<Socket> {
  open.push({ close: () => socket.disconnect() });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function userToken(base: string, userId: string): Promise<string> {
  const { body } = await api<{ token: string }>(base, '/v1/tokens', { key: API_KEY, body: { userId } });
  return body.token;
}

/** Everything a newcomer has open while trying Herald out, each on a connection of its own. */
async function connectEverything(base: string) {
  const signIn = await fetch(`${base}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  expect(signIn.status).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  // The dashboard tab: the /admin namespace, long-polling first then upgraded, like a browser.
  const dashboard = await connected(io(`${base}/admin`, { forceNew: true, extraHeaders: { cookie } }));
  const stats = new Promise((resolve) => dashboard.once('stats', resolve));
  const websocket = await connected(
    io(base, { forceNew: true, transports: ['websocket'], auth: { token: await userToken(base, 'ws-user') } }),
  );
  const polling = await connected(
    io(base, { forceNew: true, transports: ['polling'], auth: { token: await userToken(base, 'poll-user') } }),
  );
  // An idle keep-alive connection, as a browser keeps after loading the demo page.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  open.push({ close: () => agent.destroy() });
  await new Promise<void>((resolve, reject) =>
    http
      .get(`${base}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject),
  );
  // A request whose body never finishes.
  const { hostname, port } = new URL(base);
  const stalled = net.connect(Number(port), hostname);
  open.push({ close: () => stalled.destroy() });
  stalled.on('error', () => {});
  await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
  stalled.write(
    'POST /v1/tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"userId"',
  );
  await stats;
  return { dashboard, websocket, polling, agent, stalled };
}

async function stopTimed(node: HeraldProcess, signal: NodeJS.Signals) {
  const started = Date.now();
  const code = await node.stop(signal);
  return { code, ms: Date.now() - started };
}

describe('stopping Herald with everything connected', () => {
  it('exits 0 within seconds on SIGTERM, and starts again at once on the same data directory', {
    timeout: 180_000,
  }, async () => {
    herald = await startHerald({ env, timeoutMs: 150_000 });
    const { dashboard, websocket, polling } = await connectEverything(herald.url);
    expect([dashboard.connected, websocket.connected, polling.connected]).toEqual([true, true, true]);
    // The clients hear a closed connection (so they reconnect by themselves), not a "go away".
    const reasons = Promise.all(
      [dashboard, websocket, polling].map((s) => new Promise((resolve) => s.once('disconnect', resolve))),
    );

    const { code, ms } = await stopTimed(herald, 'SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
    expect(await reasons).toEqual(['transport close', 'transport close', 'transport close']);

    herald = await startHerald({ env, timeoutMs: 150_000 });
    expect((await api(herald.url, '/readyz')).status).toBe(200);
  });

  it('exits 0 within seconds on Ctrl-C (SIGINT)', { timeout: 120_000 }, async () => {
    herald = await startHerald({ env, timeoutMs: 150_000 });
    await connectEverything(herald.url);
    const { code, ms } = await stopTimed(herald, 'SIGINT');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it('stops at once on a second Ctrl-C while the first is still waiting, and starts again', {
    timeout: 180_000,
  }, async () => {
    herald = await startHerald({ env, timeoutMs: 150_000 });
    // The request whose body never finishes keeps the first Ctrl-C waiting (up to its 2 s grace).
    await connectEverything(herald.url);
    herald.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(herald.child.exitCode).toBeNull();
    const second = Date.now();
    herald.child.kill('SIGINT');
    expect(await herald.exited).toBe(1);
    expect(Date.now() - second).toBeLessThan(1000);
    expect(herald.output()).toContain('herald: stopping at once.');

    herald = await startHerald({ env, timeoutMs: 150_000 });
    expect((await api(herald.url, '/readyz')).status).toBe(200);
  });

  it('starts again on the same data directory after kill -9 in the middle of topic and direct sends, and delivers', {
    timeout: 180_000,
  }, async () => {
    // On one port throughout, so that open devices reconnect to the restarted process by themselves.
    const port = String(await freePort());
    herald = await startHerald({ env: { ...env, PORT: port }, timeoutMs: 150_000 });
    const before = herald.url;
    await connectEverything(before);
    // A topic with a device following the protocol in it, and one of a user not in it.
    const joined = await api(before, '/v1/topics/crew/subscribers', {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: ['crew-0', 'crew-late'] },
    });
    expect(joined.status).toBe(200);
    const [member, outsider] = await Promise.all(['crew-0', 'outsider'].map((u) => protocolDevice(before, API_KEY, u)));
    if (!member || !outsider) throw new Error('no devices');
    open.push(member, outsider);
    await Promise.all([member.synced(), outsider.synced()]);
    const topicSends: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api<{ id: string }>(before, '/v1/notifications', {
        key: API_KEY,
        body: { to: { topic: 'crew' }, title: `crew #${i}` },
      });
      expect(res.status).toBe(202);
      topicSends.push(res.body.id);
    }
    // Killed as soon as it accepted a burst: its jobs are queued or in hand.
    const batch = await api<{ results: Array<{ id: string }> }>(before, '/v1/notifications/batch', {
      key: API_KEY,
      body: { notifications: Array.from({ length: 20 }, (_, i) => ({ to: { topic: 'crew' }, title: `burst #${i}` })) },
    });
    // And small direct sends, whose jobs this `all` process's intake hands to its own worker.
    const direct = await api<{ results: Array<{ id: string }> }>(before, '/v1/notifications/batch', {
      key: API_KEY,
      body: {
        notifications: Array.from({ length: 20 }, (_, i) => ({ to: { userId: 'crew-0' }, title: `direct #${i}` })),
      },
    });
    expect(await herald.stop('SIGKILL')).toBeNull();
    expect(batch.status).toBe(202);
    expect(direct.status).toBe(202);
    topicSends.push(...batch.body.results.map((r) => r.id));
    const directSends = direct.body.results.map((r) => r.id);

    herald = await startHerald({ env: { ...env, PORT: port }, timeoutMs: 150_000 });
    expect(herald.output()).not.toMatch(/Another Herald process/);
    const base = herald.url;
    // A member's first device, connecting after the restart.
    const late = await protocolDevice(base, API_KEY, 'crew-late');
    open.push(late);
    const after = await api<{ id: string }>(base, '/v1/notifications', {
      key: API_KEY,
      body: { to: { topic: 'crew' }, title: 'crew after kill -9' },
    });
    expect(after.status).toBe(202);
    topicSends.push(after.body.id);
    const theirs = (d: { userId: string }) =>
      d.userId === 'outsider' ? [] : d.userId === 'crew-0' ? [...topicSends, ...directSends] : topicSends;
    const crew = [member, late, outsider];
    await eventually(() => crew.every((d) => theirs(d).every((id) => d.arrivals.some((a) => a.id === id))), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const streamed = streamTally(crew, theirs);
    console.log(`[shutdown] topic and direct sends across kill -9: ${JSON.stringify(streamed)}`);
    expect(member.handshakes.length).toBeGreaterThan(1);
    // 26 topic sends to two members' devices, and 20 direct sends to one of them.
    expect(streamed).toMatchObject({ sent: 72, lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0 });

    const socket = await connected(
      io(base, { forceNew: true, transports: ['websocket'], auth: { token: await userToken(base, 'after-kill') } }),
    );
    const received = new Promise<{ title: string }>((resolve) =>
      socket.on('notification', (n: { title: string }, ack?: (r: unknown) => void) => {
        ack?.({ ok: true });
        resolve(n);
      }),
    );
    const sent = await api(base, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'after-kill' }, title: 'Back after kill -9' },
    });
    expect(sent.status).toBe(202);
    await expect(received).resolves.toMatchObject({ title: 'Back after kill -9' });
    const { code, ms } = await stopTimed(herald, 'SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });
});
