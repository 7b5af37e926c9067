/**
 * What an operator graphs, scraped from /metrics after real sends and acks: notifications accepted
 * by where they came from, delivered / displayed / clicked / read, the ack latency, sockets and
 * users connected, the queue's depth and its oldest waiting notification — on the embedded default
 * (server and worker in one process) and on separate api and worker processes. No NaN, no
 * sentinel values.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  type HeraldProcess,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const ADMIN = { email: 'ops@example.com', password: 'correct horse battery' };
const prefixes: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
const running: HeraldProcess[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  for (const p of running.splice(0)) await p.stop();
});
afterAll(async () => {
  for (const prefix of prefixes) await dropQueuePrefix(prefix);
  for (const c of cleanups) await c();
});

function setting() {
  const data = tempDir();
  const queuePrefix = `{herald-e2e-${uid()}}`;
  prefixes.push(queuePrefix);
  cleanups.push(() => data.remove());
  return {
    HERALD_DATA_DIR: data.path,
    HERALD_QUEUE_PREFIX: queuePrefix,
    HERALD_API_KEY: API_KEY,
    HERALD_ADMIN_EMAIL: ADMIN.email,
    HERALD_ADMIN_PASSWORD: ADMIN.password,
  };
}

type Samples = Map<string, number>;

/** Scrapes /metrics into `name{labels}` → value, checking every value is a finite, sane number. */
async function scrape(base: string): Promise<Samples> {
  const text = await (await fetch(base.endsWith('/metrics') ? base : `${base}/metrics`)).text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const key = line.slice(0, at);
    const raw = line.slice(at + 1);
    const value = Number(raw);
    expect({ key, raw, finite: Number.isFinite(value) }).toEqual({ key, raw, finite: true });
    // prom-client's empty event-loop histogram reported 9223372036.85 s (int64 max nanoseconds).
    if (key.includes('_seconds') && !key.includes('start_time')) {
      expect({ key, sane: value < 1e6 }).toEqual({ key, sane: true });
    }
    samples.set(key, value);
  }
  return samples;
}

/** Sum of a metric over every label set containing `labels` (e.g. `source="api"`). */
function total(samples: Samples, name: string, labels = ''): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if (key.split('{')[0] === name && key.includes(labels)) sum += value;
  }
  return sum;
}

async function userSocket(base: string, userId: string): Promise<Socket> {
  const { body } = await api<{ token: string }>(base, '/v1/tokens', { key: API_KEY, body: { userId } });
  const socket = io(base, { forceNew: true, transports: ['websocket'], auth: { token: body.token } });
  sockets.push(socket);
  socket.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function send(base: string, userId: string, title: string): Promise<string> {
  const res = await api<{ id: string }>(base, '/v1/notifications', { key: API_KEY, body: { to: { userId }, title } });
  expect(res.status).toBe(202);
  return res.body.id;
}

describe('/metrics on the embedded default (server and worker in one process)', () => {
  it('counts accepted by source, deliveries by event and the ack latency after real sends and acks', async () => {
    const herald = await startHerald({ env: setting(), timeoutMs: 180_000 });
    running.push(herald);
    const base = herald.url;
    const before = await scrape(base);
    for (const source of ['api', 'batch', 'dashboard', 'demo']) {
      expect(before.has(`herald_notifications_accepted_total{source="${source}",priority="normal"}`)).toBe(true);
    }
    expect(before.has('herald_notifications_failed_total')).toBe(true);
    expect(before.has('herald_deliveries_expired_total')).toBe(true);
    expect(total(before, 'herald_ack_latency_seconds_count')).toBe(0);

    const socket = await userSocket(base, 'metric-user');
    const ids = [await send(base, 'metric-user', 'over REST')];
    const batch = await api<{ results: Array<{ id: string }> }>(base, '/v1/notifications/batch', {
      key: API_KEY,
      body: {
        notifications: [
          { to: { userId: 'metric-user' }, title: 'batch 1' },
          { to: { userId: 'metric-user' }, title: 'batch 2', priority: 'high' },
        ],
      },
    });
    ids.push(...batch.body.results.map((r) => r.id));
    const signIn = await fetch(`${base}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const composed = await fetch(`${base}/admin/api/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ appId: 'default', to: { userId: 'metric-user' }, title: 'from the composer' }),
    });
    expect(composed.status).toBe(202);
    ids.push(((await composed.json()) as { id: string }).id);
    const demo = (await (await fetch(`${base}/demo/session`, { method: 'POST' })).json()) as { token: string };
    const demoSend = await fetch(`${base}/demo/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.token}` },
    });
    expect(demoSend.status).toBe(202);

    // Each of the four reached the socket and was acknowledged.
    await eventually(async () => {
      const delivered = await Promise.all(
        ids.map(
          async (id) =>
            (await api<{ counts: { delivered: number } }>(base, `/v1/notifications/${id}`, { key: API_KEY })).body
              .counts.delivered,
        ),
      );
      return delivered.every((n) => n === 1);
    }, 30_000);
    const [first] = ids as [string];
    socket.emit('displayed', { id: first });
    socket.emit('clicked', { id: first });
    const read = await api(base, '/v1/users/metric-user/inbox/read', { key: API_KEY, body: { ids: [first] } });
    expect(read.status).toBe(200);

    const after = await eventually(async () => {
      const s = await scrape(base);
      return total(s, 'herald_deliveries_total', 'event="clicked"') === 1 ? s : undefined;
    });
    expect({
      api: total(after, 'herald_notifications_accepted_total', 'source="api"'),
      batch: total(after, 'herald_notifications_accepted_total', 'source="batch"'),
      batchHigh: total(after, 'herald_notifications_accepted_total', 'source="batch",priority="high"'),
      dashboard: total(after, 'herald_notifications_accepted_total', 'source="dashboard"'),
      demo: total(after, 'herald_notifications_accepted_total', 'source="demo"'),
      delivered: total(after, 'herald_deliveries_total', 'event="delivered"'),
      displayed: total(after, 'herald_deliveries_total', 'event="displayed"'),
      clicked: total(after, 'herald_deliveries_total', 'event="clicked"'),
      read: total(after, 'herald_deliveries_total', 'event="read"'),
      acks: total(after, 'herald_ack_latency_seconds_count'),
      acksInBuckets: total(after, 'herald_ack_latency_seconds_bucket', 'le="+Inf"'),
      sockets: total(after, 'herald_sockets_connected'),
      users: total(after, 'herald_users_connected'),
      waiting: total(after, 'herald_queue_jobs', 'state="waiting"'),
      oldest: total(after, 'herald_queue_oldest_age_seconds'),
      failed: total(after, 'herald_notifications_failed_total'),
    }).toEqual({
      api: 1,
      batch: 2,
      batchHigh: 1,
      dashboard: 1,
      demo: 1,
      delivered: 4,
      displayed: 1,
      clicked: 1,
      read: 1,
      acks: 4,
      acksInBuckets: 4,
      sockets: 1,
      users: 1,
      waiting: 0,
      oldest: 0,
      failed: 0,
    });
    const latency = total(after, 'herald_ack_latency_seconds_sum');
    expect(latency).toBeGreaterThan(0);
    expect(latency).toBeLessThan(4 * 10);

    // Scrapers that come at once (two Prometheus replicas) never see an empty histogram's values.
    await Promise.all([scrape(base), scrape(base), scrape(base)]);
  }, 240_000);
});

describe('/metrics on separate api and worker processes', () => {
  it("shows the queue's depth and the age of what waits until a worker drains it, the worker's expiries and the api node's acks", async () => {
    const schema = await createSchema();
    cleanups.push(() => schema.drop());
    const env = { ...setting(), DATABASE_URL: schema.url, HERALD_AUTO_MIGRATE: 'true' };
    const apiNode = await startHerald({ env, args: ['--role', 'api'] });
    running.push(apiNode);
    const base = apiNode.url;

    // No worker yet: what is accepted waits (and one of them expires meanwhile).
    await send(base, 'queued-user', 'first');
    await send(base, 'queued-user', 'second');
    const stale = await api(base, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'queued-user' }, title: 'stale', ttlSeconds: 1 },
    });
    expect(stale.status).toBe(202);
    const waiting = await eventually(async () => {
      const s = await scrape(base);
      return total(s, 'herald_queue_oldest_age_seconds') >= 1 ? s : undefined;
    });
    expect(total(waiting, 'herald_queue_jobs', 'state="waiting"')).toBeGreaterThanOrEqual(1);
    expect(total(waiting, 'herald_queue_jobs', 'state="active"')).toBe(0);
    expect(total(waiting, 'herald_queue_oldest_age_seconds')).toBeLessThan(120);

    // A worker has no HTTP server: it serves its own metrics when given a port.
    const worker = await startHerald({
      env: { ...env, HERALD_METRICS_PORT: '0' },
      args: ['--role', 'worker'],
      ready: /Herald worker metrics at (\S+)/,
    });
    running.push(worker);
    expect(worker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const drained = await eventually(async () => {
      const s = await scrape(base);
      const busy = total(s, 'herald_queue_jobs', 'state="waiting"') + total(s, 'herald_queue_jobs', 'state="active"');
      return busy === 0 && total(s, 'herald_queue_oldest_age_seconds') === 0 ? s : undefined;
    }, 30_000);
    expect(total(drained, 'herald_ack_latency_seconds_count')).toBe(0);
    const fromWorker = await eventually(async () => {
      const s = await scrape(worker.url);
      return total(s, 'herald_deliveries_expired_total') === 1 ? s : undefined;
    });
    expect(total(fromWorker, 'herald_notifications_failed_total')).toBe(0);

    // Live now: the worker publishes the batch, the api node emits it and times the socket's ack.
    await userSocket(base, 'live-user');
    await send(base, 'live-user', 'live');
    const acked = await eventually(async () => {
      const s = await scrape(base);
      // The ack is timed when it arrives, and counted as delivered once its batch is written.
      const done = total(s, 'herald_ack_latency_seconds_count') >= 1;
      return done && total(s, 'herald_deliveries_total', 'event="delivered"') >= 1 ? s : undefined;
    }, 30_000);
    expect(total(acked, 'herald_ack_latency_seconds_sum')).toBeGreaterThan(0);
    expect(total(acked, 'herald_sockets_connected')).toBe(1);
    expect(total(acked, 'herald_users_connected')).toBe(1);
  }, 240_000);
});
