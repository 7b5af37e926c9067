/**
 * Connection-level defences of the server as `npm start` runs it: stalled requests are cut at
 * their deadlines, one address cannot hold more than its share of connections, and none of this
 * touches long-lived Socket.IO connections (WebSocket or long-polling).
 */
import { connect, type Socket as NetSocket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createSchema, dropQueuePrefix, type HeraldProcess, startHerald, tempDir, uid } from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const queuePrefix = `{herald-abuse-${uid()}}`;
const data = tempDir();
let schema: Awaited<ReturnType<typeof createSchema>>;
let herald: HeraldProcess;
let port: number;

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
const CAP = 20;
/** Connections from here count as coming through a trusted reverse proxy. */
const PROXY = '127.0.0.4';

beforeAll(async () => {
  schema = await createSchema();
  herald = await startHerald({
    env: {
      DATABASE_URL: schema.url,
      HERALD_API_KEY: API_KEY,
      HERALD_QUEUE_PREFIX: queuePrefix,
      HERALD_DATA_DIR: data.path,
      HERALD_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HERALD_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HERALD_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
      HERALD_MAX_CONNECTIONS_PER_ADDRESS: String(CAP),
      HERALD_TRUST_PROXY: PROXY,
    },
  });
  port = Number(new URL(herald.url).port);
});
afterAll(async () => {
  await herald?.stop();
  await schema?.drop();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

interface Raw {
  socket: NetSocket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with how long after opening the server closed the connection. */
  closed: Promise<number>;
  /** Sends `text` one byte every `everyMs`, until closed. */
  trickle(text: string, everyMs: number): void;
}

/** A TCP connection to Herald from `localAddress` (any 127.x address is this machine). */
async function raw(localAddress: string, first = ''): Promise<Raw> {
  const opened = performance.now();
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (d) => {
    received += d;
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      clearInterval(timer);
      resolve(performance.now() - opened);
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (first) socket.write(first);
  return {
    socket,
    received: () => received,
    closed,
    trickle(text, everyMs) {
      let i = 0;
      timer = setInterval(() => {
        if (i < text.length && !socket.destroyed) socket.write(text[i++] as string);
      }, everyMs);
    },
  };
}

async function counter(scope: string): Promise<number> {
  const text = await (await fetch(`${herald.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`herald_rate_limited_total{scope="${scope}"}`));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('stalled connections', () => {
  it('answers headers sent a byte at a time with a 408 and closes the connection at HERALD_HEADERS_TIMEOUT_MS', async () => {
    const c = await raw('127.0.0.5', 'G');
    c.trickle(`ET /healthz HTTP/1.1\r\nHost: localhost\r\n${'X-Slow: '.padEnd(5000, 'y')}\r\n\r\n`, 50);
    const after = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    // Node checks deadlines once a second.
    expect(after).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(HEADERS_TIMEOUT_MS + 1500);
  });

  it('closes a request whose body stalls at HERALD_REQUEST_TIMEOUT_MS', async () => {
    const c = await raw(
      '127.0.0.5',
      'POST /admin/api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"em',
    );
    c.trickle('ail":"someone@example.com"'.padEnd(2000, ' '), 50);
    const after = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
  });

  it('closes a connection that never sends a byte at HERALD_HEADERS_TIMEOUT_MS', async () => {
    const c = await raw('127.0.0.5');
    const after = await c.closed;
    expect(after).toBeLessThan(HEADERS_TIMEOUT_MS + 1500);
  });

  it('closes an idle keep-alive connection at HERALD_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const c = await raw('127.0.0.5', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const after = await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(after).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1500);
  });
});

describe('the per-address connection cap', () => {
  it('closes connections over HERALD_MAX_CONNECTIONS_PER_ADDRESS at once, counts them, and serves other addresses', async () => {
    const before = await counter('connection');
    const held = await Promise.all(Array.from({ length: CAP }, () => raw('127.0.0.6', 'G')));
    const over = await Promise.all(Array.from({ length: 5 }, () => raw('127.0.0.6', 'G')));
    for (const c of over) {
      expect(await c.closed).toBeLessThan(1000);
      expect(c.received()).toBe('');
    }
    expect(await counter('connection')).toBe(before + 5);
    // Another address is served meanwhile (the test's own, 127.0.0.1).
    expect((await fetch(`${herald.url}/healthz`)).status).toBe(200);
    // Once one of the address's connections ends, it may open another.
    held[0]?.socket.destroy();
    await sleep(100);
    const next = await raw('127.0.0.6', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await sleep(300);
    expect(next.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const c of [...held, next]) c.socket.destroy();
  });

  it('does not cap connections from a trusted proxy (HERALD_TRUST_PROXY)', async () => {
    const before = await counter('connection');
    const many = await Promise.all(
      Array.from({ length: CAP + 10 }, () => raw(PROXY, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')),
    );
    await sleep(300);
    expect(many.filter((c) => /^HTTP\/1\.1 200 /.test(c.received()))).toHaveLength(CAP + 10);
    expect(await counter('connection')).toBe(before);
    for (const c of many) c.socket.destroy();
  });
});

describe('long-lived Socket.IO connections', () => {
  it('keep WebSocket and long-polling sockets open past every HTTP deadline, and deliver to both', async () => {
    const token = async (userId: string) =>
      (await api<{ token: string }>(herald.url, '/v1/tokens', { key: API_KEY, body: { userId } })).body.token;
    const clients = await Promise.all(
      (['websocket', 'polling'] as const).map(async (transport) => {
        const socket = io(herald.url, {
          auth: { token: await token(`lived-${transport}`) },
          transports: [transport],
          reconnection: false,
        });
        const received: string[] = [];
        const disconnects: string[] = [];
        socket.on('notification', (n: { title: string }, ack?: (r: { ok: true }) => void) => {
          received.push(n.title);
          ack?.({ ok: true });
        });
        socket.on('disconnect', (reason) => disconnects.push(reason));
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        return { transport, socket, received, disconnects };
      }),
    );
    // Longer than the header, request and keep-alive deadlines together: a long-poll waits here.
    await sleep(HEADERS_TIMEOUT_MS + REQUEST_TIMEOUT_MS + KEEP_ALIVE_TIMEOUT_MS + 1500);
    for (const c of clients) {
      expect(c.disconnects, c.transport).toEqual([]);
      const sent = await api(herald.url, '/v1/notifications', {
        key: API_KEY,
        body: { to: { userId: `lived-${c.transport}` }, title: `to ${c.transport}` },
      });
      expect(sent.status).toBe(202);
    }
    for (const c of clients) {
      for (let waited = 0; c.received.length === 0 && waited < 10_000; waited += 50) await sleep(50);
      expect(c.received, c.transport).toEqual([`to ${c.transport}`]);
      expect(c.socket.io.engine.transport.name).toBe(c.transport);
      c.socket.disconnect();
    }
  }, 30_000);
});
