#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
// Herald's benchmark harness (`npm run bench`, or `npm run bench -- --quick`).
//
// The same workloads run against (1) Herald — one `all` process: REST accept, PostgreSQL, BullMQ
// on Redis, Socket.IO with JWT auth and acks; (2) a bare Socket.IO server in the tutorials' style;
// (3) a raw `ws` server sending the same frames (the ceiling). Then, for the `--cluster`
// scenarios, two-node topologies on the sharded Redis adapter: Herald as 2 api nodes + 1 worker
// against 2 bare Socket.IO nodes on the same adapter, clients split over the nodes and sends
// spread over them. Load clients and the sender are separate processes. The `push` scenario is
// Herald's alone (Web Push to browsers with no tab open, to a local sink standing in for the push
// services), against a ceiling: the same posts by the web-push package alone. Results go to
// docs/benchmarks.md with a chart.
import { createECDH, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { dropQueuePrefix } from '@herald/test-support';
import { createSigner } from 'fast-jwt';
import hdr from 'hdr-histogram-js';
import pg from 'pg';
import { cpuSeconds, helper, machineCpu, rss, startServer } from './lib/proc.mjs';
import { writeReport } from './lib/report.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    scenarios: { type: 'string', default: 'idle,stream,broadcast,topic,burst,reconnect,push' },
    targets: { type: 'string', default: 'herald,socketio,socketio-acks,ws' },
    /** Scenarios also run on two nodes (Herald and bare Socket.IO on the sharded Redis adapter); '' for none. */
    cluster: { type: 'string', default: 'stream,burst' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    clients: { type: 'string', default: '4' },
    /** Draw the report again from a results file a previous run wrote, without running anything. */
    report: { type: 'string' },
  },
});
const Q = values.quick;
/** The report's path; relative to the repository root, as `npm run bench` runs from there. */
const OUT = resolve(ROOT, values.out);
/** The raw figures, next to the report. */
const OUT_JSON = OUT.replace(/\.md$/, '.json');
// A full run takes many minutes and its results are written at the very end: a path that cannot
// be written must stop it now, not then.
const outProblem = checkOut(OUT);
if (outProblem) {
  process.stderr.write(`bench: ${outProblem}\n`);
  process.exit(2);
}
const PROFILES = {
  full: {
    idle: 10_000,
    streamUsers: 1000,
    streamRate: 2000,
    streamSeconds: 10,
    broadcastUsers: 5000,
    broadcasts: 20,
    topicSubscribers: 100_000,
    topicOnline: 5000,
    topicSends: 10,
    burst: 100_000,
    burstUsers: 1000,
    reconnect: 5000,
    pushBrowsers: 10_000,
  },
  quick: {
    idle: 2000,
    streamUsers: 500,
    streamRate: 2000,
    streamSeconds: 5,
    broadcastUsers: 1000,
    broadcasts: 5,
    topicSubscribers: 20_000,
    topicOnline: 1000,
    topicSends: 5,
    burst: 20_000,
    burstUsers: 1000,
    reconnect: 1000,
    pushBrowsers: 2000,
  },
  // Proves the harness works end to end (the test suite runs it); its figures mean nothing.
  smoke: {
    idle: 100,
    streamUsers: 50,
    streamRate: 200,
    streamSeconds: 1,
    broadcastUsers: 50,
    broadcasts: 2,
    topicSubscribers: 200,
    topicOnline: 50,
    topicSends: 2,
    burst: 1000,
    burstUsers: 50,
    reconnect: 100,
    pushBrowsers: 50,
  },
};
const profile = values.smoke ? 'smoke' : Q ? 'quick' : 'full';
const SIZES = PROFILES[profile];
const scenarios = values.scenarios.split(',');
/** Scenarios only Herald has (the baselines have no Web Push): the other targets skip them. */
const HERALD_ONLY = new Set(['push']);
const targets = values.targets.split(',').filter(Boolean);
const clusterScenarios = values.cluster.split(',').filter(Boolean);
/** The two-node targets, named after the single-process ones they are compared with. */
const CLUSTER_TARGETS = { herald: 'herald-2', socketio: 'socketio-2' };
const clusterTargets = clusterScenarios.length
  ? targets.filter((k) => CLUSTER_TARGETS[k]).map((k) => CLUSTER_TARGETS[k])
  : [];
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const API_KEY = `hk_bench_${randomBytes(16).toString('hex')}`;
const JWT_SECRET = randomBytes(32).toString('hex');
const schema = `herald_bench_${Date.now()}`;
const queuePrefix = `{herald-bench-${Date.now()}}`;
const clusterSchema = `${schema}_cluster`;
const clusterPrefix = `{herald-bench-cluster-${Date.now()}}`;

const tty = process.stderr.isTTY;
function progress(line) {
  if (tty) process.stderr.write(`\r\x1b[2K${line}`);
  else process.stderr.write(`${line}\n`);
}
function done(line) {
  if (tty) process.stderr.write('\r\x1b[2K');
  process.stderr.write(`${line}\n`);
}

const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256' });
const usersNamed = (prefix, n) =>
  Array.from({ length: n }, (_, i) => {
    const userId = `${prefix}-${i}`;
    return { userId, token: sign({ sub: userId, aud: 'default', exp: Math.floor(Date.now() / 1000) + 7200 }) };
  });

const HERALD_MAIN = join(ROOT, 'apps/api/dist/main.js');
/** The socket window before a push (HERALD_PUSH_WINDOW_MS): Herald's default 4 s would only make the push scenario wait. */
const PUSH_WINDOW_MS = 500;
/** The Herald processes' data directories (made when they start), removed when the run ends. */
let DATA_ROOT = '';
const heraldEnv = (schemaName, prefix, dataDir) => ({
  DATABASE_URL: `${POSTGRES}?schema=${schemaName}`,
  HERALD_API_KEY: API_KEY,
  HERALD_JWT_SECRET: JWT_SECRET,
  HERALD_QUEUE_PREFIX: prefix,
  HERALD_DATA_DIR: join(DATA_ROOT, dataDir),
  HERALD_DEMO: 'false',
  HERALD_WORKER_CONCURRENCY: '16',
  // The load generators are one client address with one API key, sending as fast as allowed:
  // the per-address connection cap and the per-key rate limit would measure themselves.
  HERALD_MAX_CONNECTIONS_PER_ADDRESS: '0',
  HERALD_RATE_LIMIT_PER_MINUTE: '0',
  HERALD_RECIPIENTS_PER_SECOND: '0',
  // The push scenario's push service is a sink on loopback, over http. Without an active push
  // subscription (every other scenario) the worker's gate queues no push job, so neither matters there.
  HERALD_PUSH_ALLOW_PRIVATE: 'true',
  HERALD_PUSH_WINDOW_MS: String(PUSH_WINDOW_MS),
  LOG_LEVEL: 'warn',
  PORT: '0',
});
const profiling = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const RUNNING = /Herald is running at (\S+)/;

/**
 * A target: how its clients speak (`kind`), where they connect and send (`urls`), its processes,
 * and for Herald the database schema it runs in (scenarios that seed or count rows).
 */
const target = (kind, processes, schemaName) => ({
  kind,
  schema: schemaName,
  urls: processes.map((p) => p.url).filter(Boolean),
  pids: processes.map((p) => p.pid),
  children: processes.map((p) => p.child),
});

async function startTargets() {
  DATA_ROOT = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const pool = new pg.Client({ connectionString: POSTGRES });
  await pool.connect();
  await pool.query(`CREATE SCHEMA "${schema}"`);
  await pool.query(`CREATE SCHEMA "${clusterSchema}"`);
  await pool.end();
  const servers = {};
  const node = (script, env = {}) =>
    startServer(process.execPath, [...profiling, join(ROOT, 'bench/baselines', script)], env, /listening (\d+)/);
  if (targets.includes('herald')) {
    const env = { ...heraldEnv(schema, queuePrefix, 'bench'), HERALD_ADAPTER: 'none' };
    servers.herald = target(
      'herald',
      [await startServer(process.execPath, [...profiling, HERALD_MAIN], env, RUNNING)],
      schema,
    );
  }
  if (targets.includes('socketio')) servers.socketio = target('socketio', [await node('socketio-server.mjs')]);
  if (targets.includes('socketio-acks')) {
    servers['socketio-acks'] = target('socketio', [await node('socketio-server.mjs', { BENCH_ACKS: '1' })]);
  }
  if (targets.includes('ws')) servers.ws = target('ws', [await node('ws-server.mjs')]);
  if (clusterTargets.includes('herald-2')) {
    const env = { ...heraldEnv(clusterSchema, clusterPrefix, 'bench-cluster'), HERALD_ADAPTER: 'sharded' };
    const migrated = spawnSync(process.execPath, [HERALD_MAIN, 'migrate'], { env: { ...process.env, ...env } });
    if (migrated.status !== 0) throw new Error(`migrations failed:\n${migrated.stderr}`);
    // The first node seeds the API key; then the second node and the worker.
    const first = await startServer(process.execPath, [HERALD_MAIN, '--role', 'api'], env, RUNNING);
    const rest = await Promise.all([
      startServer(process.execPath, [HERALD_MAIN, '--role', 'api'], env, RUNNING),
      startServer(process.execPath, [HERALD_MAIN, '--role', 'worker'], env, /Herald worker is running/),
    ]);
    servers['herald-2'] = target('herald', [first, ...rest], clusterSchema);
  }
  if (clusterTargets.includes('socketio-2')) {
    const env = { BENCH_ADAPTER: 'sharded' };
    servers['socketio-2'] = target(
      'socketio',
      await Promise.all([node('socketio-server.mjs', env), node('socketio-server.mjs', env)]),
    );
  }
  return servers;
}

async function stopTargets(servers) {
  for (const s of Object.values(servers)) for (const child of s.children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  for (const name of [schema, clusterSchema]) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  await client.end();
  for (const prefix of [queuePrefix, clusterPrefix]) await dropQueuePrefix(prefix, process.env.REDIS_URL);
  if (DATA_ROOT) rmSync(DATA_ROOT, { recursive: true, force: true });
}

/** Load clients spread over N processes. */
async function clientPool(n) {
  const procs = await Promise.all(Array.from({ length: n }, () => helper(join(ROOT, 'bench/lib/client-worker.mjs'))));
  const split = (users) => procs.map((_, i) => users.filter((_, j) => j % procs.length === i));
  return {
    pids: procs.map((p) => p.child.pid),
    /** Connects `users`, spread evenly over the target's nodes (`urls`). */
    async connect(kind, urls, users) {
      const parts = split(users.map((u, i) => ({ ...u, url: urls[i % urls.length] })));
      const replies = await Promise.all(
        procs.map((p, i) => p.ask({ type: 'connect', kind, users: parts[i] }, 'connected')),
      );
      return {
        n: replies.reduce((a, r) => a + r.n, 0),
        failed: replies.reduce((a, r) => a + r.failed, 0),
        ms: Math.max(...replies.map((r) => r.ms)),
      };
    },
    async reconnect() {
      const replies = await Promise.all(procs.map((p) => p.ask({ type: 'reconnect' }, 'reconnected')));
      return {
        n: replies.reduce((a, r) => a + r.n, 0),
        failed: replies.reduce((a, r) => a + r.failed, 0),
        ms: Math.max(...replies.map((r) => r.ms)),
      };
    },
    async stats(latencies = false, reset = false) {
      const replies = await Promise.all(procs.map((p) => p.ask({ type: 'stats', latencies, reset }, 'stats')));
      // When each notification (by data.n) reached its last client, over all processes.
      const lastArrivals = new Map();
      for (const [n, at] of replies.flatMap((r) => r.lastArrivals))
        lastArrivals.set(n, Math.max(at, lastArrivals.get(n) ?? 0));
      return {
        received: replies.reduce((a, r) => a + r.received, 0),
        duplicates: replies.reduce((a, r) => a + r.duplicates, 0),
        latencies: replies.flatMap((r) => r.latencies),
        latencyNs: replies.flatMap((r) => r.latencyNs),
        lastArrivals,
      };
    },
    /** Connects `users` (Herald, no cursors) all at once and times each one's catch-up to `synced`. */
    async catchUp(urls, users) {
      // Contiguous shares, so a list that alternates two kinds of user alternates in every process.
      const share = Math.ceil(users.length / procs.length);
      const parts = procs.map((_, i) =>
        users.slice(i * share, (i + 1) * share).map((u, j) => ({ ...u, url: urls[(i * share + j) % urls.length] })),
      );
      const replies = await Promise.all(procs.map((p, i) => p.ask({ type: 'catch-up', users: parts[i] }, 'caught-up')));
      return replies.flatMap((r) => r.results);
    },
    async close() {
      await Promise.all(procs.map((p) => p.ask({ type: 'close' }, 'closed')));
    },
    exit() {
      for (const p of procs) p.child.send({ type: 'exit' });
    },
  };
}

function percentiles(latencies) {
  if (latencies.length === 0) return { p50: null, p95: null, p99: null, max: null };
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000, numberOfSignificantValueDigits: 3 });
  for (const v of latencies) h.recordValue(Math.max(1, Math.min(600_000, v)));
  return {
    p50: h.getValueAtPercentile(50),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    max: h.maxValue,
  };
}

async function send(sender, msg, label) {
  const off = sender.on((m) => {
    if (m.type === 'progress') progress(`${label}: ${m.accepted.toLocaleString()} accepted, ${m.errors} errors`);
  });
  const result = await sender.ask({ type: 'send', ...msg }, 'done');
  off();
  return result;
}

/** Waits until `expected` deliveries arrived (or nothing new for `idleMs`), showing progress. */
async function waitDelivered(clients, expected, label, idleMs = 15_000) {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const s = await clients.stats();
    progress(`${label}: ${s.received.toLocaleString()} / ${expected.toLocaleString()} delivered`);
    if (s.received >= expected) return Date.now();
    if (s.received !== last) {
      last = s.received;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > idleMs) return lastChange;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The load generators' processes (clients and sender), for the CPU breakdown. */
const loadPids = [];

/**
 * Runs `fn` and adds where the machine's CPU went meanwhile, in % of one core: the target's own
 * processes (all nodes summed), PostgreSQL, Redis, the load generators; and how busy the whole
 * machine was (% of all its cores).
 */
const cpu = (pids, fn) => async () => {
  const used = (list) => list.reduce((a, pid) => a + cpuSeconds(pid), 0);
  const snapshot = () => ({ at: Date.now(), target: used(pids), load: used(loadPids), machine: machineCpu() });
  const before = snapshot();
  // The window ends when `fn` calls `stop` (when the last notification arrived), so the reading
  // and the throughput cover the same time; collecting stats and closing clients is left out.
  let after;
  const stop = () => {
    after ??= snapshot();
  };
  const result = await fn(stop);
  stop();
  const seconds = (after.at - before.at) / 1000;
  const pct = (v) => Math.round((100 * v) / seconds);
  const busy = after.machine.total - after.machine.idle - (before.machine.total - before.machine.idle);
  return {
    ...result,
    cpu: pct(after.target - before.target),
    cpuMs: Math.round(1000 * (after.target - before.target)),
    pgCpu: pct(after.machine.postgres - before.machine.postgres),
    pgCpuMs: Math.round(1000 * (after.machine.postgres - before.machine.postgres)),
    redisCpu: pct(after.machine.redis - before.machine.redis),
    loadCpu: pct(after.load - before.load),
    machineBusy: Math.round((100 * busy) / (after.machine.total - before.machine.total)),
  };
};

/**
 * A delivery scenario: connect `users`, send as `load` says (each notification to one of them,
 * or as broadcasts reaching all), wait until everything accepted has arrived, and report
 * throughput, latency, loss, duplicates and CPU.
 */
async function flow(t, clients, sender, name, users, load) {
  await clients.connect(t.kind, t.urls, users);
  await clients.stats(false, true);
  return cpu(t.pids, async (stop) => {
    const t0 = Date.now();
    const recipients = load.broadcast ? [] : users.map((u) => u.userId);
    const s = await send(
      sender,
      { kind: t.kind, urls: t.urls, apiKey: API_KEY, users: recipients, ...load },
      `${name} ${t.kind}`,
    );
    const expected = load.broadcast ? s.accepted * users.length : s.accepted;
    const end = await waitDelivered(clients, expected, `${name} ${t.kind}`);
    stop();
    const r = await clients.stats(true, true);
    await clients.close();
    return {
      sent: s.issued,
      accepted: s.accepted,
      acceptedPerSec: Math.round(s.accepted / (s.ms / 1000)),
      delivered: r.received,
      deliveredPerSec: Math.round(r.received / ((end - t0) / 1000)),
      lost: Math.max(0, expected - r.received),
      duplicates: r.duplicates,
      ...percentiles(r.latencies),
      ...(load.broadcast ? { laterP99: percentiles(withoutFirstQuarter(r.latencies, r.latencyNs)).p99 } : {}),
      acceptP99: percentiles(s.acceptMs).p99,
    };
  })();
}

/**
 * The latencies of all but the first quarter of the sends (by the sender's data.n): a process
 * that has just started takes its first broadcasts to thousands of sockets slower (cold code, first
 * writes on each socket), and on a machine this small a queue that forms then can last for several
 * of them. Reported beside the whole run's figures, for every target alike; the targets are judged
 * on the whole run.
 */
function withoutFirstQuarter(latencies, ns) {
  const sends = [...new Set(ns)].sort((a, b) => a - b);
  const first = new Set(sends.slice(0, Math.floor(sends.length / 4)));
  return latencies.filter((_, i) => !first.has(ns[i]));
}

/** The topic the `topic` scenario sends to. */
const TOPIC = 'bench-news';
/** Offline users whose catch-up on connect is timed, for a topic's members and for direct sends. */
const CATCH_UP_USERS = 100;

/** A POST to Herald's REST API with the bench's key; the reply's body, and when it came. */
async function heraldPost(url, path, body) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });
  const at = Date.now();
  if (res.status !== 202) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
  return { body: await res.json(), at };
}

/** A PostgreSQL client reading and writing a Herald target's schema. */
async function heraldDatabase(t) {
  const db = new pg.Client({ connectionString: POSTGRES });
  await db.connect();
  await db.query(`SET search_path TO "${t.schema}"`);
  return db;
}

/**
 * A topic of `n` members, `${prefix}-0` … `${prefix}-(n-1)`, straight into the database: through
 * the REST API (1,000 users a call) a 100,000-member topic alone would take longer than the sends.
 * Every member joined before the first send (window from 0).
 */
async function seedTopic(db, prefix, n) {
  await db.query(
    `INSERT INTO subscribers (id, app_id, external_id)
     SELECT gen_random_uuid()::text, 'default', $1 || '-' || i FROM generate_series(0, $2::int - 1) AS i`,
    [prefix, n],
  );
  await db.query(`INSERT INTO topics (app_id, name, subscriber_count) VALUES ('default', $1, $2)`, [TOPIC, n]);
  await db.query(
    `INSERT INTO topic_subscriptions (app_id, topic, external_id, subscriber_id, since_seq)
     SELECT app_id, $1, external_id, id, 0 FROM subscribers WHERE app_id = 'default' AND external_id LIKE $2`,
    [TOPIC, `${prefix}-%`],
  );
  // As autovacuum would have by the time a real topic is this big: plans for the real sizes.
  await db.query('ANALYZE subscribers, topic_subscriptions, topics');
}

/** Polls `read` (a count) until `done` says it is there or it stops moving for `idleMs`; the last count. */
async function settle(read, done, idleMs = 5000) {
  let last = await read();
  let lastChange = Date.now();
  while (!done(last) && Date.now() - lastChange < idleMs) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await read();
    if (now !== last) lastChange = Date.now();
    last = now;
  }
  return last;
}

/** Posts in flight at once in one Herald push job (pusher.ts `PARALLEL`), and so in the ceiling. */
const PUSH_INFLIGHT = 16;
/** What `aes128gcm` adds to a push message: an 86-byte header, a padding delimiter and a 16-byte tag. */
const PUSH_OVERHEAD = 86 + 1 + 16;

/**
 * `n` browsers that subscribed to push, straight into the database: users `${prefix}-0` … of the
 * `default` app, one active push subscription each, made with the app's current VAPID key, its
 * endpoint `${sinkUrl}/p/<i>` and keys as a browser makes them (a P-256 point, 16 random bytes;
 * web-push refuses others). Returns the subscriptions as web-push takes them.
 */
async function seedBrowsers(db, prefix, n, sinkUrl) {
  const [app] = (await db.query(`SELECT vapid_public_key FROM apps WHERE id = 'default'`)).rows;
  if (!app?.vapid_public_key) throw new Error('the default app has no VAPID key pair: Herald should have made one');
  const browsers = Array.from({ length: n }, (_, i) => ({
    endpoint: `${sinkUrl}/p/${i}`,
    keys: {
      p256dh: createECDH('prime256v1').generateKeys().toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  }));
  await db.query(
    `INSERT INTO subscribers (id, app_id, external_id)
     SELECT gen_random_uuid()::text, 'default', $1 || '-' || i FROM generate_series(0, $2::int - 1) AS i`,
    [prefix, n],
  );
  await db.query(
    `INSERT INTO push_subscriptions (id, app_id, subscriber_id, endpoint, p256dh, auth, public_key, status)
     SELECT gen_random_uuid()::text, 'default', s.id, x.endpoint, x.p256dh, x.auth, $5, 'active'
       FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(endpoint, p256dh, auth, i)
       JOIN subscribers s ON s.app_id = 'default' AND s.external_id = $1 || '-' || (x.i - 1)`,
    [
      prefix,
      browsers.map((b) => b.endpoint),
      browsers.map((b) => b.keys.p256dh),
      browsers.map((b) => b.keys.auth),
      app.vapid_public_key,
    ],
  );
  await db.query('ANALYZE subscribers, push_subscriptions');
  return browsers;
}

/** Pushes a second between a sink's first and last post. */
const perSecond = (s) =>
  s.posts > 1 && s.lastAt > s.firstAt ? Math.round(s.posts / ((s.lastAt - s.firstAt) / 1000)) : null;

/** p50 and p99 of catch-up times, and how many users got all `expected` notifications before `synced`. */
function catchUpFigures(results, expected) {
  const timed = results.filter((r) => !r.failed);
  const { p50, p99 } = percentiles(timed.map((r) => r.ms));
  const complete = timed.filter((r) => r.replayed === expected).length;
  return { p50, p99, complete: `${complete}/${results.length}` };
}

const SCENARIOS = {
  async idle(t, clients) {
    await new Promise((r) => setTimeout(r, 1000));
    const before = rss(t.pids[0]);
    const users = usersNamed(`idle-${t.kind}`, SIZES.idle);
    const c = await clients.connect(t.kind, t.urls, users);
    await new Promise((r) => setTimeout(r, 3000));
    const after = rss(t.pids[0]);
    await clients.close();
    return {
      connections: c.n,
      failed: c.failed,
      connectMs: c.ms,
      rssBefore: before,
      rssAfter: after,
      bytesPerConnection: Math.round((after - before) / Math.max(1, c.n)),
    };
  },

  stream: (t, clients, sender) =>
    flow(t, clients, sender, 'stream', usersNamed(`stream-${t.kind}`, SIZES.streamUsers), {
      total: SIZES.streamRate * SIZES.streamSeconds,
      rate: SIZES.streamRate,
      batchSize: 1,
      inflight: 64,
    }),

  async broadcast(t, clients, sender) {
    const users = usersNamed(`bc-${t.kind}`, SIZES.broadcastUsers);
    const r = await flow(t, clients, sender, 'broadcast', users, {
      total: SIZES.broadcasts,
      rate: 2,
      batchSize: 1,
      inflight: 4,
      broadcast: true,
    });
    return { broadcasts: r.accepted, recipients: users.length, ...r };
  },

  /**
   * A topic send to a big topic with a few of its members online. Herald: how soon the online ones
   * have it, how many rows a send writes, and how long an offline member's catch-up takes against
   * one who missed as many direct sends. The baselines have no topics, stored audience nor
   * catch-up: they broadcast to the same number of connected clients.
   */
  async topic(t, clients, sender) {
    const herald = t.kind === 'herald';
    const prefix = `topic-${t.kind}`;
    // Online members first, then the offline ones whose catch-up is timed; the rest never connect.
    const members = usersNamed(prefix, SIZES.topicOnline + (herald ? CATCH_UP_USERS : 0));
    const online = members.slice(0, SIZES.topicOnline);
    const db = herald ? await heraldDatabase(t) : null;
    try {
      if (herald) {
        progress(`topic ${t.kind}: seeding ${SIZES.topicSubscribers.toLocaleString()} members…`);
        await seedTopic(db, prefix, SIZES.topicSubscribers);
      }
      await clients.connect(t.kind, t.urls, online);
      await clients.stats(false, true);
      const r = await cpu(t.pids, async (stop) => {
        const acceptedAt = new Map();
        let atSend = null;
        if (herald) {
          // The first send from here, to count its rows right after its 202: acks take a worker's
          // dispatch and a socket round trip, so none has landed yet.
          const data = { t: Date.now(), n: 'rows' };
          const { body, at } = await heraldPost(t.urls[0], '/v1/notifications', {
            to: { topic: TOPIC },
            title: 'Bench rows',
            data,
          });
          const [row] = (
            await db.query(
              `SELECT (SELECT count(*) FROM notifications WHERE id = $1::uuid)::int AS notifications,
                      (SELECT count(*) FROM stream_entries WHERE notification_id = $1::uuid)::int AS stream_entries,
                      (SELECT count(*) FROM deliveries WHERE notification_id = $1::uuid)::int AS deliveries`,
              [body.id],
            )
          ).rows;
          acceptedAt.set(data.n, at);
          atSend = { id: body.id, ...row };
        }
        const s = await send(
          sender,
          {
            kind: t.kind,
            urls: t.urls,
            apiKey: API_KEY,
            users: [],
            total: SIZES.topicSends - (herald ? 1 : 0),
            rate: 2,
            batchSize: 1,
            inflight: 4,
            recordAccepts: true,
            ...(herald ? { topic: TOPIC } : { broadcast: true }),
          },
          `topic ${t.kind}`,
        );
        for (const [n, at] of s.acceptedAt) acceptedAt.set(n, at);
        const sends = acceptedAt.size;
        const expected = sends * online.length;
        await waitDelivered(clients, expected, `topic ${t.kind}`);
        stop();
        const stats = await clients.stats(true, true);
        // The worst send: from its 202 to the moment its last online member had it.
        const lastDeliveryMs = Math.max(
          ...[...acceptedAt].map(([n, at]) => (stats.lastArrivals.get(n) ?? Number.NaN) - at),
        );
        let receipts = null;
        if (atSend) {
          progress(`topic ${t.kind}: waiting for the receipts…`);
          const count = async () =>
            (await db.query('SELECT count(*)::int AS n FROM deliveries WHERE notification_id = $1::uuid', [atSend.id]))
              .rows[0].n;
          receipts = await settle(count, (n) => n >= online.length);
        }
        await clients.close();
        return {
          subscribers: herald ? SIZES.topicSubscribers : online.length,
          online: online.length,
          sends,
          delivered: stats.received,
          lost: Math.max(0, expected - stats.received),
          duplicates: stats.duplicates,
          ...percentiles(stats.latencies),
          lastDeliveryMs: Number.isNaN(lastDeliveryMs) ? null : lastDeliveryMs,
          rowsNotifications: atSend?.notifications ?? null,
          rowsStreamEntries: atSend?.stream_entries ?? null,
          rowsDeliveries: atSend?.deliveries ?? null,
          receipts,
        };
      })();
      if (!herald) return r;
      // The normal catch-up to compare with: users who each missed as many direct sends.
      const direct = usersNamed(`${prefix}-direct`, CATCH_UP_USERS);
      for (let round = 0; round < r.sends; round++) {
        await heraldPost(t.urls[0], '/v1/notifications/batch', {
          notifications: direct.map((u) => ({ to: { userId: u.userId }, title: `Bench direct #${round}` })),
        });
      }
      // Let the worker finish with them (to nobody online), so it does not compete with the catch-ups.
      const pending = async () =>
        (
          await db.query(
            `SELECT count(*)::int AS n FROM notifications WHERE app_id = 'default' AND status IN ('queued', 'processing')`,
          )
        ).rows[0].n;
      await settle(pending, (n) => n === 0, 10_000);
      // Both kinds in one wave, alternating, so the two figures share whatever else the machine does.
      progress(`topic ${t.kind}: catch-up of ${CATCH_UP_USERS} offline members and ${CATCH_UP_USERS} direct users…`);
      const offlineMembers = members.slice(SIZES.topicOnline);
      const results = await clients.catchUp(
        t.urls,
        offlineMembers.flatMap((u, i) => [u, direct[i]]),
      );
      const isMember = new Set(offlineMembers.map((u) => u.userId));
      const offline = catchUpFigures(
        results.filter((x) => isMember.has(x.userId)),
        r.sends,
      );
      const normal = catchUpFigures(
        results.filter((x) => !isMember.has(x.userId)),
        r.sends,
      );
      return {
        ...r,
        catchUpP50: offline.p50,
        catchUpP99: offline.p99,
        catchUpComplete: offline.complete,
        directCatchUpP50: normal.p50,
        directCatchUpP99: normal.p99,
        directCatchUpComplete: normal.complete,
      };
    } finally {
      await db?.end();
    }
  },

  burst: (t, clients, sender) =>
    flow(t, clients, sender, 'burst', usersNamed(`burst-${t.kind}`, SIZES.burstUsers), {
      total: SIZES.burst,
      rate: 0,
      batchSize: 500,
      inflight: 4,
    }),

  async reconnect(t, clients) {
    const users = usersNamed(`rc-${t.kind}`, SIZES.reconnect);
    await clients.connect(t.kind, t.urls, users);
    return cpu(t.pids, async (stop) => {
      const r = await clients.reconnect();
      stop();
      await clients.close();
      return {
        clients: users.length,
        reconnected: r.n,
        failed: r.failed,
        ms: r.ms,
        perSec: Math.round(r.n / (r.ms / 1000)),
      };
    })();
  },

  /**
   * Web Push (Herald only): one broadcast with nobody connected to `pushBrowsers` browsers that
   * subscribed to push; after the socket window the worker posts one push to each, to a sink that
   * answers 201. Then the ceiling: the same posts by web-push alone in a helper process.
   */
  async push(t) {
    const n = SIZES.pushBrowsers;
    const prefix = `push-${t.kind}`;
    const db = await heraldDatabase(t);
    const sink = await helper(join(ROOT, 'bench/lib/push-sink.mjs'));
    const sinkUrl = `http://127.0.0.1:${sink.ready.port}`;
    const sinkStats = () => sink.ask({ type: 'stats' }, 'stats');
    // The sink stands in for the push services: a load generator in the CPU breakdown.
    loadPids.push(sink.child.pid);
    try {
      progress(`push ${t.kind}: seeding ${n.toLocaleString()} browsers…`);
      const browsers = await seedBrowsers(db, prefix, n, sinkUrl);
      // The worker trusts "no browser subscribed" for 250 ms (PushGate): let that run out.
      await new Promise((r) => setTimeout(r, 500));
      const r = await cpu(t.pids, async (stop) => {
        const { body, at } = await heraldPost(t.urls[0], '/v1/notifications', {
          to: { broadcast: true },
          title: 'Bench push',
          body: 'One broadcast, nobody connected: a push to every browser',
          data: { n: 'push' },
        });
        await settle(
          async () => {
            const s = await sinkStats();
            progress(`push ${t.kind}: ${s.posts.toLocaleString()} / ${n.toLocaleString()} pushes`);
            return s.posts;
          },
          (posts) => posts >= n,
          15_000,
        );
        stop();
        const s = await sinkStats();
        const readRows = async () =>
          (
            await db.query(
              `SELECT count(*)::int AS rows, coalesce(sum(jsonb_array_length(attempts)), 0)::int AS attempts,
                      count(*) FILTER (WHERE status = 'sent')::int AS sent
                 FROM push_deliveries WHERE notification_id = $1::uuid`,
              [body.id],
            )
          ).rows[0];
        // The sink has a push a moment before the worker writes its attempt down: wait for those.
        let rows = await readRows();
        await settle(
          async () => {
            rows = await readRows();
            return rows.attempts;
          },
          (attempts) => attempts >= s.posts,
          5000,
        );
        return {
          browsers: n,
          pushes: s.posts,
          browsersReached: s.paths,
          lost: n - s.paths,
          duplicates: s.duplicates,
          lastPushMs: s.lastAt === null ? null : s.lastAt - at,
          lastPushAfterWindowMs: s.lastAt === null ? null : s.lastAt - at - PUSH_WINDOW_MS,
          windowMs: PUSH_WINDOW_MS,
          pushesPerSec: perSecond(s),
          bodyBytes: s.posts ? Math.round(s.bytes / s.posts) : null,
          rowsPushDeliveries: rows.rows,
          rowsSent: rows.sent,
          attempts: rows.attempts,
        };
      })();
      const per1000 = (ms) => (r.pushes ? Math.round((1000 * ms) / r.pushes) : null);
      Object.assign(r, { cpuMsPer1000: per1000(r.cpuMs), pgCpuMsPer1000: per1000(r.pgCpuMs) });

      progress(`push ${t.kind}: the ceiling (web-push alone)…`);
      await sink.ask({ type: 'reset' }, 'reset');
      const [keys] = (await db.query(`SELECT vapid_public_key, vapid_private_key FROM apps WHERE id = 'default'`)).rows;
      const ceiling = await helper(join(ROOT, 'bench/lib/push-ceiling.mjs'));
      try {
        const c = await ceiling.ask(
          {
            type: 'push',
            subscriptions: browsers,
            vapid: { publicKey: keys.vapid_public_key, privateKey: keys.vapid_private_key },
            subject: 'mailto:operator@herald.invalid',
            // As many bytes to encrypt as Herald's messages had.
            payloadBytes: (r.bodyBytes ?? 600) - PUSH_OVERHEAD,
            inflight: PUSH_INFLIGHT,
            ttl: 600,
            urgency: 'normal',
          },
          'pushed',
        );
        const s = await sinkStats();
        return {
          ...r,
          ceilingPushes: s.posts,
          ceilingFailed: c.failed,
          ceilingDuplicates: s.duplicates,
          ceilingPushesPerSec: perSecond(s),
          ceilingCpu: c.ms ? Math.round((100 * c.cpuMs) / c.ms) : null,
          ceilingCpuMsPer1000: c.posts ? Math.round((1000 * c.cpuMs) / c.posts) : null,
          ceilingBodyBytes: s.posts ? Math.round(s.bytes / s.posts) : null,
        };
      } finally {
        ceiling.child.kill();
      }
    } finally {
      loadPids.splice(loadPids.indexOf(sink.child.pid), 1);
      sink.child.send({ type: 'exit' });
      // The browsers go with their users; the push_deliveries rows stay with the notification.
      await db.query(`DELETE FROM subscribers WHERE app_id = 'default' AND external_id LIKE $1`, [`${prefix}-%`]);
      await db.end();
      // The worker trusts "some browser subscribed" for 10 s (PushGate): a Herald scenario after
      // this one would meanwhile queue a push check per dispatch that finds nobody.
      if (scenarios.indexOf('push') < scenarios.length - 1) await new Promise((r) => setTimeout(r, 10_500));
    }
  },
};

async function main() {
  if (values.report) {
    const run = JSON.parse(readFileSync(values.report, 'utf8'));
    await writeReport(OUT, { ...run, started: new Date(run.started) });
    done(`report written to ${OUT}`);
    process.exit(0);
  }
  const started = new Date();
  progress('starting servers…');
  const servers = await startTargets();
  const clients = await clientPool(Number(values.clients));
  const sender = await helper(join(ROOT, 'bench/lib/sender.mjs'));
  loadPids.push(...clients.pids, sender.child.pid);
  const results = {};
  try {
    for (const name of scenarios) {
      results[name] = {};
      const kinds = HERALD_ONLY.has(name)
        ? targets.filter((k) => k === 'herald')
        : [...targets, ...(clusterScenarios.includes(name) ? clusterTargets : [])];
      for (const kind of kinds) {
        progress(`${name} ${kind}…`);
        results[name][kind] = await SCENARIOS[name](servers[kind], clients, sender);
        done(`${name.padEnd(10)} ${kind.padEnd(10)} ${JSON.stringify(results[name][kind])}`);
      }
    }
  } finally {
    clients.exit();
    sender.child.kill();
    await stopTargets(servers);
  }
  const run = { started, profile, sizes: SIZES, results };
  // The raw figures too, so the report can be drawn again (`--report <file>`) without rerunning.
  const figures = `${JSON.stringify(run, null, 2)}\n`;
  try {
    writeFileSync(OUT_JSON, figures);
  } catch (error) {
    // Checked before the run, but a disk can fill up meanwhile: never lose the run.
    const rescue = join(mkdtempSync(join(tmpdir(), 'herald-bench-')), 'benchmarks.json');
    writeFileSync(rescue, figures);
    throw new Error(
      `could not write ${OUT_JSON} (${error.message}); the figures are in ${rescue}: draw the report with --report ${rescue} --out <file>`,
    );
  }
  await writeReport(OUT, run);
  done(`results written to ${OUT}`);
  process.exit(0);
}

/** Why the report cannot be written to `out` (a sentence), or undefined when it can. */
function checkOut(out) {
  if (!out.endsWith('.md')) return `--out must name a Markdown file ending in .md (got ${values.out}).`;
  const dir = dirname(out);
  if (!existsSync(dir)) {
    return `the folder of --out does not exist: ${dir}. Create it first (mkdir -p ${dir}), or pick another path.`;
  }
  if (!statSync(dir).isDirectory()) return `--out must be in a folder, but ${dir} is a file.`;
  // Really write there (permissions, a read-only file system, a full disk), with every file the run writes.
  for (const file of [out, OUT_JSON, join(dir, 'benchmarks.png')]) {
    if (existsSync(file) && statSync(file).isDirectory()) return `--out would write ${file}, which is a folder.`;
  }
  const probe = join(dir, `.bench-write-check-${process.pid}`);
  try {
    writeFileSync(probe, 'x');
    rmSync(probe, { force: true });
    for (const file of [out, OUT_JSON]) if (existsSync(file)) accessSync(file, constants.W_OK);
  } catch (error) {
    return `cannot write the report in ${dir}: ${error.message}.`;
  }
  return undefined;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
