/**
 * Delivery guarantees under faults, with real processes: every notification accepted with a 202
 * reaches every recipient exactly once (as the SDK presents it), whatever crashes in between.
 * Sends to users, topic sends and broadcasts alike; topic sends are also watched from devices
 * that follow the README's protocol without the SDK (support/clients.ts: `protocolDevice`,
 * judged by `streamTally`), and from users outside the topic, who must get none of them.
 * Each test prints the numbers it checks: sent, delivered, duplicates, lost.
 */
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PushMessage } from '@herald/protocol';
import { startPushService, startRedisServer } from '@herald/test-support';
import { io as connectClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CursorRule,
  type ProtocolDevice,
  protocolDevice,
  sdkUser,
  streamTally,
  type TestUser,
  tally,
} from './support/clients.js';
import {
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  MAIN,
  query,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const processes: HeraldProcess[] = [];
const users: TestUser[] = [];
const devices: ProtocolDevice[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const u of users.splice(0)) u.close();
  for (const d of devices.splice(0)) d.close();
  for (const p of processes.splice(0)) await p.stop('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A deployment of its own: a PostgreSQL schema, a queue prefix, and env for its processes. */
async function deployment(extra: Record<string, string> = {}) {
  const schema = await createSchema();
  const data = tempDir();
  const queuePrefix = `{herald-e2e-${uid()}}`;
  cleanups.push(() => schema.drop());
  cleanups.push(() => data.remove());
  cleanups.push(() => dropQueuePrefix(queuePrefix));
  const env = {
    DATABASE_URL: schema.url,
    HERALD_API_KEY: API_KEY,
    HERALD_QUEUE_PREFIX: queuePrefix,
    HERALD_DATA_DIR: data.path,
    HERALD_JOB_LOCK_MS: '2000',
    HERALD_ACK_TIMEOUT_MS: '2000',
    ...extra,
  };
  execFileSync(process.execPath, [MAIN, 'migrate'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' } });
  const start = async (role: 'api' | 'worker', more: Record<string, string> = {}) => {
    const p = await startHerald({
      env: { ...env, ...more },
      args: ['--role', role],
      ready: role === 'worker' ? /(Herald worker is running)/ : undefined,
    });
    processes.push(p);
    return p;
  };
  return { schema, env, start };
}

const send = async (base: string, body: object) => {
  const res = await api<{ id: string }>(base, '/v1/notifications', { key: API_KEY, body });
  return res;
};

function report(name: string, numbers: Record<string, number | string[]>) {
  console.log(
    `[guarantees] ${name}: ${Object.entries(numbers)
      .filter(([, v]) => typeof v === 'number' || v.length > 0)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
}

/**
 * A topic with `members` in it, and protocol devices (no SDK) for some members and for users who
 * are not in it: what each device must get, and nothing else, is checked by `streamTally`.
 */
async function topicAudience(
  base: string,
  topic: string,
  members: number,
  strangers: number,
  rule: CursorRule = 'catch-up',
) {
  const names = Array.from({ length: members + strangers }, (_, i) => `${topic}-${i}`);
  const joined = await api(base, `/v1/topics/${topic}/subscribers`, {
    key: API_KEY,
    method: 'PUT',
    body: { userIds: names.slice(0, members) },
  });
  expect(joined.status).toBe(200);
  const all = await Promise.all(names.map((name) => protocolDevice(base, API_KEY, name, rule)));
  devices.push(...all);
  await Promise.all(all.map((d) => d.synced()));
  return { members: all.slice(0, members), strangers: all.slice(members), all };
}

/**
 * Topic sends one after another (`title #i`) until stopped, each answered 202; resolves with the
 * ids, in the order they were accepted.
 */
function topicBurst(base: () => string, topic: string, everyMs = 25) {
  const accepted: string[] = [];
  let stopping = false;
  const running = (async () => {
    for (let i = 0; !stopping; i++) {
      const res = await send(base(), { to: { topic }, title: `${topic} #${i}` });
      expect(res.status).toBe(202);
      accepted.push(res.body.id);
      await sleep(everyMs);
    }
  })();
  return {
    accepted,
    async stop() {
      stopping = true;
      await running;
      return accepted;
    },
  };
}

/** Waits until every device has every id `expected` says; prints what is missing if it does not happen. */
async function allArrived(devices: ProtocolDevice[], expected: (d: ProtocolDevice) => string[], timeoutMs = 30_000) {
  await eventually(
    () => devices.every((d) => expected(d).every((id) => d.arrivals.some((a) => a.id === id))),
    timeoutMs,
  ).catch((error) => {
    console.log(streamTally(devices, expected));
    throw error;
  });
}

describe('delivery guarantees under faults', () => {
  it('kill -9 of the worker in the middle of a large fan-out and a burst of topic sends: every recipient gets each exactly once', async () => {
    // A list of users past what the accept writes itself: the worker fans it out, chunk by chunk.
    // Topic sends have no rows to fan out: a burst of them goes on across the kill, some claimed
    // by the killed worker, some queued while no worker runs.
    const d = await deployment({ HERALD_FANOUT_CHUNK: '100', HERALD_RECIPIENTS_PER_SECOND: '0' });
    const apiNode = await d.start('api');
    let worker = await d.start('worker');
    const total = 5000;
    await query(
      d.schema.url,
      `INSERT INTO subscribers (id, app_id, external_id) SELECT gen_random_uuid()::text, 'default', 'fo-' || g FROM generate_series(0, $1 - 1) g`,
      [total],
    );
    const online = Array.from({ length: 100 }, (_, i) => sdkUser(() => apiNode.url, API_KEY, `fo-${i * 50}`));
    users.push(...online);
    await Promise.all(online.map((u) => u.connected()));
    const topic = await topicAudience(apiNode.url, 'fo-topic', 12, 4);
    // Members running the SDK too, whose connections drop while the new worker drains the backlog.
    const blipping: Array<{ io: { engine: { close(): void } } }> = [];
    let sdkConnects = 0;
    const sdkMembers = Array.from({ length: 6 }, (_, i) =>
      sdkUser(() => apiNode.url, API_KEY, `fo-topic-sdk-${i}`, {
        wrapSocket: (s) => {
          blipping.push(s);
          s.on('connect', () => sdkConnects++);
        },
      }),
    );
    users.push(...sdkMembers);
    const joined = await api(apiNode.url, '/v1/topics/fo-topic/subscribers', {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: sdkMembers.map((u) => u.userId) },
    });
    expect(joined.status).toBe(200);
    await Promise.all(sdkMembers.map((u) => u.connected()));
    const burst = topicBurst(() => apiNode.url, 'fo-topic');

    const everyone = Array.from({ length: total }, (_, i) => `fo-${i}`);
    const sent = await send(apiNode.url, { to: { userIds: everyone }, title: 'Everyone' });
    expect(sent.status).toBe(202);
    const id = sent.body.id;
    const countRows = async () =>
      Number(
        (
          await query<{ n: string }>(d.schema.url, 'SELECT count(*) AS n FROM deliveries WHERE notification_id = $1', [
            id,
          ])
        )[0]?.n,
      );
    const atKill = await eventually(async () => {
      const n = await countRows();
      return n > 0 ? n : undefined;
    }, 20_000).catch((e) => {
      console.log('WORKER OUTPUT', worker.output(), 'API OUTPUT', apiNode.output());
      throw e;
    });
    // A burst within the burst: the worker is killed with some of these in hand, the rest queued.
    const batch = await api<{ results: Array<{ id: string }> }>(apiNode.url, '/v1/notifications/batch', {
      key: API_KEY,
      body: {
        notifications: Array.from({ length: 50 }, (_, i) => ({ to: { topic: 'fo-topic' }, title: `batch #${i}` })),
      },
    });
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect(batch.status).toBe(202);
    expect(atKill).toBeLessThan(total);
    const topicSendsAtKill = burst.accepted.length;
    // Topic sends the killed worker had claimed and not finished.
    const [held] = await query<{ n: number }>(
      d.schema.url,
      `SELECT count(*)::int AS n FROM notifications WHERE status = 'processing' AND target ? 'topic'`,
    );

    const first = topic.members[0] as ProtocolDevice;
    const arrivedBeforeRestart = first.arrivals.length;
    worker = await d.start('worker', { HERALD_FANOUT_CHUNK: '1000' });
    // The SDK's connections drop as soon as the backlog starts to arrive (out of order: the new
    // worker dispatches it 8 at a time), and come back during it.
    await eventually(() => first.arrivals.length > arrivedBeforeRestart, 10_000, 5);
    for (const s of blipping) s.io.engine.close();
    await sleep(300);
    const topicSends = [...(await burst.stop()), ...batch.body.results.map((r) => r.id)];
    await eventually(async () => {
      const [n] = await query<{ status: string }>(d.schema.url, 'SELECT status FROM notifications WHERE id = $1', [id]);
      return n?.status === 'dispatched';
    }, 30_000);
    const rows = await query<{ n: string; subscribers: string; seqs: string }>(
      d.schema.url,
      'SELECT count(*) AS n, count(DISTINCT subscriber_id) AS subscribers, count(DISTINCT (subscriber_id, seq)) AS seqs FROM deliveries WHERE notification_id = $1',
      [id],
    );
    expect(rows[0]).toEqual({ n: String(total), subscribers: String(total), seqs: String(total) });
    await eventually(() => online.every((u) => u.received.some((n) => n.id === id)), 20_000);
    const numbers = { ...tally(online, () => [id]), rowsAtKill: atKill, recipients: total };
    report('worker kill -9 mid fan-out', numbers);
    expect(numbers).toMatchObject({ delivered: online.length, duplicates: 0, lost: 0 });
    expect(online.every((u) => u.popups.length === 1)).toBe(true);

    const mine = (device: ProtocolDevice) => (topic.members.includes(device) ? topicSends : []);
    await allArrived(topic.all, mine);
    await eventually(
      () => sdkMembers.every((u) => topicSends.every((t) => u.received.some((n) => n.id === t))),
      20_000,
    );
    await sleep(500); // what a stranger might wrongly get, or a late copy, has time to come
    const streamed = { ...streamTally(topic.all, mine), topicSendsAtKill, heldByKilledWorker: held?.n ?? 0 };
    report('worker kill -9 mid topic burst (protocol devices)', streamed);
    const viaSdk = tally(sdkMembers, () => topicSends);
    report('worker kill -9 mid topic burst (SDK, reconnecting during the backlog)', viaSdk);
    expect(topicSendsAtKill).toBeGreaterThan(0);
    expect(topicSends.length).toBeGreaterThan(topicSendsAtKill + 50);
    // A job the killed worker held is sent again when taken over: a live copy the device drops by
    // id is allowed (the README says so); a replay below a cursor, or a copy within catch-up, is not.
    expect(streamed).toMatchObject({ lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0 });
    expect(streamed.delivered).toBe(topic.members.length * topicSends.length);
    expect(viaSdk).toMatchObject({
      sent: sdkMembers.length * topicSends.length,
      lost: 0,
      duplicates: 0,
      unexpected: 0,
    });
    expect(sdkConnects).toBeGreaterThanOrEqual(2 * sdkMembers.length);
  });

  it('kill -9 of the worker while pushes wait out their socket window: after it restarts, each browser with no tab open gets each push exactly once', async () => {
    const service = await startPushService();
    cleanups.push(() => service.close());
    const { start } = await deployment({ HERALD_PUSH_ALLOW_PRIVATE: 'true', HERALD_PUSH_WINDOW_MS: '2000' });
    const server = await start('api');
    let worker = await start('worker');
    // Browsers of 12 users, each subscribed at the push service and registered over a socket, then closed.
    const users = Array.from({ length: 12 }, (_, i) => `pushed-${i}-${uid()}`);
    const browsers = await Promise.all(
      users.map(async (userId) => {
        const { body } = await api<{ token: string }>(server.url, '/v1/tokens', { key: API_KEY, body: { userId } });
        const socket = connectClient(server.url, { auth: { token: body.token }, transports: ['websocket'] });
        try {
          const key = (await socket.timeout(10_000).emitWithAck('push:key', {})) as { publicKey: string };
          const sub = await service.subscribe(key.publicKey);
          const reply = (await socket
            .timeout(10_000)
            .emitWithAck('push:subscribe', { endpoint: sub.endpoint, keys: sub.keys, publicKey: key.publicKey })) as {
            ok: boolean;
          };
          expect(reply.ok).toBe(true);
          return sub;
        } finally {
          socket.disconnect();
        }
      }),
    );
    // One send to all of them and a broadcast (a stream audience): both dispatched, both checks
    // still delayed in Redis, when the worker is killed.
    const direct = await send(server.url, { to: { userIds: users }, title: 'To each of you' });
    const everyone = await send(server.url, { to: { broadcast: true }, title: 'To everyone' });
    expect([direct.status, everyone.status]).toEqual([202, 202]);
    const ids = [direct.body.id, everyone.body.id];
    await eventually(async () => {
      const states = await Promise.all(
        ids.map(
          async (id) =>
            (await api<{ status: string }>(server.url, `/v1/notifications/${id}`, { key: API_KEY })).body.status,
        ),
      );
      return states.every((s) => s === 'dispatched');
    });
    worker.child.kill('SIGKILL');
    await worker.exited;
    expect((await Promise.all(browsers.map((b) => service.messages(b.clientHash)))).flat()).toEqual([]);

    worker = await start('worker');
    const received = async () =>
      Promise.all(
        browsers.map(async (b) =>
          (await service.messages(b.clientHash)).map((m) => (JSON.parse(m) as PushMessage).notification.data.herald.id),
        ),
      );
    await eventually(async () => (await received()).every((got) => ids.every((id) => got.includes(id))), 30_000);
    // A moment more for any second copy, then: exactly one of each, per browser.
    await sleep(2500);
    const got = await received();
    const duplicates = got.flatMap((g) => g.filter((id, i) => g.indexOf(id) !== i));
    report('worker kill -9 with pushes waiting', {
      browsers: browsers.length,
      pushes: got.flat().length,
      duplicates: duplicates.length,
    });
    expect(got.map((g) => [...g].sort())).toEqual(browsers.map(() => [...ids].sort()));
  });

  it('kill -9 of the socket server in the middle of a burst of topic sends: clients reconnect, catch up, and miss nothing', async () => {
    const d = await deployment();
    const port = await freePort();
    let sockets = await d.start('api', { PORT: String(port) });
    const rest = await d.start('api');
    await d.start('worker');
    const online = Array.from({ length: 50 }, (_, i) => sdkUser(() => sockets.url, API_KEY, `ks-${i}`));
    users.push(...online);
    await Promise.all(online.map((u) => u.connected()));
    // Half of them in a topic, and protocol devices in it and out of it.
    const inTopic = new Set(online.slice(0, 25).map((u) => u.userId));
    const joined = await api(rest.url, '/v1/topics/ks-topic/subscribers', {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: [...inTopic] },
    });
    expect(joined.status).toBe(200);
    const topic = await topicAudience(sockets.url, 'ks-topic', 10, 4);

    const ids: string[] = [];
    const sendRound = async (label: string) => {
      for (let i = 0; i < 5; i++) {
        const res = await send(rest.url, { to: { broadcast: true }, title: `${label} ${i}` });
        expect(res.status).toBe(202);
        ids.push(res.body.id);
      }
      const res = await api<{ results: Array<{ id: string }> }>(rest.url, '/v1/notifications/batch', {
        key: API_KEY,
        body: { notifications: online.map((u) => ({ to: { userId: u.userId }, title: `${label} for ${u.userId}` })) },
      });
      return res.body.results.map((r) => r.id);
    };
    const personal = new Map<string, string[]>();
    const addPersonal = (list: string[]) => {
      for (const [i, id] of list.entries()) {
        const userId = online[i]?.userId ?? '';
        personal.set(userId, [...(personal.get(userId) ?? []), id]);
      }
    };
    addPersonal(await sendRound('before'));
    await eventually(() => online.every((u) => u.received.length === 6), 20_000);

    const burst = topicBurst(() => rest.url, 'ks-topic');
    await eventually(() => burst.accepted.length >= 10);
    sockets.child.kill('SIGKILL');
    await sockets.exited;
    const topicSendsAtKill = burst.accepted.length;
    addPersonal(await sendRound('while down'));
    await sleep(500);
    sockets = await d.start('api', { PORT: String(port) });
    addPersonal(await sendRound('after'));
    const topicSends = await burst.stop();

    const expected = (u: TestUser) => [
      ...ids,
      ...(personal.get(u.userId) ?? []),
      ...(inTopic.has(u.userId) ? topicSends : []),
    ];
    await eventually(
      () => online.every((u) => new Set(u.received.map((n) => n.id)).size === expected(u).length),
      30_000,
    );
    const numbers = tally(online, expected);
    report('socket server kill -9', numbers);
    expect(numbers).toMatchObject({ duplicates: 0, lost: 0, unexpected: 0 });
    expect(numbers.delivered).toBe(numbers.sent);

    // Protocol devices: the broadcasts, and the topic sends for the members.
    const mine = (device: ProtocolDevice) => [...ids, ...(topic.members.includes(device) ? topicSends : [])];
    await allArrived(topic.all, mine);
    await sleep(500);
    const streamed = { ...streamTally(topic.all, mine), topicSendsAtKill };
    report('socket server kill -9 mid topic burst (protocol devices)', streamed);
    expect(topicSends.length).toBeGreaterThan(topicSendsAtKill);
    expect(topic.all.every((device) => device.handshakes.length >= 2)).toBe(true);
    expect(streamed).toMatchObject({ lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0 });
    expect(streamed.replayed).toBeGreaterThan(0);
  });

  it('Redis restarted (AOF) mid-stream of personal and topic sends: no accepted notification is lost', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const port = await freePort();
    const redisArgs = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir.path,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ];
    const startRedis = async () => {
      const child = spawn('redis-server', redisArgs, { stdio: 'ignore' });
      await eventually(() => {
        try {
          return execFileSync('redis-cli', ['-p', String(port), 'ping'])
            .toString()
            .includes('PONG');
        } catch {
          return false;
        }
      }, 10_000);
      return child;
    };
    let redis = await startRedis();
    cleanups.push(() => {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
      } catch {
        // already down
      }
    });
    const d = await deployment({ REDIS_URL: `redis://127.0.0.1:${port}` });
    const apiNode = await d.start('api');
    await d.start('worker');
    const user = sdkUser(() => apiNode.url, API_KEY, 'rr-1', { syncIntervalMs: 2000 });
    users.push(user);
    await user.connected();
    // rr-1 is in the topic too; the protocol devices do not sync on a timer as the SDK does.
    const topic = await topicAudience(apiNode.url, 'rr-topic', 6, 2);
    const joined = await api(apiNode.url, '/v1/topics/rr-topic/subscribers', {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: ['rr-1'] },
    });
    expect(joined.status).toBe(200);

    const accepted: string[] = [];
    const topicSends: string[] = [];
    let refused = 0;
    const attempt = async (body: object, into: string[]) => {
      const res = await send(apiNode.url, body).catch(() => ({ status: 0, body: { id: '' } }));
      if (res.status === 202) into.push(res.body.id);
      else {
        expect([503, 0]).toContain(res.status);
        refused++;
      }
    };
    for (let i = 0; i < 150; i++) {
      if (i === 50) {
        // A graceful restart: Redis writes its AOF and comes back with it.
        execFileSync('redis-cli', ['-p', String(port), 'shutdown']);
        await new Promise((r) => redis.once('exit', r));
      }
      if (i === 80) redis = await startRedis();
      await Promise.all([
        attempt({ to: { userId: 'rr-1' }, title: `#${i}` }, accepted),
        attempt({ to: { topic: 'rr-topic' }, title: `topic #${i}` }, topicSends),
      ]);
      await sleep(20);
    }
    const everything = [...accepted, ...topicSends];
    await eventually(() => everything.every((id) => user.received.some((n) => n.id === id)), 45_000);
    const numbers = { ...tally([user], () => everything), refusedWhileDown: refused };
    report('Redis restart mid-stream', numbers);
    expect(refused).toBeGreaterThan(0);
    expect(numbers).toMatchObject({ duplicates: 0, lost: 0, unexpected: 0 });
    expect(numbers.delivered).toBe(everything.length);

    const mine = (device: ProtocolDevice) => (topic.members.includes(device) ? topicSends : []);
    // A topic send the worker published while this node's deliveries subscription was still
    // reconnecting reached no open socket then; the node sends it again once the subscription is
    // back (gateway/resend-streams.ts), as it does personal ones: every member gets every topic
    // send live, without reconnecting.
    await allArrived(topic.all, mine, 20_000);
    const live = streamTally(topic.all, mine);
    expect(live).toMatchObject({ lost: 0, unexpected: 0 });
    // Then every device reconnects with its cursors (as the SDK keeps them): no gap, nothing
    // replayed at or below a cursor, no copy at the seam.
    const liveOnly = new Map(topic.all.map((device) => [device, new Set(device.arrivals.map((a) => a.id))]));
    for (const device of topic.all) device.drop();
    await eventually(() => topic.all.every((device) => device.handshakes.length >= 2), 10_000);
    await allArrived(topic.all, mine, 20_000);
    await sleep(500);
    const streamed = {
      ...streamTally(topic.all, mine),
      onlyAtReconnect: topic.members.reduce(
        (n, device) => n + mine(device).filter((id) => !liveOnly.get(device)?.has(id)).length,
        0,
      ),
    };
    report('Redis restart mid-stream (topic, protocol devices)', streamed);
    expect(topicSends.length).toBeGreaterThan(50);
    expect(streamed).toMatchObject({ lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0, onlyAtReconnect: 0 });
  });

  // A gateway whose deliveries subscription comes back (Redis cut it off, as it does a slow
  // pub/sub client, or restarted) sends its open sockets what was published meanwhile: what is
  // still queued for its users (`resendQueued`) and the topic sends and broadcasts no device of
  // theirs received since their catch-up (gateway/resend-streams.ts).
  it('topic sends published while Redis cut a node’s deliveries subscription off reach its open devices once it is back', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const d = await deployment({ REDIS_URL: redis.url });
    const apiNode = await d.start('api');
    await d.start('worker');
    const topic = await topicAudience(apiNode.url, 'cut-topic', 6, 0);
    const burst = topicBurst(() => apiNode.url, 'cut-topic', 10);
    // Personal sends in the same window, for comparison: those are re-sent.
    const personal: string[] = [];
    let sendingPersonal = true;
    const personalLoop = (async () => {
      while (sendingPersonal) {
        const res = await send(apiNode.url, { to: { userId: 'cut-topic-0' }, title: 'personal' });
        expect(res.status).toBe(202);
        personal.push(res.body.id);
        await sleep(10);
      }
    })();
    await sleep(300);
    const cut = () => {
      const list = execFileSync('redis-cli', ['-p', String(redis.port), 'CLIENT', 'LIST', 'TYPE', 'pubsub']).toString();
      for (const line of list.split('\n').filter((l) => l.includes('name=herald:gateway:deliveries:'))) {
        const id = /\bid=(\d+)/.exec(line)?.[1] ?? '';
        execFileSync('redis-cli', ['-p', String(redis.port), 'CLIENT', 'KILL', 'ID', id]);
      }
    };
    const atFirstCut = burst.accepted.length;
    for (let i = 0; i < 5; i++) {
      cut();
      await sleep(100);
    }
    const atLastCut = burst.accepted.length;
    await sleep(300);
    const ids = await burst.stop();
    sendingPersonal = false;
    await personalLoop;
    const dev0 = topic.members[0] as ProtocolDevice;
    await eventually(() => personal.every((id) => dev0.arrivals.some((a) => a.id === id)), 10_000);
    const theirs = (device: ProtocolDevice) => (device === dev0 ? [...ids, ...personal] : ids);
    await allArrived(topic.members, theirs, 10_000).catch(() => {});
    const numbers = streamTally(topic.members, theirs);
    const missing = ids.map((id, i) => (dev0.arrivals.some((a) => a.id === id) ? -1 : i)).filter((i) => i >= 0);
    console.log(
      `[guarantees] topic sends #${atFirstCut}..#${atLastCut} went out while the subscription was being cut; ${dev0.userId} misses #${missing}`,
    );
    report('deliveries subscription cut off', numbers);
    expect(numbers).toMatchObject({ lost: 0, unexpected: 0 });
  });

  it('a client that drops between receiving and acking gets it again on reconnect, and shows it once', async () => {
    const d = await deployment();
    const apiNode = await d.start('api');
    await d.start('worker');
    let dropNext = true;
    // What the server sent again as catch-up on the reconnect (marked replay).
    const replayed: string[] = [];
    const user = sdkUser(() => apiNode.url, API_KEY, 'dr-1', {
      wrapSocket(socket) {
        // Swallow the ack of the first notification and cut the connection right after it arrived.
        const on = socket.on.bind(socket);
        socket.on = ((event: string, handler: (...args: unknown[]) => void) => {
          if (event !== 'notification') return on(event, handler);
          return on(event, (payload: unknown, ack: unknown) => {
            if (dropNext) {
              dropNext = false;
              handler(payload, () => {});
              socket.io.engine.close();
              return;
            }
            const sent = payload as { id: string; replay?: boolean };
            if (sent.replay) replayed.push(sent.id);
            handler(payload, ack);
          });
        }) as typeof socket.on;
      },
    });
    users.push(user);
    await user.connected();
    const reconnected = new Promise<void>((resolve) => {
      let syncs = user.synced;
      const off = user.client.on('synced', () => {
        if (++syncs >= 2) {
          off();
          resolve();
        }
      });
    });
    const { body } = await send(apiNode.url, { to: { userId: 'dr-1' }, title: 'Fragile' });
    await reconnected;
    await eventually(async () => {
      const [row] = await query<{ status: string }>(
        d.schema.url,
        'SELECT status FROM deliveries WHERE notification_id = $1',
        [body.id],
      );
      return row?.status === 'delivered';
    });
    const numbers = {
      ...tally([user], () => [body.id]),
      resentByCatchUp: replayed.filter((id) => id === body.id).length,
      popups: user.popups.length,
    };
    report('drop before ack', numbers);
    expect(numbers.resentByCatchUp).toBe(1);
    expect(numbers).toMatchObject({ delivered: 1, duplicates: 0, lost: 0, popups: 1 });
  });

  it('1,000 notifications to an offline user arrive in order on connect, none popped up when stale', async () => {
    const d = await deployment({ HERALD_POPUP_FRESHNESS_SECONDS: '2' });
    const apiNode = await d.start('api');
    await d.start('worker');
    const ids: string[] = [];
    for (let b = 0; b < 2; b++) {
      // 500 recipients each: a second apart, within the key's recipients budget (500 a second).
      if (b > 0) await sleep(1100);
      const res = await api<{ results: Array<{ id: string }> }>(apiNode.url, '/v1/notifications/batch', {
        key: API_KEY,
        body: {
          notifications: Array.from({ length: 500 }, (_, i) => ({ to: { userId: 'of-1' }, title: `#${b * 500 + i}` })),
        },
      });
      expect(res.status).toBe(202);
      ids.push(...res.body.results.map((r) => r.id));
    }
    await sleep(2500);
    const user = sdkUser(() => apiNode.url, API_KEY, 'of-1');
    users.push(user);
    await user.connected();
    await eventually(() => user.received.length >= 1000, 30_000);
    const numbers = { ...tally([user], () => ids), popups: user.popups.length };
    report('1,000 while offline', numbers);
    expect(user.received.map((n) => n.id)).toEqual(ids);
    const seqs = user.received.map((n) => n.seq);
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0))).toBe(true);
    expect(numbers).toMatchObject({ sent: 1000, delivered: 1000, duplicates: 0, lost: 0, popups: 0 });

    // The same backlog while still fresh: one summary popup, not a thousand.
    const fresh: string[] = [];
    const res = await api<{ results: Array<{ id: string }> }>(apiNode.url, '/v1/notifications/batch', {
      key: API_KEY,
      body: { notifications: Array.from({ length: 50 }, (_, i) => ({ to: { userId: 'of-2' }, title: `fresh #${i}` })) },
    });
    fresh.push(...res.body.results.map((r) => r.id));
    const second = sdkUser(() => apiNode.url, API_KEY, 'of-2');
    users.push(second);
    await second.connected();
    expect(second.received.map((n) => n.id)).toEqual(fresh);
    expect(second.popups).toEqual(['50 new notifications']);
  });
});
