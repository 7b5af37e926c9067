import type { NotificationPayload } from '@herald/protocol';
import { describe, expect, it, vi } from 'vitest';
import { HeraldClient } from '../src/client.js';
import { memoryStorage } from './memory-storage.js';

type Handler = (...args: unknown[]) => void;

/** A stand-in for socket.io-client's socket: records emits, lets the test fire server events. */
function fakeSocket(requests: Record<string, (payload: unknown) => unknown> = {}) {
  const handlers = new Map<string, Handler[]>();
  const emitted: Array<[string, unknown]> = [];
  const asked: Array<[string, unknown]> = [];
  const socket = {
    connected: false,
    active: true,
    timeout: () => ({
      emitWithAck: async (event: string, payload: unknown) => {
        asked.push([event, payload]);
        const answer = requests[event];
        if (!answer) throw new Error(`no fake answer for ${event}`);
        return answer(payload);
      },
    }),
    on(event: string, handler: Handler) {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
      return socket;
    },
    emit(event: string, payload: unknown) {
      emitted.push([event, payload]);
      return socket;
    },
    connect: vi.fn(),
    disconnect: vi.fn(),
  };
  const fire = (event: string, ...args: unknown[]) => {
    for (const h of handlers.get(event) ?? []) h(...args);
  };
  return { socket, emitted, asked, fire, io: vi.fn(() => socket) };
}

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
      token: 'jwt-1',
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const [url, options] = fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }];
    expect(url).toBe('http://herald.test');
    const auth = await new Promise((resolve) => options.auth(resolve));
    expect(auth).toEqual({ token: 'jwt-1' });
  });

  it('asks a token function for a fresh token on every connection attempt', async () => {
    const fake = fakeSocket();
    let n = 0;
    new HeraldClient({
      url: 'http://h',
      token: async () => `jwt-${++n}`,
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    expect(await new Promise((r) => options.auth(r))).toEqual({ token: 'jwt-1' });
    expect(await new Promise((r) => options.auth(r))).toEqual({ token: 'jwt-2' });
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
    const states: string[] = [];
    client.on('state', (s) => states.push(`${s.state}${s.code === undefined ? '' : `:${s.code}`}`));
    fake.fire('connect');
    fake.fire('disconnect', 'transport close');
    expect(states).toEqual(['connected', 'disconnected:2', 'connecting']);
    expect(client.state).toBe('connecting');
  });

  it('surfaces a refused handshake with its code and stays disconnected for a static token', () => {
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
      Object.assign(new Error('Token expired'), { data: { code: 'HERALD_ERR_TOKEN_EXPIRED' } }),
    );
    expect(errors).toEqual(['HERALD_ERR_TOKEN_EXPIRED']);
    expect(client.state).toBe('disconnected');
  });

  it('catches up on connect in sequence order, keeps its cursor, and pops up only a few fresh ones', async () => {
    const storage = memoryStorage();
    const pages = [[payload('s1', { seq: 1 }), payload('s2', { seq: 2 })], [payload('s3', { seq: 3, silent: true })]];
    const fake = fakeSocket({ sync: syncServer(pages, 5) });
    const { N, shown } = fakeNotification('granted');
    const client = new HeraldClient({
      url: 'http://h',
      token: tokenFor('u1'),
      io: fake.io as never,
      Notification: N,
      storage,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    await new Promise((r) => options.auth(r));
    const got: Array<[string, boolean, boolean]> = [];
    client.on('notification', (n, ctx) => got.push([n.id, ctx.popup, ctx.replay]));
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    await synced;
    expect(got).toEqual([
      ['s1', true, true],
      ['s2', true, true],
      ['s3', false, true],
    ]);
    expect(shown.map((n) => n.title)).toEqual(['Title s1', 'Title s2']);
    expect(fake.asked.map(([, p]) => (p as { since: number | null }).since)).toEqual([null, 2, 3]);
    expect(client.cursor).toBe(5);

    // A later page load resumes from the stored cursor.
    const again = fakeSocket({ sync: syncServer([], 5) });
    const second = new HeraldClient({
      url: 'http://h',
      token: tokenFor('u1'),
      io: again.io as never,
      Notification: N,
      storage,
    });
    const o2 = (again.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    await new Promise((r) => o2.auth(r));
    const done = new Promise((r) => second.on('synced', r));
    again.fire('connect');
    await done;
    expect(again.asked[0]?.[1]).toEqual({ since: 5, limit: 100 });
  });

  it('turns a big catch-up into one summary popup instead of a flood', async () => {
    const many = Array.from({ length: 8 }, (_, i) => payload(`m${i}`, { seq: i + 1 }));
    const fake = fakeSocket({ sync: syncServer([many], 8) });
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
    await synced;
    expect(events).toHaveLength(8);
    expect(shown.map((n) => n.title)).toEqual(['8 new notifications']);
  });

  it('holds live notifications during catch-up and hands them over after it, in order, without duplicates', async () => {
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
    });
    const got: string[] = [];
    client.on('notification', (n) => got.push(n.id));
    const synced = new Promise((r) => client.on('synced', r));
    fake.fire('connect');
    await flush();
    fake.fire('notification', payload('c', { seq: 3 }), () => {});
    fake.fire('notification', payload('b', { seq: 2 }), () => {});
    expect(got).toEqual([]);
    release(undefined);
    await synced;
    expect(got).toEqual(['a', 'b', 'c']);
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

  it('swaps in a fresh token before the old one expires, without reconnecting', async () => {
    const soon = () =>
      `h.${btoa(JSON.stringify({ sub: 'u', aud: 'default', exp: Math.floor(Date.now() / 1000) + 1 })).replace(/=+$/, '')}.s`;
    const fake = fakeSocket({
      'auth:refresh': () => ({ ok: true, exp: Math.floor(Date.now() / 1000) + 3600 }),
      sync: () => ({ ok: true, notifications: [], head: 0 }),
    });
    const client = new HeraldClient({
      url: 'http://h',
      token: async () => soon(),
      io: fake.io as never,
      Notification: null,
      storage: null,
    });
    const options = (fake.io.mock.calls[0] as unknown as [string, { auth: (cb: (a: unknown) => void) => void }])[1];
    await new Promise((r) => options.auth(r));
    const refreshed = new Promise((r) => client.on('refreshed', r));
    fake.fire('connect');
    await refreshed;
    expect(fake.asked.some(([event]) => event === 'auth:refresh')).toBe(true);
    expect(fake.socket.connect).not.toHaveBeenCalled();
    client.disconnect();
  });

  it('refuses to start without a token', () => {
    expect(() => new HeraldClient({ url: 'http://h' } as never)).toThrow(/needs \{ token \}/);
  });
});
