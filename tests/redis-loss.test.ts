/**
 * Redis frozen, then lost with all its data, under a running `npm start` installation: every
 * notification answered with a 202 is delivered afterwards, without restarting Herald. The sweep
 * that puts lost jobs back lives in each worker, not in Redis, and notices the loss by itself.
 * And with Redis down, Herald still stops promptly.
 */
import { type RedisServer, startRedisServer } from '@herald/test-support';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, eventually, type HeraldProcess, startHerald, tempDir } from './support/herald.js';

const API_KEY = `hk_${'r'.repeat(8)}${Date.now()}${Math.random().toString(36).slice(2)}`;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let redis: RedisServer;
let herald: HeraldProcess;

beforeAll(async () => {
  redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const data = tempDir();
  cleanups.push(() => data.remove());
  herald = await startHerald({
    env: {
      HERALD_DATA_DIR: data.path,
      REDIS_URL: redis.url,
      HERALD_API_KEY: API_KEY,
      HERALD_SWEEP_INTERVAL_MS: '1000',
      HERALD_REQUEUE_AFTER_MS: '3000',
      HERALD_REDIS_TIMEOUT_MS: '1000',
    },
    // Both the server and the worker are up (the banner comes once everything runs).
    ready: /^(?=[\s\S]*Herald worker is running)[\s\S]*Herald is running at (\S+)/,
    timeoutMs: 120_000,
  });
  cleanups.push(() => herald.stop('SIGKILL'));
  cleanups.push(() => redis.thaw());
}, 180_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Redis lost with its data under a running installation', () => {
  it('delivers every 202-accepted notification — queued, scheduled, and accepted while Redis was frozen — without a restart', async () => {
    const { body } = await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId: 'kim' } });
    const user = io(herald.url, { auth: { token: body.token }, transports: ['websocket'], reconnection: false });
    const received = new Set<string>();
    user.on('notification', (n: { id: string }, ack: (r: unknown) => void) => {
      received.add(n.id);
      ack({ ok: true });
    });
    await new Promise<void>((resolve, reject) => {
      user.once('connect', resolve);
      user.once('connect_error', reject);
    });

    const accepted: string[] = [];
    const send = async (payload: object) => {
      const started = Date.now();
      const res = await api<{ id: string; status: string; queueDelayed?: boolean }>(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId: 'kim' }, ...payload },
      });
      expect(res.status).toBe(202);
      accepted.push(res.body.id);
      return { ...res.body, ms: Date.now() - started };
    };

    for (let i = 0; i < 5; i++) await send({ title: `before #${i}` });
    await eventually(() => accepted.every((id) => received.has(id)), 20_000);
    // Due after Redis is gone: their delayed jobs go with it.
    const sendAt = new Date(Date.now() + 6000).toISOString();
    for (let i = 0; i < 5; i++) expect((await send({ title: `scheduled #${i}`, sendAt })).status).toBe('scheduled');

    redis.freeze();
    const frozen = await Promise.all(Array.from({ length: 5 }, (_, i) => send({ title: `while frozen #${i}` })));
    for (const r of frozen) {
      expect(r).toMatchObject({ status: 'queued', queueDelayed: true });
      expect(r.ms).toBeLessThan(4000);
    }
    // The frozen server dies; a new one starts with nothing in it.
    await redis.restartEmpty();
    const ready = await eventually(async () => {
      const res = await fetch(new URL('/readyz', herald.url));
      return res.status === 200;
    }, 20_000);
    expect(ready).toBe(true);
    for (let i = 0; i < 5; i++) await send({ title: `after #${i}` });

    await eventually(() => accepted.every((id) => received.has(id)), 45_000).catch((error) => {
      console.log(herald.output());
      throw error;
    });
    expect(accepted).toHaveLength(20);
    expect(new Set(accepted).size).toBe(20);
    expect([...received].sort()).toEqual([...accepted].sort());
    // The same process all along.
    expect(herald.child.exitCode).toBeNull();
    user.disconnect();
  }, 180_000);

  it('stops within seconds on SIGTERM while Redis is down, instead of waiting for it', async () => {
    await redis.kill();
    await new Promise((r) => setTimeout(r, 2000));
    const started = Date.now();
    const code = await Promise.race([
      herald.stop('SIGTERM'),
      new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000)),
    ]);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
