/**
 * Production shape: migrations applied by one command, then the api and worker roles as
 * separate processes on PostgreSQL and Redis. The worker publishes each dispatched batch on
 * Redis; the api process emits it to the socket it holds.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createSchema,
  dropQueuePrefix,
  eventually,
  type HeraldProcess,
  MAIN,
  ROOT,
  startHerald,
  tempDir,
  uid,
} from './support/herald.js';

const run = promisify(execFile);
const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
let apiNode: HeraldProcess;
let workerNode: HeraldProcess;

beforeAll(async () => {
  schema = await createSchema();
});

afterAll(async () => {
  await apiNode?.stop();
  await workerNode?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

describe('api and worker as separate processes', () => {
  const env = () => ({
    DATABASE_URL: schema.url,
    HERALD_API_KEY: API_KEY,
    HERALD_QUEUE_PREFIX: queuePrefix,
    HERALD_DATA_DIR: data.path,
  });

  it('applies migrations with `herald migrate`', async () => {
    const { stdout } = await run(process.execPath, [MAIN, 'migrate'], {
      cwd: ROOT,
      env: { ...process.env, ...env(), LOG_LEVEL: 'info' },
    });
    expect(stdout).toMatch(/migrations applied/);
    const again = await run(process.execPath, [MAIN, 'migrate'], {
      cwd: ROOT,
      env: { ...process.env, ...env(), LOG_LEVEL: 'info' },
    });
    expect(again.stdout).toMatch(/schema up to date/);
  });

  it('delivers a notification accepted by the api process through the worker process', async () => {
    apiNode = await startHerald({ env: env(), args: ['--role', 'api'] });
    workerNode = await startHerald({ env: env(), args: ['--role', 'worker'], ready: /(Herald worker is running)/ });

    const { body } = await api<{ token: string }>(apiNode.url, '/v1/tokens', { key: API_KEY, body: { userId: 'sam' } });
    const socket: Socket = io(apiNode.url, {
      auth: { token: body.token },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    const received = new Promise<{ id: string }>((resolve) =>
      socket.once('notification', (n: { id: string }, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(n);
      }),
    );
    const sent = await api<{ id: string }>(apiNode.url, '/v1/notifications', {
      key: API_KEY,
      body: { to: { userId: 'sam' }, title: 'Across processes' },
    });
    expect(sent.status).toBe(202);
    await expect(received).resolves.toMatchObject({ id: sent.body.id });
    // The api node that holds the socket records its ack.
    await eventually(async () => {
      const { body: n } = await api<{ counts: { delivered: number } }>(
        apiNode.url,
        `/v1/notifications/${sent.body.id}`,
        {
          key: API_KEY,
        },
      );
      return n.counts.delivered === 1;
    });
    socket.disconnect();
  });

  it('stops both processes cleanly on SIGTERM', async () => {
    expect(await workerNode.stop('SIGTERM')).toBe(0);
    expect(await apiNode.stop('SIGTERM')).toBe(0);
  });
});
