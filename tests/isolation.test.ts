/**
 * Two installations on one Redis, each started as `npm start` starts it (embedded database, a data
 * directory of its own, no queue prefix given): neither takes the other's jobs, delivers to the
 * other's users, or counts the other's traffic, and every Redis key and channel they use is under
 * their own installation's prefix. The same user id in the same app id on both, so that any
 * cross-talk would reach a socket.
 */

import { execFileSync } from 'node:child_process';
import { ADMIN_NAMESPACE, AdminEvent } from '@herald/protocol';
import { type RedisServer, startRedisServer } from '@herald/test-support';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  api,
  createSchema,
  eventually,
  type HeraldProcess,
  MAIN,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const PER_INSTALLATION = 20;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Installation {
  name: string;
  herald: HeraldProcess;
  prefix: string;
  apiKey: string;
  cookie: string;
  user: Socket;
  received: Array<{ id: string; title: string }>;
  admin(path: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** `npm start` in a data directory of its own, on the given Redis; signs its admin in and connects user `alice`. */
async function install(name: string, redis: RedisServer, env: Record<string, string> = {}): Promise<Installation> {
  const data = tempDir();
  cleanups.push(() => data.remove());
  const started = Date.now();
  const herald = await startHerald({
    env: { HERALD_DATA_DIR: data.path, REDIS_URL: redis.url, ...env },
    timeoutMs: 120_000,
  });
  console.log(`[isolation] installation ${name} started in ${Date.now() - started} ms`);
  cleanups.push(() => herald.stop());
  const out = herald.output();
  const prefix = out.match(/keys and channels under (\S+)/)?.[1] ?? '';
  const apiKey = out.match(/API key\s+(hk_\S+)/)?.[1] ?? '';
  const [, email = '', password = ''] = out.match(/admin\s+(\S+) \/ (\S+)/) ?? [];
  expect(prefix).toMatch(/^\{herald:[0-9a-f]{12}\}$/);
  expect(apiKey).not.toBe('');

  const signIn = await fetch(new URL('/admin/api/session', herald.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(signIn.status).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

  const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: apiKey, body: { userId: 'alice' } });
  const user = io(herald.url, { auth: { token: body.token }, transports: ['websocket'], reconnection: false });
  cleanups.push(() => user.disconnect());
  const received: Installation['received'] = [];
  user.on('notification', (n: { id: string; title: string }, ack: (r: unknown) => void) => {
    received.push({ id: n.id, title: n.title });
    ack({ ok: true });
  });
  await new Promise<void>((resolve, reject) => {
    user.once('connect', resolve);
    user.once('connect_error', reject);
  });
  const admin = async (path: string) => {
    const res = await fetch(new URL(path, herald.url), { headers: { cookie } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { name, herald, prefix, apiKey, cookie, user, received, admin };
}

/** 20 notifications to `alice` of each installation, interleaved; returns each one's accepted ids. */
async function sendBoth(installations: Installation[]): Promise<Map<Installation, string[]>> {
  const ids = new Map(installations.map((i) => [i, [] as string[]]));
  await Promise.all(
    installations.map(async (inst) => {
      for (let n = 0; n < PER_INSTALLATION; n++) {
        const res = await api<{ id: string }>(inst.herald.url, '/v1/notifications', {
          key: inst.apiKey,
          body: { to: { userId: 'alice' }, title: `${inst.name} #${n}` },
        });
        expect(res.status).toBe(202);
        ids.get(inst)?.push(res.body.id);
      }
    }),
  );
  return ids;
}

/** Every key and (sharded) channel in Redis, checked to be under one of the installations' prefixes. */
async function expectOnlyOwnNames(redis: RedisServer, installations: Installation[]) {
  const client = new Redis(redis.url);
  try {
    const keys = (await client.keys('*')) as string[];
    const channels = [
      ...((await client.call('PUBSUB', 'CHANNELS')) as string[]),
      ...((await client.call('PUBSUB', 'SHARDCHANNELS')) as string[]),
    ];
    const owners = installations.map((i) => [i.prefix, i.prefix.replace(/[{}]/g, '')]);
    const stray = [...keys, ...channels].filter(
      (name) => !owners.some((names) => names.some((prefix) => name.startsWith(`${prefix}:`))),
    );
    expect(stray).toEqual([]);
    // And each installation did write under its own prefix.
    for (const inst of installations) expect(keys.some((k) => k.startsWith(`${inst.prefix}:`))).toBe(true);
    return { keys, channels };
  } finally {
    client.disconnect();
  }
}

describe('two installations on one Redis, no queue prefix given', () => {
  it('deliver every notification live to their own user only, and count only their own', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const [a, b] = await Promise.all([install('A', redis), install('B', redis)]);
    expect(a.prefix).not.toBe(b.prefix);

    const ids = await sendBoth([a, b]);
    for (const inst of [a, b]) {
      const own = ids.get(inst) ?? [];
      await eventually(() => own.every((id) => inst.received.some((n) => n.id === id)), 20_000);
    }
    // Late cross-talk would show up now.
    await new Promise((r) => setTimeout(r, 1000));
    for (const inst of [a, b]) {
      expect(inst.received.map((n) => n.id).sort()).toEqual([...(ids.get(inst) ?? [])].sort());
      expect(inst.received.every((n) => n.title.startsWith(`${inst.name} #`))).toBe(true);
    }

    for (const inst of [a, b]) {
      // Counters are per minute and flushed every second: wait for the acks to be counted.
      const overview = await eventually(async () => {
        const res = await inst.admin('/admin/api/overview');
        const o = res.body as { lastHour: { delivered: number }; presence: { sockets: number } };
        // Presence is reported every few seconds.
        return o.lastHour?.delivered >= PER_INSTALLATION && o.presence?.sockets >= 1 ? o : undefined;
      }, 20_000);
      expect(overview).toMatchObject({
        lastHour: { sent: PER_INSTALLATION, delivered: PER_INSTALLATION },
        presence: { nodes: 1, users: 1, sockets: 1 },
        queue: { waiting: 0, active: 0, failed: 0 },
      });
      const queue = (await inst.admin('/admin/api/queue')).body as { counts: Record<string, number> };
      expect(queue.counts.failed).toBe(0);
      expect(queue.counts.completed).toBeGreaterThan(0);
      expect(queue.counts.completed).toBeLessThanOrEqual(PER_INSTALLATION);
    }
    await expectOnlyOwnNames(redis, [a, b]);
  }, 240_000);

  it('keep their Socket.IO adapter and deliveries channels apart when clustered (sharded adapter)', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const env = { HERALD_ADAPTER: 'sharded' };
    const [a, b] = await Promise.all([install('A', redis, env), install('B', redis, env)]);

    // A's dashboard, live: it must hear of A's sends only.
    const heard: string[] = [];
    const dashboard = io(`${a.herald.url}${ADMIN_NAMESPACE}`, {
      transports: ['websocket'],
      reconnection: false,
      // Not multiplexed over the user's connection to the same server: this one carries the cookie.
      forceNew: true,
      extraHeaders: { cookie: a.cookie },
    });
    cleanups.push(() => dashboard.disconnect());
    dashboard.on(AdminEvent.Accepted, (n: { title: string }) => heard.push(n.title));
    await new Promise<void>((resolve, reject) => {
      dashboard.once('connect', resolve);
      dashboard.once('connect_error', reject);
    });

    const ids = await sendBoth([a, b]);
    for (const inst of [a, b]) {
      const own = ids.get(inst) ?? [];
      await eventually(() => own.every((id) => inst.received.some((n) => n.id === id)), 20_000);
    }
    await eventually(() => heard.length >= PER_INSTALLATION, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    for (const inst of [a, b]) {
      expect(inst.received.map((n) => n.id).sort()).toEqual([...(ids.get(inst) ?? [])].sort());
    }
    expect(heard).toHaveLength(PER_INSTALLATION);
    expect(heard.every((title) => title.startsWith('A #'))).toBe(true);

    const { channels } = await expectOnlyOwnNames(redis, [a, b]);
    for (const inst of [a, b]) {
      expect(channels).toContain(`${inst.prefix}:deliveries`);
      expect(channels.some((c) => c.startsWith(`${inst.prefix.replace(/[{}]/g, '')}:socket.io#`))).toBe(true);
    }
  }, 240_000);

  it('lets the api and worker processes of one deployment, booting at once, agree on a prefix from their database', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const schema = await createSchema();
    cleanups.push(() => schema.drop());
    const data = tempDir();
    cleanups.push(() => data.remove());
    const apiKey = `hk_${uid()}${uid()}${uid()}`;
    const env = { DATABASE_URL: schema.url, REDIS_URL: redis.url, HERALD_API_KEY: apiKey, HERALD_DATA_DIR: data.path };
    execFileSync(process.execPath, [MAIN, 'migrate'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' } });

    // Both boot at once, each finding no installation yet.
    const [apiNode, ...workers] = await Promise.all([
      startHerald({ env, args: ['--role', 'api'] }),
      ...[1, 2].map(() =>
        startHerald({ env, args: ['--role', 'worker'], ready: /Herald worker is running .*queue prefix (\S+)\)/ }),
      ),
    ]);
    for (const p of [apiNode, ...workers]) if (p) cleanups.push(() => p.stop());
    const prefix = apiNode?.output().match(/keys and channels under (\S+)/)?.[1];
    expect(prefix).toMatch(/^\{herald:[0-9a-f]{12}\}$/);
    expect(workers.map((w) => w?.url)).toEqual([prefix, prefix]);

    const { body } = await api<{ token: string }>(apiNode?.url ?? '', '/v1/tokens', {
      key: apiKey,
      body: { userId: 'sam' },
    });
    const user = io(apiNode?.url ?? '', {
      auth: { token: body.token },
      transports: ['websocket'],
      reconnection: false,
    });
    cleanups.push(() => user.disconnect());
    const received: string[] = [];
    user.on('notification', (n: { id: string }, ack: (r: unknown) => void) => {
      received.push(n.id);
      ack({ ok: true });
    });
    await new Promise<void>((resolve, reject) => {
      user.once('connect', resolve);
      user.once('connect_error', reject);
    });
    const sent = await api<{ id: string }>(apiNode?.url ?? '', '/v1/notifications', {
      key: apiKey,
      body: { to: { userId: 'sam' }, title: 'through a worker process' },
    });
    expect(sent.status).toBe(202);
    await eventually(() => received.includes(sent.body.id), 20_000);
  }, 120_000);

  it('refuses to start a second installation given the same HERALD_QUEUE_PREFIX, saying why and what to do', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const prefix = `{herald-e2e-${uid()}}`;
    const installs = await Promise.all(
      ['A', 'B'].map(async () => {
        const schema = await createSchema();
        cleanups.push(() => schema.drop());
        const data = tempDir();
        cleanups.push(() => data.remove());
        return {
          DATABASE_URL: schema.url,
          HERALD_DATA_DIR: data.path,
          REDIS_URL: redis.url,
          HERALD_QUEUE_PREFIX: prefix,
        };
      }),
    );
    const first = await startHerald({ env: installs[0] ?? {} });
    cleanups.push(() => first.stop());
    await expect(startHerald({ env: installs[1] ?? {} })).rejects.toThrow(
      /herald: Another Herald installation \(id [0-9a-f-]{36}\) already uses the Redis key prefix \{herald-e2e-[0-9a-f]+\} on this Redis/,
    );
    // The first one is unharmed, and may restart.
    await first.stop();
    const again = await startHerald({ env: installs[0] ?? {} });
    cleanups.push(() => again.stop());
    expect(again.output()).toContain(`keys and channels under ${prefix}`);

    // Redis restarts without its data: the running installation claims its prefix again at once,
    // so the second one is still refused.
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => {});
    cleanups.push(() => client.disconnect());
    await redis.restartEmpty();
    const owner = await eventually(async () => (await client.get(`${prefix}:installation`)) ?? undefined, 15_000);
    await expect(startHerald({ env: installs[1] ?? {} })).rejects.toThrow(/already uses the Redis key prefix/);

    // Taken all the same (in the seconds before it was claimed again): the running one stops,
    // saying why, rather than take the other's jobs and deliver its notifications.
    await client.set(`${prefix}:installation`, 'another-installation', 'EX', 60);
    expect(await again.exited).toBe(1);
    expect(again.output()).toMatch(
      /herald: Another Herald installation \(id another-installation\) already uses the Redis key prefix/,
    );
    expect(owner).toMatch(/^[0-9a-f-]{36}$/);
  }, 120_000);
});
