import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fromBase64Url, toBase64Url } from '../src/push/keys.js';
import { type PushClient, WebPush } from '../src/push/web-push.js';
import { fakeSocket } from './fake-socket.js';
import { memoryDb } from './memory-db.js';
import { memoryStorage } from './memory-storage.js';

const HERALD = 'https://herald.test';
const FLAG = `herald:push:${HERALD}`;
/** Two VAPID public keys (65-byte uncompressed P-256 points, base64url): the app's, then after a rotation. */
const KEY_1 = toBase64Url(new Uint8Array(65).fill(1).buffer);
const KEY_2 = toBase64Url(new Uint8Array(65).fill(2).buffer);

/** A stand-in for a service worker registration's PushManager: one subscription at a time. */
function fakePushManager() {
  let made = 0;
  const calls: string[] = [];
  const manager = {
    calls,
    current: null as PushSubscription | null,
    async getSubscription() {
      return manager.current;
    },
    async subscribe(options: PushSubscriptionOptionsInit) {
      const key = options.applicationServerKey as Uint8Array;
      calls.push(`subscribe ${toBase64Url(key.slice().buffer)} userVisibleOnly=${options.userVisibleOnly}`);
      const endpoint = `https://push.example/${++made}`;
      const subscription = {
        endpoint,
        expirationTime: null,
        options: { applicationServerKey: key.slice().buffer, userVisibleOnly: true },
        toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: `p256dh-${made}`, auth: `auth-${made}` } }),
        unsubscribe: vi.fn(async () => {
          calls.push(`unsubscribe ${endpoint}`);
          if (manager.current?.endpoint === endpoint) manager.current = null;
          return true;
        }),
      } as unknown as PushSubscription;
      manager.current = subscription;
      return subscription;
    },
  };
  return manager;
}

/** navigator.serviceWorker with one registration, made by `register`. */
function fakeWorkers() {
  const pushManager = fakePushManager();
  const registration = {
    active: {},
    installing: null,
    waiting: null,
    pushManager,
  } as unknown as ServiceWorkerRegistration;
  let registered = false;
  const workers = {
    registered: [] as Array<[string, RegistrationOptions | undefined]>,
    register: vi.fn(async (url: string | URL, options?: RegistrationOptions) => {
      workers.registered.push([String(url), options]);
      registered = true;
      return registration;
    }),
    getRegistration: vi.fn(async () => (registered ? registration : undefined)),
  };
  return { workers, pushManager, registration };
}

/** A Notification whose permission the test sets. */
function fakeNotification(permission: NotificationPermission) {
  return { permission, requestPermission: vi.fn(async () => permission) } as unknown as typeof Notification & {
    permission: NotificationPermission;
  };
}

const subscribed = (renew: string) => ({ ok: true, subscription: { id: 's1', status: 'active' }, renew });

function setup(
  options: {
    permission?: NotificationPermission;
    storage?: Storage;
    replies?: Record<string, (p: unknown) => unknown>;
  } = {},
) {
  const fake = fakeSocket({
    'push:key': () => ({ ok: true, publicKey: KEY_1 }),
    'push:subscribe': () => subscribed('renew-1'),
    'push:unsubscribe': () => ({ ok: true, removed: true }),
    ...options.replies,
  });
  const client: PushClient = { url: HERALD, socket: fake.socket as never, popupGate: undefined };
  const { workers, pushManager, registration } = fakeWorkers();
  const storage = options.storage ?? memoryStorage();
  const db = memoryDb();
  const N = fakeNotification(options.permission ?? 'granted');
  const make = () => new WebPush(client, { Notification: N, serviceWorkers: workers, storage, db });
  return { fake, client, workers, pushManager, registration, storage, db, N, make, push: make() };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  vi.stubGlobal('PushManager', class {});
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('WebPush', () => {
  it('registers the worker, subscribes with the app key and registers the subscription with Herald', async () => {
    const { push, fake, workers, pushManager, storage, db, client } = setup();
    expect(await push.enable('granted')).toBe('subscribed');
    expect(workers.registered).toEqual([['/herald-sw.js', {}]]);
    expect(pushManager.calls).toEqual([`subscribe ${KEY_1} userVisibleOnly=true`]);
    expect(fake.asked).toEqual([
      ['push:key', {}],
      [
        'push:subscribe',
        {
          endpoint: 'https://push.example/1',
          expirationTime: null,
          keys: { p256dh: 'p256dh-1', auth: 'auth-1' },
          publicKey: KEY_1,
        },
      ],
    ]);
    // What the next connect and the service worker need.
    expect(storage.getItem(FLAG)).toBe('https://push.example/1');
    expect(db.saved).toEqual({ url: HERALD, renew: 'renew-1', endpoint: 'https://push.example/1', publicKey: KEY_1 });
    expect(await push.state()).toBe('subscribed');
    // From now on this tab's popups go through the seen-list the worker reads.
    expect(await client.popupGate?.('n1')).toBe(true);
    expect(await client.popupGate?.('n1')).toBe(false);
    expect(db.seen.has('n1')).toBe(true);
  });

  it('registers the worker file and scope the page named', async () => {
    const { fake, workers, storage, db, N, client } = setup();
    const push = new WebPush(client, {
      Notification: N,
      serviceWorkers: workers,
      storage,
      db,
      serviceWorker: { url: '/app/sw.js', scope: '/app/' },
    });
    expect(await push.enable('granted')).toBe('subscribed');
    expect(workers.registered).toEqual([['/app/sw.js', { scope: '/app/' }]]);
    expect(fake.asked.map(([event]) => event)).toEqual(['push:key', 'push:subscribe']);
    expect(await push.state()).toBe('subscribed');
    expect(workers.getRegistration).toHaveBeenCalledWith('/app/');
  });

  it('waits for a newly installed worker to activate before subscribing', async () => {
    const { push, workers, registration, pushManager } = setup();
    const listeners: Array<() => void> = [];
    const installing = { state: 'installing', addEventListener: (_: string, l: () => void) => listeners.push(l) };
    Object.assign(registration, { active: null, installing });
    const enabled = push.enable('granted');
    await flush();
    expect(workers.registered).toHaveLength(1);
    expect(pushManager.calls).toEqual([]);
    installing.state = 'activated';
    for (const listener of listeners) listener();
    expect(await enabled).toBe('subscribed');
    expect(pushManager.calls).toHaveLength(1);
  });

  it('rejects with HERALD_ERR_PUSH_WORKER when the worker file cannot be registered', async () => {
    const { push, workers, fake } = setup();
    workers.register.mockRejectedValueOnce(new TypeError('404'));
    await expect(push.enable('granted')).rejects.toMatchObject({ code: 'HERALD_ERR_PUSH_WORKER' });
    expect(fake.asked).toEqual([]);
  });

  it("rejects with HERALD_ERR_PUSH_SUBSCRIBE, the browser's reason in the sentence, when the browser cannot subscribe", async () => {
    const { push, pushManager, fake } = setup();
    pushManager.subscribe = async () => {
      throw new DOMException('Registration failed - push service not available', 'AbortError');
    };
    await expect(push.enable('granted')).rejects.toMatchObject({
      code: 'HERALD_ERR_PUSH_SUBSCRIBE',
      message: 'The browser could not subscribe: Registration failed - push service not available',
    });
    expect(fake.asked.map(([event]) => event)).toEqual(['push:key']);
  });

  it('gives up on a push service that never answers after 20 s, and is free for what comes next', async () => {
    vi.useFakeTimers();
    try {
      const { push, pushManager } = setup();
      const subscribe = pushManager.subscribe;
      pushManager.subscribe = () => new Promise<PushSubscription>(() => {});
      const enabling = expect(push.enable('granted')).rejects.toMatchObject({
        code: 'HERALD_ERR_PUSH_SUBSCRIBE',
        message: 'The browser could not subscribe: its push service did not answer within 20 s',
      });
      await vi.advanceTimersByTimeAsync(20_000);
      await enabling;
      // The next call is not queued behind the one that hung.
      pushManager.subscribe = subscribe;
      const again = push.enable('granted');
      await vi.advanceTimersByTimeAsync(0);
      expect(await again).toBe('subscribed');
    } finally {
      vi.useRealTimers();
    }
  });

  it('subscribes nothing without permission, and says why', async () => {
    const { push, fake, workers } = setup({ permission: 'default' });
    expect(await push.enable('denied')).toBe('denied');
    expect(await push.enable('default')).toBe('default');
    expect(await push.enable('snoozed')).toBe('snoozed');
    expect(await push.enable('dismissed')).toBe('dismissed');
    expect(await push.state()).toBe('default');
    expect(workers.registered).toEqual([]);
    expect(fake.asked).toEqual([]);
  });

  it('is unsupported without the Push API', async () => {
    vi.stubGlobal('PushManager', undefined);
    const { push, fake } = setup();
    expect(await push.enable('granted')).toBe('unsupported');
    expect(await push.state()).toBe('unsupported');
    expect(fake.asked).toEqual([]);
  });

  it('subscribes again with the new key when Herald answers HERALD_ERR_PUSH_KEY_ROTATED', async () => {
    let first = true;
    const { push, fake, pushManager, storage, db } = setup({
      replies: {
        'push:subscribe': () => {
          if (!first) return subscribed('renew-2');
          first = false;
          return { ok: false, code: 'HERALD_ERR_PUSH_KEY_ROTATED', message: 'rotated', publicKey: KEY_2 };
        },
      },
    });
    expect(await push.enable('granted')).toBe('subscribed');
    expect(pushManager.calls).toEqual([
      `subscribe ${KEY_1} userVisibleOnly=true`,
      'unsubscribe https://push.example/1',
      `subscribe ${KEY_2} userVisibleOnly=true`,
    ]);
    expect(fake.asked.map(([event, p]) => `${event} ${(p as { publicKey?: string }).publicKey ?? ''}`)).toEqual([
      'push:key ',
      `push:subscribe ${KEY_1}`,
      `push:subscribe ${KEY_2}`,
    ]);
    expect(storage.getItem(FLAG)).toBe('https://push.example/2');
    expect(db.saved).toMatchObject({ renew: 'renew-2', endpoint: 'https://push.example/2', publicKey: KEY_2 });
  });

  it('sends push:subscribe again on every reconnect, with the key the subscription was made with', async () => {
    const { push, fake } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    fake.fire('connect');
    await vi.waitFor(() => expect(fake.asked).toHaveLength(1));
    fake.fire('connect');
    await vi.waitFor(() => expect(fake.asked).toHaveLength(2));
    for (const [event, payload] of fake.asked) {
      expect(event).toBe('push:subscribe');
      expect(payload).toMatchObject({ endpoint: 'https://push.example/1', publicKey: KEY_1 });
    }
  });

  it('a page loaded later in a subscribed browser registers it on its first connect', async () => {
    const first = setup();
    await first.push.enable('granted');
    first.fake.asked.length = 0;
    // A new page of the same browser: same storage, same registration; connected already.
    first.fake.socket.connected = true;
    const second = new WebPush(first.client, {
      Notification: first.N,
      serviceWorkers: first.workers,
      storage: first.storage,
      db: first.db,
    });
    await vi.waitFor(() => expect(first.fake.asked.map(([e]) => e)).toEqual(['push:subscribe']));
    expect(await second.state()).toBe('subscribed');
  });

  it('on a reconnect, a subscription made with a rotated key is replaced by one with the new key', async () => {
    const { push, fake, pushManager, storage } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    let rotated = true;
    const replies = fake.asked;
    // The app's key changed while this browser was away.
    Object.assign(fake.socket, {
      timeout: () => ({
        emitWithAck: async (event: string, payload: { publicKey?: string }) => {
          replies.push([event, payload]);
          if (event === 'push:subscribe' && payload.publicKey === KEY_1 && rotated) {
            rotated = false;
            return { ok: false, code: 'HERALD_ERR_PUSH_KEY_ROTATED', message: 'rotated', publicKey: KEY_2 };
          }
          return subscribed('renew-2');
        },
      }),
    });
    fake.fire('connect');
    await vi.waitFor(() => expect(replies).toHaveLength(2));
    expect(replies.map(([e, p]) => `${e} ${(p as { publicKey: string }).publicKey}`)).toEqual([
      `push:subscribe ${KEY_1}`,
      `push:subscribe ${KEY_2}`,
    ]);
    expect(pushManager.calls.slice(1)).toEqual([
      'unsubscribe https://push.example/1',
      `subscribe ${KEY_2} userVisibleOnly=true`,
    ]);
    await vi.waitFor(() => expect(storage.getItem(FLAG)).toBe('https://push.example/2'));
  });

  it('subscribes again with the key of a push:resubscribe from the server', async () => {
    const { push, fake, pushManager } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    fake.fire('push:resubscribe', { publicKey: KEY_2 });
    await vi.waitFor(() => expect(fake.asked).toHaveLength(1));
    expect(fake.asked[0]).toEqual(['push:subscribe', expect.objectContaining({ publicKey: KEY_2 })]);
    expect(pushManager.calls.slice(1)).toEqual([
      'unsubscribe https://push.example/1',
      `subscribe ${KEY_2} userVisibleOnly=true`,
    ]);
  });

  it('tells Herald to forget the subscription once the user revoked the permission', async () => {
    const { push, fake, N, storage, db, client } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    N.permission = 'denied';
    fake.fire('connect');
    await vi.waitFor(() => expect(storage.getItem(FLAG)).toBeNull());
    expect(fake.asked).toEqual([['push:unsubscribe', { endpoint: 'https://push.example/1' }]]);
    expect(db.saved).toBeUndefined();
    expect(client.popupGate).toBeUndefined();
    expect(await push.state()).toBe('denied');
    // Nothing more to say on the next connect.
    fake.fire('connect');
    await flush();
    expect(fake.asked).toHaveLength(1);
  });

  it('tells Herald to forget the subscription when the browser dropped it', async () => {
    const { push, fake, pushManager, storage } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    pushManager.current = null;
    fake.fire('connect');
    await vi.waitFor(() => expect(storage.getItem(FLAG)).toBeNull());
    expect(fake.asked).toEqual([['push:unsubscribe', { endpoint: 'https://push.example/1' }]]);
  });

  it('keeps the endpoint to try again when Herald could not be told', async () => {
    const { push, fake, N, storage } = setup({
      replies: {
        'push:unsubscribe': () => ({ ok: false, code: 'HERALD_ERR_RATE_LIMITED', message: 'later' }),
      },
    });
    await push.enable('granted');
    N.permission = 'denied';
    fake.fire('connect');
    await vi.waitFor(() => expect(fake.asked.map(([e]) => e)).toContain('push:unsubscribe'));
    await flush();
    expect(storage.getItem(FLAG)).toBe('https://push.example/1');
  });

  it("leaves a subscription Herald never made alone (the site's own push)", async () => {
    const { fake, pushManager, workers, registration } = setup();
    await workers.register('/herald-sw.js');
    await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(KEY_2) });
    fake.fire('connect');
    await flush();
    await flush();
    expect(fake.asked).toEqual([]);
    expect(pushManager.calls).toHaveLength(1);
  });

  it('unsubscribePush unsubscribes the browser and tells Herald', async () => {
    const { push, fake, pushManager, storage, db } = setup();
    await push.enable('granted');
    fake.asked.length = 0;
    expect(await push.unsubscribe()).toBe(true);
    expect(pushManager.calls.at(-1)).toBe('unsubscribe https://push.example/1');
    expect(fake.asked).toEqual([['push:unsubscribe', { endpoint: 'https://push.example/1' }]]);
    expect(storage.getItem(FLAG)).toBeNull();
    expect(db.saved).toBeUndefined();
    expect(await push.state()).toBe('unsubscribed');
    expect(await push.unsubscribe()).toBe(false);
  });
});
