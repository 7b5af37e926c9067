import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { io as connectClient, type Socket } from 'socket.io-client';
import { buildApp, type HeraldApp } from '../src/app.js';
import { type Config, loadConfig } from '../src/config/index.js';
import { type Database, openDatabase } from '../src/db/database.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { type RunningWorker, startWorker } from '../src/worker.js';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type DatabaseKind = 'postgres' | 'pglite';

export const uid = (prefix = '') => `${prefix}${randomBytes(5).toString('hex')}`;

export interface TestDatabase {
  db: Database;
  /** DATABASE_URL for other processes (postgres only). */
  url?: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** A migrated, empty database of its own: a fresh schema on PostgreSQL, or a fresh PGlite directory. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  if (kind === 'pglite') {
    const db = await openDatabase({ kind: 'pglite', dir: join(dataDir, 'pglite') });
    await db.migrate();
    return {
      db,
      dataDir,
      async cleanup() {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = uid('herald_test_');
  const base = new URL(POSTGRES_URL);
  const url = `${base.toString()}${base.search ? '&' : '?'}schema=${schema}`;
  const db = await openDatabase({ kind: 'postgres', url: POSTGRES_URL, schema });
  await db.migrate();
  return {
    db,
    url,
    dataDir,
    async cleanup() {
      await db.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes every Redis key of a queue prefix. */
export async function dropQueuePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface TestStack {
  app: HeraldApp;
  config: Config;
  db: Database;
  apiKey: string;
  appId: string;
  baseUrl: string;
  worker?: RunningWorker;
  /** A socket.io client for one user, connected (or refused) before it resolves. */
  connectUser(userId: string, options?: { token?: string }): Promise<Socket>;
  token(userId: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

/** The whole server (and optionally a worker) in this process, listening on a free port. */
export async function startStack(
  testDb: TestDatabase,
  options: { worker?: boolean; env?: Record<string, string>; redisUrl?: string } = {},
): Promise<TestStack> {
  const queuePrefix = `{herald-test-${uid()}}`;
  const config = loadConfig({
    HERALD_DATA_DIR: testDb.dataDir,
    HERALD_QUEUE_PREFIX: queuePrefix,
    HERALD_ACK_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const boot = await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
  const apiKey = boot.credentials.apiKey as string;
  const app = await buildApp({
    config,
    db: testDb.db,
    redis: { url: options.redisUrl ?? REDIS_URL },
    defaultAppId: boot.credentials.appId,
    clusterAdapter: false,
    logger: false,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const worker =
    options.worker === false
      ? undefined
      : await startWorker({
          db: testDb.db,
          redis: { url: REDIS_URL },
          queuePrefix,
          concurrency: 4,
          ackTimeoutMs: config.ackTimeoutMs,
          freshnessMs: config.popupFreshnessSeconds * 1000,
          log: app.log,
          emitter: app.io,
          recorder: app.recorder,
        });
  const sockets: Socket[] = [];

  const token = async (userId: string, ttlSeconds = 600) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { userId, ttlSeconds },
    });
    return res.json().token as string;
  };

  return {
    app,
    config,
    db: testDb.db,
    apiKey,
    appId: boot.credentials.appId,
    baseUrl,
    worker,
    token,
    async connectUser(userId, connectOptions = {}) {
      const socket = connectClient(baseUrl, {
        auth: { token: connectOptions.token ?? (await token(userId)) },
        transports: ['websocket'],
        reconnection: false,
      });
      sockets.push(socket);
      await new Promise<void>((resolve) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', () => resolve());
      });
      return socket;
    },
    async close() {
      for (const s of sockets) s.disconnect();
      await worker?.close();
      await app.close();
      await dropQueuePrefix(queuePrefix);
    },
  };
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T,
  timeoutMs = 10_000,
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
    await new Promise((r) => setTimeout(r, 50));
  }
}
