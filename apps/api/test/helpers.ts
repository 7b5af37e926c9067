import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dropQueuePrefix,
  eventually,
  POSTGRES_URL,
  REDIS_URL,
  type RedisServer,
  startRedisServer,
  uid,
} from '@herald/test-support';
import pg from 'pg';
import { io as connectClient, type Socket } from 'socket.io-client';
import { bootstrap } from '../src/admin/bootstrap.js';
import { buildApp, type HeraldApp } from '../src/app.js';
import { DispatchHandoff } from '../src/fanout/handoff.js';
import { loadConfig, type ResolvedConfig } from '../src/platform/config/index.js';
import { type Database, openDatabase } from '../src/platform/db/database.js';
import { hashPassword } from '../src/platform/lib/secrets.js';
import { type RunningWorker, startWorker } from '../src/queue/worker.js';

export { dropQueuePrefix, eventually, POSTGRES_URL, REDIS_URL, type RedisServer, startRedisServer, uid };

/** The value of one series of `herald_rate_limited_total` on a stack's /metrics. */
export async function rejected(
  stack: { app: { inject(o: { url: string }): Promise<{ body: string }> } },
  scope: string,
) {
  const text = (await stack.app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`herald_rate_limited_total{scope="${scope}"}`));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

export type DatabaseKind = 'postgres' | 'pglite';

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

export interface TestStack {
  app: HeraldApp;
  config: ResolvedConfig;
  db: Database;
  apiKey: string;
  appId: string;
  baseUrl: string;
  worker?: RunningWorker;
  /** A socket.io client for one user, connected (or refused) before it resolves. */
  /** `listen` is called before the socket connects: events that come with the connect (`synced`) are not missed. */
  connectUser(userId: string, options?: { token?: string; listen?: (socket: Socket) => void }): Promise<Socket>;
  token(userId: string, ttlSeconds?: number): Promise<string>;
  /**
   * Resolves once no job due now is waiting or running: the worker has emitted what was accepted.
   * (A send to at most 100 users is `dispatched` from its accept: its status does not say that.)
   */
  jobsDone(): Promise<void>;
  /** Creates an admin with this role and signs in: the `cookie` header of the session. */
  adminCookie(role?: 'owner' | 'admin' | 'viewer', email?: string): Promise<string>;
  close(): Promise<void>;
}

/** The whole server (and optionally a worker) in this process, listening on a free port. */
export async function startStack(
  testDb: TestDatabase,
  options: {
    worker?: boolean;
    env?: Record<string, string>;
    redisUrl?: string;
    clusterAdapter?: boolean;
    /** false: the worker reads every batch back, as a separate worker process does (no handoff). */
    handoff?: boolean;
  } = {},
): Promise<TestStack> {
  const queuePrefix = `{herald-test-${uid()}}`;
  const config: ResolvedConfig = {
    ...loadConfig({
      HERALD_DATA_DIR: testDb.dataDir,
      HERALD_ACK_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'silent',
      ...options.env,
    }),
    queuePrefix,
  };
  const boot = await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
  const apiKey = boot.credentials.apiKey as string;
  // As the `all` role: the intake hands its batches to the worker of the same stack.
  const handoff = options.worker === false || options.handoff === false ? undefined : new DispatchHandoff();
  const app = await buildApp({
    handoff,
    config,
    db: testDb.db,
    redis: { url: options.redisUrl ?? REDIS_URL },
    defaultAppId: boot.credentials.appId,
    clusterAdapter: options.clusterAdapter ?? false,
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
          redis: { url: options.redisUrl ?? REDIS_URL },
          queuePrefix,
          concurrency: 4,
          freshnessMs: config.popupFreshnessSeconds * 1000,
          sweepIntervalMs: config.sweepIntervalMs,
          requeueAfterMs: config.requeueAfterMs,
          log: app.log,
          localDelivery: app.deliverLocally,
          handoff,
          push: {
            windowMs: config.push.windowMs,
            policy: { allowPrivate: config.push.allowPrivate },
            subject: config.push.subject,
            receiptsUrl: `${baseUrl}/push/receipts`,
          },
        });
  const sockets: Socket[] = [];
  /**
   * Until no job is due or running, and none waits out a retry's backoff. (A scheduled send waits
   * as delayed too, never having run: that one is not waited for.)
   */
  const jobsDone = async () => {
    await eventually(async () => {
      const c = await app.notificationsQueue.getJobCounts('waiting', 'prioritized', 'active');
      if ((c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0) > 0) return false;
      const delayed = await app.notificationsQueue.getDelayed();
      return !delayed.some((job) => job.attemptsMade > 0);
    });
  };

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
    jobsDone,
    async adminCookie(role = 'admin', email = `${role}-${uid()}@example.com`) {
      const password = 'correct horse battery';
      await testDb.db.prisma.admin.create({ data: { email, role, passwordHash: await hashPassword(password) } });
      const res = await app.inject({ method: 'POST', url: '/admin/api/session', payload: { email, password } });
      const session = res.cookies.find((c) => c.name === 'herald_session')?.value;
      if (!session) throw new Error(`could not sign in as ${email}: ${res.statusCode} ${res.body}`);
      return `herald_session=${session}`;
    },
    async connectUser(userId, connectOptions = {}) {
      const socket = connectClient(baseUrl, {
        auth: { token: connectOptions.token ?? (await token(userId)) },
        transports: ['websocket'],
        reconnection: false,
      });
      sockets.push(socket);
      connectOptions.listen?.(socket);
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
      // A test with a Redis of its own throws all of it away.
      if (!options.redisUrl) await dropQueuePrefix(queuePrefix);
    },
  };
}
