/**
 * Redis frozen, then lost with all its data, under a running `npm start` installation: every
 * notification answered with a 202 is delivered afterwards, without restarting Herald. The sweep
 * that puts lost jobs back lives in each worker, not in Redis, and notices the loss by itself.
 * And with Redis down, Herald still stops promptly.
 */
import { type RedisServer, startRedisServer } from '@herald/test-support';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolDevice, streamTally } from './support/clients.js';
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
  it('delivers every 202-accepted notification — queued, scheduled, and accepted while Redis was frozen, to a user, a topic and everyone — without a restart', async () => {
    // kim and two devices following the protocol are in a topic; a third device is not.
    const joined = await api(herald.url, '/v1/topics/crew/subscribers', {
      key: API_KEY,
      method: 'PUT',
      body: { userIds: ['kim', 'crew-0', 'crew-1'] },
    });
    expect(joined.status).toBe(200);
    const devices = await Promise.all(
      ['crew-0', 'crew-1', 'outsider'].map((u) => protocolDevice(herald.url, API_KEY, u)),
    );
    cleanups.push(() => {
      for (const d of devices) d.close();
    });
    await Promise.all(devices.map((d) => d.synced()));
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
    const toCrew: string[] = [];
    const toAll: string[] = [];
    const send = async (payload: object, to: object = { userId: 'kim' }, into = accepted) => {
      const started = Date.now();
      const res = await api<{ id: string; status: string; queueDelayed?: boolean }>(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to, ...payload },
      });
      expect(res.status).toBe(202);
      into.push(res.body.id);
      return { ...res.body, ms: Date.now() - started };
    };
    const sendToCrew = (payload: object) => send(payload, { topic: 'crew' }, toCrew);

    for (let i = 0; i < 5; i++) await send({ title: `before #${i}` });
    for (let i = 0; i < 3; i++) await sendToCrew({ title: `crew before #${i}` });
    await eventually(() => [...accepted, ...toCrew].every((id) => received.has(id)), 20_000);
    // Due after Redis is gone: their delayed jobs go with it.
    const sendAt = new Date(Date.now() + 6000).toISOString();
    for (let i = 0; i < 5; i++) expect((await send({ title: `scheduled #${i}`, sendAt })).status).toBe('scheduled');
    for (let i = 0; i < 3; i++)
      expect((await sendToCrew({ title: `crew scheduled #${i}`, sendAt })).status).toBe('scheduled');

    redis.freeze();
    const frozen = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => send({ title: `while frozen #${i}` })),
      ...Array.from({ length: 3 }, (_, i) => sendToCrew({ title: `crew while frozen #${i}` })),
      send({ title: 'everyone while frozen' }, { broadcast: true }, toAll),
    ]);
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
    for (let i = 0; i < 3; i++) await sendToCrew({ title: `crew after #${i}` });

    const kims = [...accepted, ...toCrew, ...toAll];
    await eventually(() => kims.every((id) => received.has(id)), 45_000).catch((error) => {
      console.log(herald.output());
      throw error;
    });
    expect(accepted).toHaveLength(20);
    expect(toCrew).toHaveLength(12);
    expect(new Set(kims).size).toBe(33);
    expect([...received].sort()).toEqual([...kims].sort());
    // The devices: the crew's sends and the broadcast, each once; the outsider only the broadcast.
    const theirs = (d: { userId: string }) => (d.userId === 'outsider' ? toAll : [...toCrew, ...toAll]);
    await eventually(() => devices.every((d) => theirs(d).every((id) => d.arrivals.some((a) => a.id === id))), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    const streamed = streamTally(devices, theirs);
    console.log(
      `[redis-loss] topic and broadcast: ${Object.entries(streamed)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
    expect(streamed).toMatchObject({ sent: 2 * 13 + 1, lost: 0, unexpected: 0, pastCursor: 0, seamCopies: 0 });
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
