import type { NotificationPayload } from '@herald/protocol';
import { describe, expect, it, vi } from 'vitest';
import { HeraldClient } from '../src/client.js';
import { fakeSocket } from './fake-socket.js';
import { memoryStorage } from './memory-storage.js';

/** A stand-in for the browser's Notification with a settable permission. */
function fakeNotification(permission: NotificationPermission) {
  const shown: FakeNotification[] = [];
  class FakeNotification {
    static permission = permission;
    static requestPermission = vi.fn(async () => FakeNotification.permission);
    onshow: (() => void) | null = null;
    onclick: ((e: { preventDefault(): void }) => void) | null = null;
    close = vi.fn();
    constructor(
      readonly title: string,
      readonly options: NotificationOptions,
    ) {
      shown.push(this);
    }
  }
  return { N: FakeNotification as unknown as typeof Notification, shown };
}

const payload = (id: string, extra: Partial<NotificationPayload> = {}): NotificationPayload => ({
  id,
  seq: 1,
  title: `Title ${id}`,
  body: 'Body',
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

/** A JWT-shaped token with the given claims (the SDK only peeks at them to key its cursor). */
const tokenFor = (sub: string) => `h.${btoa(JSON.stringify({ sub, aud: 'default' })).replace(/=+$/, '')}.s`;

/** A fake server for `sync`: `pages` in order; each request records the `since` it was sent. */
function syncServer(pages: NotificationPayload[][], head: number) {
  const queue = [...pages];
  return (_payload: unknown) => ({ ok: true, notifications: queue.shift() ?? [], head });
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('HeraldClient', () => {
  it('connects with the token in the handshake auth, never the URL', async () => {
    const fake = fakeSocket();
    new HeraldClient({
      url: 'http://herald.test',
      token: tokenFor('u1'),
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const [url, options] = fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }];
    expect(url).toBe('http://herald.test');
    const auth = await new Promise((resolve) => options.auth(resolve));
    expect(auth).toEqual({ token: tokenFor('u1'), since: null, streams: {} });
  });

  it('asks a token function for a fresh token on every connection attempt', async () => {
    const fake = fakeSocket();
    let n = 0;
    new HeraldClient({
      url: 'http://h',
      token: async () => tokenFor(`user-${++n}`),
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => options.auth(r))).toEqual({ token: tokenFor('user-1'), since: null, streams: {} });
    expect(await new Promise((r) => options.auth(r))).toEqual({ token: tokenFor('user-2'), since: null, streams: {} });
  });

  it('says so when the token function returns something that is not a JWT (an error page), and sends no token', async () => {
    const fake = fakeSocket();
    const client = new HeraldClient({
      url: 'http://h',
      token: async () => '<!doctype html><title>502 Bad Gateway</title>',
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const errors: string[] = [];
    client.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => options.auth(r))).toEqual({ token: '' });
    expect(errors).toEqual([
      'HERALD_ERR_TOKEN_SOURCE: The token function returned something that is not a JWT: "<!doctype html><title>502 Bad Gateway</title>".',
    ]);
  });

  it('acks, pops up once with the id as tag, and reports displayed, clicked and closed', async () => {
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: N,
      storage: memoryStorage(),
    });
    const events: Array<[string, boolean]> = [];
    client.on('notification', (n, ctx) => events.push([n.id, ctx.popup]));
    const ack = vi.fn();

    fake.fire('notification', payload('a'), ack);
    fake.fire('notification', payload('a'), ack);
    await flush();

    expect(ack).toHaveBeenCalledTimes(2);
    expect(events).toEqual([['a', true]]);
    expect(shown).toHaveLength(1);
    expect(shown[0]?.options).toMatchObject({ body: 'Body', tag: 'a' });
    shown[0]?.onshow?.();
    shown[0]?.onclick?.({ preventDefault() {} });
    (shown[0] as unknown as { onclose: () => void }).onclose();
    expect(fake.emitted).toEqual([
      ['displayed', { id: 'a' }],
      ['clicked', { id: 'a' }],
      ['closed', { id: 'a' }],
    ]);
  });

  it('does not pop up a notification another tab already showed, but still hands it to the page', async () => {
    const storage = memoryStorage();
    const { N, shown } = fakeNotification('granted');
    const tab1 = fakeSocket();
    const tab2 = fakeSocket();
    new HeraldClient({ url: 'http://h', token: 't', io: tab1.io as never, Notification: N, storage });
    const second = new HeraldClient({ url: 'http://h', token: 't', io: tab2.io as never, Notification: N, storage });
    const events: boolean[] = [];
    second.on('notification', (_n, ctx) => events.push(ctx.popup));
    tab1.fire('notification', payload('b'), () => {});
    tab2.fire('notification', payload('b'), () => {});
    await flush();
    expect(shown).toHaveLength(1);
    expect(events).toEqual([false]);
  });

  it('does not pop up what the service worker already showed (Web Push gate), and records what it shows', async () => {
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: N,
      storage: null,
    });
    const byWorker = new Set(['pushed']);
    const asked: string[] = [];
    client.popupGate = async (id) => {
      asked.push(id);
      return !byWorker.has(id);
    };
    const events: Array<[string, boolean]> = [];
    client.on('notification', (n, ctx) => events.push([n.id, ctx.popup]));
    fake.fire('notification', payload('pushed'), vi.fn());
    fake.fire('notification', payload('fresh'), vi.fn());
    await flush();
    expect(asked).toEqual(['pushed', 'fresh']);
    expect(events).toEqual([
      ['pushed', false],
      ['fresh', true],
    ]);
    expect(shown.map((n) => n.options.tag)).toEqual(['fresh']);
  });

  it('hands notifications to the page without a popup when permission is not granted', async () => {
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('denied');
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: N,
      storage: null,
    });
    const events: boolean[] = [];
    client.on('notification', (_n, ctx) => events.push(ctx.popup));
    fake.fire('notification', payload('c'), () => {});
    await flush();
    expect(shown).toHaveLength(0);
    expect(events).toEqual([false]);
    expect(client.permission).toBe('denied');
  });

  it('reports connection state with reasons', () => {
    const fake = fakeSocket();
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    vi.useFakeTimers();
    const states: string[] = [];
    client.on('state', (s) => states.push(`${s.state}${s.code === undefined ? '' : `:${s.code}`}`));
    fake.fire('connect');
    fake.fire('disconnect', 'transport close');
    expect(states).toEqual(['connected', 'disconnected:2']);
    expect(client.stateContext).toMatchObject({
      reason: 'Connection lost (transport close)',
      retryInMs: expect.any(Number),
    });
    vi.advanceTimersByTime(client.stateContext.retryInMs as number);
    expect(states.at(-1)).toBe('connecting:2');
    expect(client.state).toBe('connecting');
    vi.useRealTimers();
    client.disconnect();
    expect(client.stateContext).toMatchObject({ state: 'disconnected', code: 0 });
  });

  it('surfaces a refused handshake with its code and sentence, and stops for a static token', () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket();
      fake.socket.active = false;
      const client = new HeraldClient({
        url: 'http://h',
        token: 't',
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      const errors: string[] = [];
      client.on('error', (e) => errors.push(e.code ?? ''));
      fake.fire(
        'connect_error',
        Object.assign(new Error('Token expired: fetch a new one'), { data: { code: 'HERALD_ERR_TOKEN_EXPIRED' } }),
      );
      expect(errors).toEqual(['HERALD_ERR_TOKEN_EXPIRED']);
      expect(client.stateContext).toMatchObject({
        state: 'disconnected',
        code: 3,
        error: 'HERALD_ERR_TOKEN_EXPIRED',
        reason: 'Token expired: fetch a new one (not retrying)',
      });
      vi.advanceTimersByTime(120_000);
      expect(fake.socket.connect).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a refused handshake with a fresh token, backing off up to 30 s, and resets once connected', () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket();
      fake.socket.active = false;
      const client = new HeraldClient({
        url: 'http://h',
        token: async () => tokenFor('u'),
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      const states: Array<{ state: string; code?: number; error?: string; retryInMs?: number }> = [];
      client.on('state', (s) => states.push(s));
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        fake.fire(
          'connect_error',
          Object.assign(new Error('Invalid token: it is not a JWT.'), { data: { code: 'HERALD_ERR_TOKEN_INVALID' } }),
        );
        const delay = client.stateContext.retryInMs as number;
        delays.push(delay);
        const before = fake.socket.connect.mock.calls.length;
        vi.advanceTimersByTime(delay - 1);
        expect(fake.socket.connect.mock.calls.length).toBe(before);
        vi.advanceTimersByTime(1);
        expect(fake.socket.connect.mock.calls.length).toBe(before + 1);
        expect(client.state).toBe('connecting');
      }
      // 1 s, 2 s, 4 s … each with jitter (50–100% of the step), never above 30 s.
      [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000].forEach((ceiling, i) => {
        expect(delays[i]).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delays[i]).toBeLessThanOrEqual(ceiling);
      });
      expect(states[0]).toMatchObject({ state: 'disconnected', code: 3, error: 'HERALD_ERR_TOKEN_INVALID' });
      expect(states[1]).toMatchObject({ state: 'connecting', code: 3 });
      fake.fire('connect');
      fake.fire(
        'connect_error',
        Object.assign(new Error('Invalid token'), { data: { code: 'HERALD_ERR_TOKEN_INVALID' } }),
      );
      expect(client.stateContext.retryInMs).toBeLessThanOrEqual(1000);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits out a rate-limit penalty before connecting again, even with a static token', () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket();
      fake.socket.active = false;
      const client = new HeraldClient({
        url: 'http://h',
        token: 't',
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      fake.fire(
        'connect_error',
        Object.assign(new Error('Too many requests from this user; try again later.'), {
          data: { code: 'HERALD_ERR_RATE_LIMITED', retryAfterMs: 30_000 },
        }),
      );
      expect(client.stateContext).toMatchObject({ state: 'disconnected', code: 6, retryInMs: 30_000 });
      vi.advanceTimersByTime(29_999);
      expect(fake.socket.connect).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fake.socket.connect).toHaveBeenCalledTimes(1);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops for good when the page origin is not allowed, and says so', () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket();
      fake.socket.active = false;
      const client = new HeraldClient({
        url: 'http://h',
        token: async () => tokenFor('u'),
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      fake.fire(
        'connect_error',
        Object.assign(new Error('Pages on http://evil.test may not connect to app "default".'), {
          data: { code: 'HERALD_ERR_ORIGIN_FORBIDDEN' },
        }),
      );
      expect(client.stateContext).toMatchObject({
        state: 'disconnected',
        code: 5,
        error: 'HERALD_ERR_ORIGIN_FORBIDDEN',
        reason: 'Pages on http://evil.test may not connect to app "default". (not retrying)',
      });
      vi.advanceTimersByTime(300_000);
      expect(fake.socket.connect).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('comes back after the server closed the socket, unless the server says retrying cannot help a static token', () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket();
      const client = new HeraldClient({
        url: 'http://h',
        token: async () => tokenFor('u'),
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      fake.fire('connect');
      fake.socket.active = false;
      fake.fire('closing', {
        code: 'HERALD_ERR_TOKEN_REVOKED',
        message: 'The app secret was revoked.',
        reconnect: false,
      });
      fake.fire('disconnect', 'io server disconnect');
      expect(client.stateContext).toMatchObject({
        state: 'disconnected',
        code: 4,
        error: 'HERALD_ERR_TOKEN_REVOKED',
        reason: 'The app secret was revoked.',
      });
      vi.advanceTimersByTime(1000);
      expect(fake.socket.connect).toHaveBeenCalledTimes(1);

      const other = fakeSocket();
      const fixed = new HeraldClient({
        url: 'http://h',
        token: 't',
        io: other.io as never,
        Notification: null,
        storage: null,
      });
      other.fire('connect');
      other.socket.active = false;
      other.fire('closing', { code: 'HERALD_ERR_TOKEN_REVOKED', message: 'Revoked.', reconnect: false });
      other.fire('disconnect', 'io server disconnect');
      vi.advanceTimersByTime(120_000);
      expect(other.socket.connect).not.toHaveBeenCalled();
      expect(fixed.state).toBe('disconnected');
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes the catch-up the server sends on connect in sequence order, keeps its cursor, and pops up only a few fresh ones', async () => {
    const storage = memoryStorage();
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: tokenFor('u1'),
      io: fake.io as never,
      Notification: N,
      storage,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => options.auth(r))).toMatchObject({ since: null });
    const got: Array<[string, boolean, boolean]> = [];
    client.on('notification', (n, ctx) => got.push([n.id, ctx.popup, ctx.replay]));
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    const ack = vi.fn();
    fake.fire('notification', payload('s1', { seq: 1, replay: true }), ack);
    fake.fire('notification', payload('s2', { seq: 2, replay: true }), ack);
    fake.fire('notification', payload('s3', { seq: 3, replay: true, silent: true }), ack);
    fake.fire('synced', { count: 3, head: 5, now: Date.now() });
    await synced;
    expect(ack).toHaveBeenCalledTimes(3);
    expect(got).toEqual([
      ['s1', true, true],
      ['s2', true, true],
      ['s3', false, true],
    ]);
    expect(shown.map((n) => n.title)).toEqual(['Title s1', 'Title s2']);
    expect(client.cursor).toBe(5);
    expect(fake.asked).toEqual([]);

    // A later page load presents the stored cursor in its handshake.
    const again = fakeSocket();
    new HeraldClient({ url: 'http://h', token: tokenFor('u1'), io: again.io as never, Notification: N, storage });
    const o2 = (again.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => o2.auth(r))).toEqual({ token: tokenFor('u1'), since: 5, streams: {} });
  });

  it('starts over when the server head is behind its cursor (a server restored from an older backup)', async () => {
    const storage = memoryStorage();
    storage.setItem('herald:cursor:http://h:default:u9', '40');
    const fake = fakeSocket();
    const client = new HeraldClient({
      url: 'http://h',
      token: tokenFor('u9'),
      io: fake.io as never,
      Notification: null,
      storage,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => options.auth(r))).toMatchObject({ since: 40 });
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    fake.fire('notification', payload('r1', { seq: 1, replay: true }), () => {});
    fake.fire('synced', { count: 1, head: 3 });
    await synced;
    expect(client.cursor).toBe(3);
  });

  it('asks with sync when the server sends no catch-up (an older server)', async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket({ sync: syncServer([[payload('o1', { seq: 1 })]], 1) });
      const client = new HeraldClient({
        url: 'http://h',
        token: 't',
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      const got: string[] = [];
      client.on('notification', (n) => got.push(n.id));
      fake.socket.connected = true;
      fake.fire('connect');
      await vi.advanceTimersByTimeAsync(10_000);
      expect(fake.asked.map(([event]) => event)).toEqual(['sync', 'sync']);
      expect(got).toEqual(['o1']);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes replay from the server in a sync's answer: one accepted since this connection is not a replay", async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeSocket({
        sync: syncServer([[payload('old', { seq: 1, replay: true }), payload('new', { seq: 2 })]], 2),
      });
      const client = new HeraldClient({
        url: 'http://h',
        token: 't',
        io: fake.io as never,
        Notification: null,
        storage: null,
      });
      const got: Array<[string, boolean]> = [];
      client.on('notification', (n, ctx) => got.push([n.id, ctx.replay]));
      fake.socket.connected = true;
      fake.fire('connect');
      // No catch-up from this server: the client asks with sync.
      await vi.advanceTimersByTimeAsync(10_000);
      expect(got).toEqual([
        ['old', true],
        ['new', false],
      ]);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a big catch-up into one summary popup instead of a flood', async () => {
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: tokenFor('u2'),
      io: fake.io as never,
      Notification: N,
      storage: memoryStorage(),
    });
    const events: string[] = [];
    client.on('notification', (n) => events.push(n.id));
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    for (let i = 0; i < 8; i++) fake.fire('notification', payload(`m${i}`, { seq: i + 1, replay: true }), () => {});
    fake.fire('synced', { count: 8, head: 8 });
    await synced;
    expect(events).toHaveLength(8);
    expect(shown.map((n) => n.title)).toEqual(['8 new notifications']);
  });

  it('holds live notifications during a sync and hands them over after it, in order, without duplicates', async () => {
    let release: (v: unknown) => void = () => {};
    const gate = new Promise((r) => {
      release = r;
    });
    let calls = 0;
    const fake = fakeSocket({
      sync: async () => {
        calls++;
        if (calls === 1) {
          await gate;
          return { ok: true, notifications: [payload('a', { seq: 1 }), payload('b', { seq: 2 })], head: 3 };
        }
        return { ok: true, notifications: [], head: 3 };
      },
    });
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: null,
      storage: null,
      syncIntervalMs: 10,
    });
    const got: string[] = [];
    client.on('notification', (n) => got.push(n.id));
    fake.fire('connect');
    fake.fire('synced', { count: 0, head: 0 });
    fake.socket.connected = true;
    const synced = new Promise((r) => client.on('synced', (info) => info.count > 0 && r(info)));
    await new Promise((r) => setTimeout(r, 30));
    fake.fire('notification', payload('c', { seq: 3 }), () => {});
    fake.fire('notification', payload('b', { seq: 2 }), () => {});
    expect(got).toEqual([]);
    release(undefined);
    await synced;
    expect(got).toEqual(['a', 'b', 'c']);
    client.disconnect();
  });

  it('holds live notifications that come before the end of catch-up', async () => {
    const fake = fakeSocket();
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const got: Array<[string, boolean]> = [];
    client.on('notification', (n, ctx) => got.push([n.id, ctx.replay]));
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    fake.fire('notification', payload('live', { seq: 9 }), () => {});
    fake.fire('notification', payload('old', { seq: 8, replay: true }), () => {});
    expect(got).toEqual([]);
    fake.fire('synced', { count: 1, head: 8 });
    await synced;
    await flush();
    expect(got).toEqual([
      ['old', true],
      ['live', false],
    ]);
    client.disconnect();
  });

  it('closes popups and updates the unread count when notifications are read elsewhere', async () => {
    const fake = fakeSocket();
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: N,
      storage: null,
    });
    const unread: number[] = [];
    client.on('unread', (n) => unread.push(n));
    fake.fire('notification', payload('r1'), () => {});
    await flush();
    fake.fire('inbox:read', { ids: ['r1'], unread: 4 });
    expect(shown[0]?.close).toHaveBeenCalled();
    expect(unread).toEqual([4]);
  });

  it('lets only the tab that wins the Web Lock pop a notification up', async () => {
    const held = new Set<string>();
    const locks = {
      request: async (name: string, _opts: unknown, fn: (lock: unknown) => Promise<unknown>) => {
        if (held.has(name)) return fn(null);
        held.add(name);
        try {
          // Hold it across a tick, as a real lock held by a busy tab would be.
          await new Promise((r) => setTimeout(r, 1));
          return await fn({ name });
        } finally {
          held.delete(name);
        }
      },
    } as unknown as LockManager;
    const { N, shown } = fakeNotification('granted');
    // No shared storage: only the lock keeps the second tab from popping up at the same moment.
    const tabs = [fakeSocket(), fakeSocket()];
    for (const t of tabs)
      new HeraldClient({ url: 'http://h', token: 't', io: t.io as never, Notification: N, storage: null, locks });
    for (const t of tabs) t.fire('notification', payload('w'), () => {});
    await new Promise((r) => setTimeout(r, 20));
    expect(shown).toHaveLength(1);
  });

  it('asks shouldPopup, and can leave popups to the page entirely', async () => {
    const { N, shown } = fakeNotification('granted');
    const fake = fakeSocket();
    new HeraldClient({
      url: 'http://h',
      token: 't',
      io: fake.io as never,
      Notification: N,
      storage: null,
      shouldPopup: (n) => n.priority === 'high',
    });
    fake.fire('notification', payload('low1'), () => {});
    fake.fire('notification', payload('hi1', { priority: 'high' }), () => {});
    await flush();
    expect(shown.map((n) => n.title)).toEqual(['Title hi1']);
  });

  it('swaps in a fresh token before the old one expires, by the server clock, without reconnecting', async () => {
    vi.useFakeTimers();
    try {
      // This device's clock is an hour fast: by its own clock the token expired long ago.
      const serverNow = () => Date.now() - 3600_000;
      const tokenFor10Min = () =>
        `h.${btoa(JSON.stringify({ sub: 'u', aud: 'default', exp: Math.floor(serverNow() / 1000) + 600 })).replace(/=+$/, '')}.s`;
      const fake = fakeSocket({
        'auth:refresh': () => ({ ok: true, exp: Math.floor(serverNow() / 1000) + 600 }),
      });
      const client = new HeraldClient({
        url: 'http://h',
        token: async () => tokenFor10Min(),
        io: fake.io as never,
        Notification: null,
        storage: null,
        syncIntervalMs: 0,
      });
      const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
      await new Promise((r) => options.auth(r));
      let refreshes = 0;
      client.on('refreshed', () => refreshes++);
      fake.socket.connected = true;
      fake.fire('connect');
      fake.fire('synced', { count: 0, head: 0, now: serverNow() });
      // No refresh storm from the skewed clock: the first comes 60 s before expiry, 9 minutes in.
      await vi.advanceTimersByTimeAsync(8 * 60_000);
      expect(refreshes).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000 + 1000);
      expect(refreshes).toBe(1);
      // An hour with the tab open: one refresh every 9 minutes, never a reconnect.
      await vi.advanceTimersByTimeAsync(60 * 60_000);
      expect(refreshes).toBe(7);
      expect(fake.socket.connect).not.toHaveBeenCalled();
      expect(fake.asked.filter(([event]) => event === 'auth:refresh')).toHaveLength(7);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  /**
   * A client whose token (from a function) expires in 10 minutes, its handshake done, the server
   * answering `auth:refresh` with `answer(exp)`.
   */
  async function refreshing(answer: (exp: number) => unknown) {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = `h.${btoa(JSON.stringify({ sub: 'u', aud: 'default', exp })).replace(/=+$/, '')}.s`;
    const fake = fakeSocket({ 'auth:refresh': () => answer(exp) });
    const client = new HeraldClient({
      url: 'http://h',
      token: async () => token,
      io: fake.io as never,
      Notification: null,
      storage: null,
      syncIntervalMs: 0,
    });
    await fake.auth();
    return { fake, client, exp };
  }

  it('tries a failed token refresh again while the token lasts', async () => {
    vi.useFakeTimers();
    try {
      let down = 2;
      const { fake, client } = await refreshing((exp) =>
        // The server is busy for the first two tries.
        down-- > 0 ? { ok: false, code: 'HERALD_ERR_UNAVAILABLE', message: 'busy' } : { ok: true, exp: exp + 600 },
      );
      const errors: string[] = [];
      // (The fake answers no catch-up: only the refreshes' errors count here.)
      client.on('error', (e: { code?: string }) => e.code !== 'HERALD_ERR_SYNC' && errors.push(String(e.code)));
      let refreshed = 0;
      client.on('refreshed', () => refreshed++);
      fake.socket.connected = true;
      fake.fire('connect');
      // 60 s before expiry the first try fails; 48 s later the second; 9.6 s later the third works.
      await vi.advanceTimersByTimeAsync(540_000 + 100);
      expect([errors, refreshed]).toEqual([['HERALD_ERR_UNAVAILABLE'], 0]);
      await vi.advanceTimersByTimeAsync(48_000);
      expect([errors.length, refreshed]).toEqual([2, 0]);
      await vi.advanceTimersByTimeAsync(9_600);
      expect(refreshed).toBe(1);
      expect(fake.socket.connect).not.toHaveBeenCalled();
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('schedules nothing after a refresh that was under way when the socket closed, failed or not', async () => {
    vi.useFakeTimers();
    try {
      for (const outcome of ['failed', 'succeeded'] as const) {
        let answer: (reply: unknown) => void = () => {};
        const { fake, client, exp } = await refreshing(() => new Promise((resolve) => (answer = resolve)));
        client.on('error', () => {});
        fake.socket.connected = true;
        fake.fire('connect');
        await vi.advanceTimersByTimeAsync(540_000 + 100);
        const refreshes = () => fake.asked.filter(([event]) => event === 'auth:refresh').length;
        expect(refreshes(), outcome).toBe(1);
        // The socket closes while the server has not answered yet; then the answer comes.
        fake.socket.connected = false;
        fake.fire('disconnect', 'transport close');
        answer(
          outcome === 'failed'
            ? { ok: false, code: 'HERALD_ERR_UNAVAILABLE', message: 'busy' }
            : { ok: true, exp: exp + 600 },
        );
        await vi.advanceTimersByTimeAsync(30 * 60_000);
        expect(refreshes(), outcome).toBe(1);
        client.disconnect();
      }
    } finally {
      vi.useRealTimers();
    }
  });

  it('tries a refresh that keeps failing a few times in the token’s last minute, and none after it', async () => {
    vi.useFakeTimers();
    try {
      const { fake, client } = await refreshing(() => ({ ok: false, code: 'HERALD_ERR_UNAVAILABLE', message: 'busy' }));
      fake.socket.connected = true;
      fake.fire('connect');
      // (The last try may come a second past expiry: never sooner than a second after the one before.)
      await vi.advanceTimersByTimeAsync(602_000);
      const tries = fake.asked.length;
      expect(tries).toBeGreaterThan(3);
      expect(tries).toBeLessThan(15);
      // Past expiry (the server closes the socket then): no more.
      await vi.advanceTimersByTimeAsync(600_000);
      expect(fake.asked.length).toBe(tries);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('never waits on a timer past its 32-bit ceiling for a token that expires in the far future', async () => {
    vi.useFakeTimers();
    try {
      const far = `h.${btoa(JSON.stringify({ sub: 'u', exp: 100_000_000_000 })).replace(/=+$/, '')}.s`;
      const fake = fakeSocket({ 'auth:refresh': () => ({ ok: true, exp: 100_000_000_000 }) });
      const client = new HeraldClient({
        url: 'http://h',
        token: async () => far,
        io: fake.io as never,
        Notification: null,
        storage: null,
        syncIntervalMs: 0,
      });
      const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
      await new Promise((r) => options.auth(r));
      fake.fire('connect');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(fake.asked).toEqual([]);
      client.disconnect();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses to start without a token', () => {
    expect(() => new HeraldClient({ url: 'http://h' } as never)).toThrow(/needs \{ token \}/);
  });
});
