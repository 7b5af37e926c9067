import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NotificationPayload } from '@herald/protocol';
import { Redis } from 'ioredis';

/** The machine's PostgreSQL and Redis (CI's and a developer's alike); override per run. */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A short random name, so that concurrent test runs never share a schema, queue prefix or user. */
export const uid = (prefix = '') => `${prefix}${randomBytes(5).toString('hex')}`;

/** Polls `check` until it returns something truthy, which it resolves with (or throws after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Deletes every Redis key of a queue prefix, and its installation's claim on its channels. */
export async function dropQueuePrefix(prefix: string, redisUrl = REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    // The installation's claim on its Socket.IO channels, named without the braces.
    await redis.del(`${prefix.replace(/[{}]/g, '')}:socket.io:installation`);
  } finally {
    redis.disconnect();
  }
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGSTOP: the server keeps its connections open but answers nothing, as a frozen host would. */
  freeze(): void;
  /** SIGCONT after `freeze`. */
  thaw(): void;
  /** kill -9: Redis is down (until `start`). */
  kill(): Promise<void>;
  /** A fresh, empty server on the same port, unless one is running. */
  start(): Promise<void>;
  /** kill -9 and a fresh, empty server on the same port: Redis restarted without its data. */
  restartEmpty(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * A private `redis-server` without persistence on a free port (never the machine's shared one):
 * for tests that stop, freeze or wipe Redis.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freeTcpPort());
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with code ${code}`))),
    );
    exited.catch(() => {});
    await Promise.race([eventually(() => pingOnce(url), 10_000), exited]);
    return child;
  };
  let child = await launch();
  const running = () => child.exitCode === null && child.signalCode === null;
  // A test runner that exits (or gives up on a hung test) must not leave the server behind.
  const orphan = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', orphan);
  const kill = async () => {
    if (!running()) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };
  const start = async () => {
    if (!running()) child = await launch();
  };
  return {
    port,
    url,
    freeze: () => {
      if (running()) child.kill('SIGSTOP');
    },
    thaw: () => {
      if (running()) child.kill('SIGCONT');
    },
    kill,
    start,
    async restartEmpty() {
      await kill();
      await start();
    },
    async stop() {
      process.off('exit', orphan);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pingOnce(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A TCP port that was free a moment ago (the kernel's pick). */
export async function freeTcpPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** A browser subscription the mock push service made, as `PushSubscription.toJSON()` gives it, and its handle there. */
export interface MockSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  clientHash: string;
}

/**
 * A local push service (the npm package `web-push-testing`): it makes subscriptions for an
 * application server key, checks each push's VAPID JWT against that key, decrypts `aes128gcm`,
 * keeps the plaintexts, and answers 410 for a subscription expired on request. Its endpoints are
 * `http://localhost:<port>/notify/<clientHash>`: Herald must run with HERALD_PUSH_ALLOW_PRIVATE.
 */
export interface PushService {
  url: string;
  subscribe(applicationServerKey: string): Promise<MockSubscription>;
  /** The decrypted messages this subscription received, oldest first. */
  messages(clientHash: string): Promise<string[]>;
  expire(clientHash: string): Promise<void>;
  close(): Promise<void>;
}

export async function startPushService(): Promise<PushService> {
  const { createRequire } = await import('node:module');
  const script = createRequire(import.meta.url).resolve('web-push-testing/src/bin/server.js');
  const port = await freeTcpPort();
  const child = spawn(process.execPath, [script, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web-push-testing did not start: ${output}`)), 10_000);
    child.stdout?.on('data', (d) => {
      output += d;
      if (/Server running/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`web-push-testing exited with ${code}: ${output}`)));
  });
  const url = `http://localhost:${port}`;
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`web-push-testing ${path}: ${res.status} ${text}`);
    return text.startsWith('{') ? (JSON.parse(text) as { data: unknown }) : { data: undefined };
  };
  return {
    url,
    async subscribe(applicationServerKey) {
      return (await post('/subscribe', { applicationServerKey })).data as MockSubscription;
    },
    async messages(clientHash) {
      return ((await post('/get-notifications', { clientHash })).data as { messages: string[] }).messages;
    },
    async expire(clientHash) {
      await post(`/expire-subscription/${clientHash}`);
    },
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/** A `notification` payload as the server emits it (live, personal sequence `seq`), for stand-ins and unit tests. */
export const notificationPayload = (id: string, extra: Partial<NotificationPayload> = {}): NotificationPayload => ({
  id,
  seq: 1,
  title: `Title ${id}`,
  body: null,
  icon: null,
  image: null,
  url: null,
  tag: null,
  data: null,
  priority: 'normal',
  category: null,
  createdAt: new Date().toISOString(),
  expiresAt: null,
  silent: false,
  readAt: null,
  ...extra,
});
