/**
 * A hostile client must not stall everyone else: with Herald started as `npm start` starts it,
 * one socket floods it with requests and a slowloris burst holds hundreds of connections open
 * byte by byte, while another user's round trips and `GET /healthz` are measured. The attackers
 * run in processes of their own (tests/support/hostile.mjs) from other loopback addresses, so
 * their busy loops never slow the measuring process and their address is not the victim's.
 */
import { spawn } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkUser } from './support/clients.js';
import {
  adminCookie,
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  type HeraldProcess,
  query,
  ROOT,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const ADMIN = { email: 'abuse@example.com', password: 'correct horse battery' };
const queuePrefix = `{herald-abuse-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
let herald: HeraldProcess;

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 4000;
const CONNECTIONS_PER_ADDRESS = 200;
const VICTIMS = 6;

beforeAll(async () => {
  schema = await createSchema();
  herald = await startHerald({
    env: {
      DATABASE_URL: schema.url,
      HERALD_API_KEY: API_KEY,
      HERALD_ADMIN_EMAIL: ADMIN.email,
      HERALD_ADMIN_PASSWORD: ADMIN.password,
      HERALD_QUEUE_PREFIX: queuePrefix,
      HERALD_DATA_DIR: data.path,
      HERALD_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HERALD_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HERALD_MAX_CONNECTIONS_PER_ADDRESS: String(CONNECTIONS_PER_ADDRESS),
      // Any public push host (not only the browsers' push services), so that the push flood's
      // valid-looking subscriptions (public addresses, no DNS here) are stored.
      HERALD_PUSH_HOSTS: '*',
    },
  });
});

afterAll(async () => {
  await herald?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

const token = async (userId: string) =>
  (await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId } })).body.token;

/** Another API key of the default app, made through the admin API (with its own budgets). */
async function newKey(name: string): Promise<string> {
  const cookie = await adminCookie(herald.url, ADMIN);
  const res = await fetch(`${herald.url}/admin/api/apps/default/keys`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const { secret } = (await res.json()) as { secret?: string };
  if (!secret) throw new Error(`could not make a second key: ${res.status}`);
  return secret;
}

/** Runs tests/support/hostile.mjs; resolves once it says it started, and gives its final report. */
function hostile(options: Record<string, unknown>) {
  const child = spawn(process.execPath, [join(ROOT, 'tests/support/hostile.mjs'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A real attacker's CPU is on another machine: here it runs at the lowest priority, so what is
  // measured is Herald's defence, not two processes of ours fighting it for the same two cores.
  if (child.pid) setPriority(child.pid, 19);
  let out = '';
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('started\n')) onStarted();
  });
  const report = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`hostile ${options.mode} exited with ${code}: ${out}`));
      }
    });
  });
  return { started, report, kill: () => child.kill('SIGKILL') };
}

/** Herald's /metrics as name → value (series without labels). */
async function scrape(): Promise<Record<string, number>> {
  const text = await (await fetch(`${herald.url}/metrics`)).text();
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[a-z_0-9]+ /.test(l))
      .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]),
  );
}

/** CPU seconds a process has used, and the machine's idle and total jiffies (Linux /proc). */
function cpu(pid: number | undefined) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const jiffies = Number(fields[11]) + Number(fields[12]);
  const all = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  return {
    process: jiffies / 100,
    at: performance.now() / 1000,
    idle: (all[3] ?? 0) + (all[4] ?? 0),
    total: all.reduce((a, b) => a + b, 0),
  };
}

const p95 = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? Number.NaN;
};

describe('the demo endpoints', () => {
  it('are off, and not announced, when Herald listens on a public address without HERALD_DEMO=true', async () => {
    const own = await createSchema();
    const dir = tempDir();
    const prefix = `{herald-abuse-${uid()}}`;
    const exposed = await startHerald({
      env: { DATABASE_URL: own.url, HERALD_DATA_DIR: dir.path, HERALD_QUEUE_PREFIX: prefix, HOST: '0.0.0.0' },
    });
    try {
      expect(exposed.output()).toMatch(/dashboard {3}http/);
      expect(exposed.output()).not.toMatch(/demo page/);
      const port = new URL(exposed.url).port;
      const res = await fetch(`http://127.0.0.1:${port}/demo/session`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(herald.output()).toMatch(/demo page/);
      expect((await fetch(`${herald.url}/demo/session`, { method: 'POST' })).status).toBe(200);
    } finally {
      await exposed.stop();
      await own.drop();
      await dropQueuePrefix(prefix);
      dir.remove();
    }
  });
});

describe('the budgets leave well-behaved clients alone', () => {
  it('lets the SDK catch up on 3,000 missed notifications, page through its inbox and mark all read without meeting a limit', async () => {
    // 500 recipients each, 1.1 s apart: within the key's 500 recipients a second. A key of its own,
    // so that the next test's sends do not meet this one's budget.
    const key = await newKey('catch-up');
    for (let b = 0; b < 6; b++) {
      if (b > 0) await sleep(1100);
      const res = await api(herald.url, '/v1/notifications/batch', {
        key,
        body: {
          notifications: Array.from({ length: 500 }, (_, i) => ({ to: { userId: 'sdk-1' }, title: `#${b * 500 + i}` })),
        },
      });
      expect(res.status).toBe(202);
    }
    const user = sdkUser(() => herald.url, API_KEY, 'sdk-1');
    const errors: Array<{ code?: string }> = [];
    user.client.on('error', (e) => errors.push(e as { code?: string }));
    try {
      await user.connected();
      await eventually(() => user.received.length >= 3000, 30_000);
      let page = await user.client.list({ limit: 100 });
      for (let i = 0; i < 10 && page.nextCursor !== null; i++) {
        page = await user.client.list({ limit: 100, cursor: page.nextCursor });
      }
      expect(await user.client.unreadCount()).toBe(3000);
      expect(await user.client.markAllRead()).toBe(0);
      expect(await user.client.unreadCount()).toBe(0);
      expect(errors).toEqual([]);
      expect(user.client.state).toBe('connected');
    } finally {
      user.close();
    }
  }, 60_000);
});

describe('a hostile client does not stall everyone else', () => {
  it("keeps another user's socket round trips and /healthz under 250 ms p95, and their notifications under 500 ms, through a socket flood, a batch flood and a slowloris burst", async () => {
    // The victims: users with sockets of their own, each asking for its unread count twice a
    // second (the most a well-behaved client does; together enough samples for a p95), and a
    // monitoring probe on a keep-alive connection.
    const victims: Socket[] = [];
    const arrived = new Map<string, number>();
    for (let i = 0; i < VICTIMS; i++) {
      const victim = io(herald.url, { auth: { token: await token(`victim-${i}`) }, transports: ['websocket'] });
      victim.on('notification', (n: { title: string }, ack?: (r: { ok: true }) => void) => {
        arrived.set(n.title, performance.now());
        ack?.({ ok: true });
      });
      await new Promise<void>((resolve) => victim.once('connect', () => resolve()));
      victims.push(victim);
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const base = new URL(herald.url);

    // A probe that fails or times out counts as a sample of its whole wait: it is what the user saw.
    const unread = (victim: Socket) => async () => {
      const t0 = performance.now();
      const r = await victim
        .timeout(10_000)
        .emitWithAck('inbox:unread', {})
        .catch(() => undefined);
      if (r?.ok !== true) console.log(`[abuse] a victim's inbox:unread failed: ${JSON.stringify(r)}`);
      return r?.ok === true ? performance.now() - t0 : Math.max(10_000, performance.now() - t0);
    };
    const healthz = () =>
      new Promise<number>((resolve, reject) => {
        const t0 = performance.now();
        request({ host: base.hostname, port: base.port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(res.statusCode)));
        })
          .on('error', reject)
          .end();
      });
    let probes = 0;
    const notification = async () => {
      const n = probes++;
      const title = `probe-${n}`;
      const t0 = performance.now();
      const res = await api(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId: `victim-${n % VICTIMS}` }, title },
      });
      if (res.status !== 202) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
      for (let waited = 0; !arrived.has(title) && waited < 10_000; waited += 2) await sleep(2);
      return (arrived.get(title) ?? Number.POSITIVE_INFINITY) - t0;
    };

    /** Calls `probe` one after another, `gapMs` apart, until `until` resolves. */
    const measure = async (probe: () => Promise<number>, gapMs: number, until: Promise<unknown>) => {
      const samples: number[] = [];
      let done = false;
      void until.then(() => {
        done = true;
      });
      while (!done) {
        samples.push(await probe());
        await sleep(gapMs);
      }
      return samples;
    };

    // Warm-up: connections open, code paths compiled, the queue's worker awake.
    for (let i = 0; i < 10; i++) await Promise.all([...victims.map((v) => unread(v)()), healthz(), notification()]);

    /** Every probe at once until `until` resolves: the victims' view of that time. */
    const observe = async (until: Promise<unknown>) => {
      await scrape(); // Event-loop delay figures restart at each scrape.
      const before = cpu(herald.child.pid);
      const [unreadSamples, healthzMs, notificationMs] = await Promise.all([
        Promise.all(victims.map((v) => measure(unread(v), 500, until))),
        measure(healthz, 20, until),
        measure(notification, 100, until),
      ]);
      const unreadMs = unreadSamples.flat();
      const after = cpu(herald.child.pid);
      const metrics = await scrape();
      return {
        // How long Herald's event loop was kept from running (p99 and worst) over the phase.
        loopDelayMs: ['p99', 'max'].map((q) =>
          Math.round(1000 * (metrics[`herald_nodejs_eventloop_lag_${q}_seconds`] ?? Number.NaN)),
        ),
        // Herald's share of one core, and how busy the whole machine was (it is shared).
        heraldCpu: Number(((after.process - before.process) / (after.at - before.at)).toFixed(2)),
        machineBusy: Number((1 - (after.idle - before.idle) / (after.total - before.total)).toFixed(2)),
        unreadP95: p95(unreadMs),
        healthzP95: p95(healthzMs),
        notificationP95: p95(notificationMs),
        samples: { unread: unreadMs.length, healthz: healthzMs.length, notification: notificationMs.length },
      };
    };
    // The same figures with no attack, for comparison: what this machine gives right now.
    const calm = await observe(sleep(4000));
    console.log(`[abuse] victims, calm: ${JSON.stringify(calm)}`);

    const flood = hostile({
      mode: 'flood',
      url: herald.url,
      token: await token('mallory'),
      localAddress: '127.0.0.2',
      maxEvents: 20_000,
      durationMs: 10_000,
    });
    // Another key of the same app posting 500-item batches from 4 loops, ignoring 429s.
    const batches = hostile({
      mode: 'batches',
      url: herald.url,
      key: await newKey('mallory'),
      loops: 4,
      durationMs: 10_000,
    });
    const slowloris = hostile({
      mode: 'slowloris',
      url: herald.url,
      localAddress: '127.0.0.3',
      connections: 300,
      byteEveryMs: 500,
      durationMs: 10_000,
    });
    try {
      await Promise.all([flood.started, batches.started, slowloris.started]);
      const attack = Promise.all([flood.report, batches.report, slowloris.report]);
      const [figures, [flooded, batched, stalled]] = await Promise.all([observe(attack), attack]);
      const metrics = await (await fetch(`${herald.url}/metrics`)).text();
      console.log(
        `[abuse] ${metrics
          .split('\n')
          .filter((l) => l.startsWith('herald_rate_limited_total'))
          .join(', ')}`,
      );
      console.log(`[abuse] flood: ${JSON.stringify(flooded)}`);
      console.log(`[abuse] batches: ${JSON.stringify(batched)}`);
      console.log(`[abuse] slowloris: ${JSON.stringify(stalled)}`);
      console.log(`[abuse] victims, under attack: ${JSON.stringify(figures)}`);

      // The flood was answered with cheap refusals, not database work, and the socket was cut.
      expect(flooded.rateLimited).toBeGreaterThan(0);
      expect(Number(flooded.ok)).toBeLessThan(500);
      expect((flooded.closing as Array<{ code: string }>)[0]?.code).toBe('HERALD_ERR_RATE_LIMITED');
      // The batch flood got its key's recipients budget (500 a second, about 5,000 in 10 s) and 429s.
      expect(Number(batched.rateLimited)).toBeGreaterThan(0);
      expect(Number(batched.notifications)).toBeLessThanOrEqual(500 * 12);
      expect(batched.other).toBe(0);
      // Connections over the per-address cap were closed at once, the rest at the header/body timeouts.
      expect(stalled).toMatchObject({ opened: 300, capped: 300 - CONNECTIONS_PER_ADDRESS, stillOpen: 0 });
      expect(stalled.timedOut).toBe(CONNECTIONS_PER_ADDRESS);
      expect(Number(stalled.longestLivedMs)).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
      // Everyone else is served on time. What this guards against is a stall: without the limits
      // the same attack left other users unanswered for over 10 s. It is not a speed measurement
      // (that is the bench's job): the attack, Herald, PostgreSQL, Redis and the victims share this
      // machine's 2 cores, so the victims' figures move with its load: a quiet run saw 50-72 ms for
      // a notification under attack, a loaded CI run 175 ms (unread) and 316 ms (notification),
      // with its calm phase at 29 and 72 ms. A victim's send also shares the app's queue with the batch
      // flood's admitted 500 a second (REST accept, queue, worker, socket): a wider bound.
      expect(figures.samples.unread).toBeGreaterThan(50);
      expect(figures.unreadP95).toBeLessThan(250);
      expect(figures.healthzP95).toBeLessThan(250);
      expect(figures.notificationP95).toBeLessThan(500);
    } finally {
      flood.kill();
      batches.kill();
      slowloris.kill();
      for (const v of victims) v.disconnect();
      agent.destroy();
    }
  }, 90_000);
});

describe('a flood of Web Push socket events', () => {
  it("is answered with codes (validation, endpoint, rate limited) until the socket is cut, and another user's notification still arrives promptly", async () => {
    const malloryId = `push-flood-${uid()}`;
    const mallory = io(herald.url, {
      auth: { token: await token(malloryId) },
      transports: ['websocket'],
      reconnection: false,
    });
    const victimId = `push-victim-${uid()}`;
    const victim = io(herald.url, { auth: { token: await token(victimId) }, transports: ['websocket'] });
    const arrived = new Map<string, number>();
    victim.on('notification', (n: { title: string }, ack?: (r: { ok: true }) => void) => {
      arrived.set(n.title, performance.now());
      ack?.({ ok: true });
    });
    try {
      await Promise.all(
        [mallory, victim].map((s) => new Promise<void>((resolve) => s.once('connect', () => resolve()))),
      );
      const { publicKey } = (await mallory.timeout(5000).emitWithAck('push:key', {})) as { publicKey: string };
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
      // Valid-looking: a public address (an IP, so no DNS), the browser keys a push service would get.
      const valid = (i: number) => ({
        endpoint: `https://93.184.216.34/push/${i}`,
        keys,
        publicKey,
        expirationTime: null,
      });
      // In this order, the first two come while the write budget lasts (events 0 and 10).
      const junk: unknown[] = [
        { ...valid(0), endpoint: 'https://10.0.0.1/push' },
        { ...valid(0), publicKey: 'B'.repeat(87) },
        null,
        'subscribe me',
        42,
        [],
        {},
        { endpoint: 'javascript:alert(1)', keys: { p256dh: 'a', auth: 'b' }, publicKey },
        {
          endpoint: `https://push.example/${'x'.repeat(5000)}`,
          keys: { p256dh: 'A'.repeat(300), auth: 'b' },
          publicKey,
        },
      ];
      const events: Array<(i: number) => [string, unknown]> = [
        (i) => ['push:subscribe', junk[i % junk.length]],
        (i) => ['push:subscribe', valid(i)],
        () => ['push:key', {}],
        (i) => ['push:unsubscribe', { endpoint: valid(i - 3).endpoint }],
        (i) => ['push:unsubscribe', i % 2 ? null : { endpoint: 7 }],
      ];
      const replies: Record<string, number> = {};
      const closing: Array<{ code: string }> = [];
      mallory.on('closing', (event: { code: string }) => closing.push(event));
      const cut = new Promise<void>((resolve) => mallory.once('disconnect', () => resolve()));
      let emitted = 0;
      // 500 events a second, 25 times what the socket's write budget refills; until the server cuts it.
      const flooding = (async () => {
        while (mallory.connected && emitted < 3000) {
          for (let i = 0; i < 10; i++, emitted++) {
            const [name, payload] = (events[emitted % events.length] as (i: number) => [string, unknown])(emitted);
            mallory.emit(name, payload, (r: { ok?: boolean; code?: string } | undefined) => {
              const key = r?.ok ? 'ok' : (r?.code ?? 'no code');
              replies[key] = (replies[key] ?? 0) + 1;
            });
          }
          await sleep(20);
        }
      })();
      await sleep(100);
      // Meanwhile, a send to someone else.
      const sentAt = performance.now();
      const sent = await api(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId: victimId }, title: 'during the push flood' },
      });
      expect(sent.status).toBe(202);
      await eventually(() => arrived.has('during the push flood'), 10_000);
      const latency = (arrived.get('during the push flood') ?? Number.NaN) - sentAt;
      await cut;
      await flooding;
      console.log(`[abuse] push flood: ${emitted} emitted, replies ${JSON.stringify(replies)}, victim ${latency} ms`);

      expect(latency).toBeLessThan(1000);
      // Every answer carried a code this contract names; the first ones did the work, then refusals, then the cut.
      expect(Object.keys(replies).sort()).toEqual([
        'HERALD_ERR_PUSH_ENDPOINT',
        'HERALD_ERR_PUSH_KEY_ROTATED',
        'HERALD_ERR_RATE_LIMITED',
        'HERALD_ERR_VALIDATION',
        'ok',
      ]);
      expect(replies.HERALD_ERR_RATE_LIMITED).toBeGreaterThanOrEqual(50);
      expect(closing).toEqual([expect.objectContaining({ code: 'HERALD_ERR_RATE_LIMITED', reconnect: true })]);
      const answered = Object.values(replies).reduce((a, b) => a + b, 0);
      expect(answered).toBeLessThan(300);
      expect(emitted).toBeGreaterThan(answered);
      // What got through stored at most the browsers one user may have.
      const [stored] = await query<{ n: number }>(
        schema.url,
        `SELECT count(*)::int AS n FROM push_subscriptions p JOIN subscribers s ON s.id = p.subscriber_id
          WHERE s.external_id = $1`,
        [malloryId],
      );
      expect(replies.ok).toBeGreaterThan(0);
      expect(stored?.n).toBeGreaterThan(0);
      expect(stored?.n).toBeLessThanOrEqual(20);
      // The server is well: running, answering, nothing logged as failed.
      expect(herald.child.exitCode).toBeNull();
      expect((await fetch(`${herald.url}/healthz`)).status).toBe(200);
      expect(await victim.timeout(2000).emitWithAck('push:key', {})).toEqual({ ok: true, publicKey });
      expect(herald.output()).not.toMatch(/socket request failed|"level":(50|60)/);
    } finally {
      mallory.disconnect();
      victim.disconnect();
    }
  });
});
