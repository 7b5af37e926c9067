import type { PushMessage } from '@herald/protocol';
import { describe, expect, it, vi } from 'vitest';
import { toBase64Url } from '../src/push/keys.js';
import { heraldWorker, type WorkerScope } from '../src/sw/worker.js';
import { memoryDb } from './memory-db.js';

const RECEIPTS = 'https://herald.test/push/receipts';

const message = (id: string, extra: Partial<PushMessage['notification']> = {}): PushMessage => ({
  web_push: 8030,
  notification: {
    title: `Title ${id}`,
    body: 'Body',
    navigate: `https://app.test/items/${id}`,
    tag: id,
    timestamp: 1764600000000,
    silent: false,
    lang: 'en',
    data: { herald: { id, receipt: `receipt-${id}`, receipts: RECEIPTS } },
    ...extra,
  },
});

/** A service worker's global scope: its listeners, popups, windows and requests, recorded. */
function fakeScope() {
  const listeners = new Map<string, (event: unknown) => void>();
  const shown: Array<{ title: string; options: NotificationOptions }> = [];
  const posted: Array<{ url: string; body: unknown }> = [];
  const focused: string[] = [];
  const opened: string[] = [];
  const windows: Array<{ url: string; focus(): Promise<unknown> }> = [];
  const subscribe = vi.fn(async (options: PushSubscriptionOptionsInit) => {
    const key = options.applicationServerKey as Uint8Array;
    return {
      endpoint: 'https://push.example/new',
      options: { applicationServerKey: key.slice().buffer },
      toJSON: () => ({ endpoint: 'https://push.example/new', expirationTime: null, keys: { p256dh: 'p', auth: 'a' } }),
    } as unknown as PushSubscription;
  });
  let renewReply = { status: 200, body: { renew: 'renew-2' } };
  const scope: WorkerScope = {
    addEventListener: (type, listener) => listeners.set(type, listener as (event: unknown) => void),
    registration: {
      showNotification: async (title, options) => void shown.push({ title, options }),
      pushManager: { subscribe },
    },
    clients: {
      matchAll: async () => windows,
      openWindow: async (url) => void opened.push(url),
    },
    fetch: (async (url: string, init: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init.body)) });
      const reply = url.endsWith('/push/renew') ? renewReply : { status: 204, body: null };
      return new Response(reply.body ? JSON.stringify(reply.body) : null, { status: reply.status });
    }) as typeof fetch,
  };
  const db = memoryDb();
  heraldWorker(scope, db);

  /** Fires an event at the worker; resolves once everything it passed to `waitUntil` settled. */
  const fire = async (type: string, fields: object) => {
    const waits: Array<Promise<unknown>> = [];
    listeners.get(type)?.({ ...fields, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    await Promise.allSettled(waits);
    return waits;
  };
  const push = (data: unknown) =>
    fire('push', {
      data: {
        json: () => (typeof data === 'string' ? JSON.parse(data) : data),
      },
    });
  const addWindow = (url: string) => windows.push({ url, focus: async () => void focused.push(url) });
  const renewWith = (status: number, body: { renew: string }) => {
    renewReply = { status, body };
  };
  return { scope, db, shown, posted, focused, opened, subscribe, fire, push, addWindow, renewWith };
}

const notification = (data: unknown) => ({ data, close: vi.fn() });

describe('service worker', () => {
  it('shows a Herald push, records it as seen and reports it displayed', async () => {
    const sw = fakeScope();
    await sw.push(message('n1'));
    expect(sw.shown).toEqual([
      {
        title: 'Title n1',
        options: {
          body: 'Body',
          tag: 'n1',
          data: {
            herald: { id: 'n1', receipt: 'receipt-n1', receipts: RECEIPTS },
            navigate: 'https://app.test/items/n1',
          },
          icon: undefined,
          lang: 'en',
          silent: false,
          timestamp: 1764600000000,
        },
      },
    ]);
    expect(sw.db.seen.has('n1')).toBe(true);
    expect(sw.posted).toEqual([{ url: RECEIPTS, body: { receipt: 'receipt-n1', event: 'displayed' } }]);
  });

  it('shows nothing for a notification a tab (or an earlier push) already showed', async () => {
    const sw = fakeScope();
    await sw.db.claim('n2'); // a tab's popup
    await sw.push(message('n2'));
    await sw.push(message('n3'));
    await sw.push(message('n3'));
    expect(sw.shown.map((s) => s.title)).toEqual(['Title n3']);
    expect(sw.posted).toHaveLength(1);
  });

  it("leaves pushes that are not Herald's alone", async () => {
    const sw = fakeScope();
    expect(await sw.push({ title: 'the site’s own' })).toEqual([]);
    expect(await sw.push({ notification: { title: 'x', data: { other: 1 } } })).toEqual([]);
    const notJson = await sw.fire('push', {
      data: {
        json: () => {
          throw new SyntaxError('not JSON');
        },
      },
    });
    expect(notJson).toEqual([]);
    expect(await sw.fire('push', { data: null })).toEqual([]);
    expect(sw.shown).toEqual([]);
  });

  it('forgets the id when the popup could not be shown, so a tab may still show it', async () => {
    const sw = fakeScope();
    sw.scope.registration.showNotification = async () => {
      throw new TypeError('No notification permission');
    };
    await sw.push(message('n4'));
    expect(sw.db.seen.has('n4')).toBe(false);
    expect(sw.posted).toEqual([]);
  });

  it('on a click: closes it, opens its page and reports clicked', async () => {
    const sw = fakeScope();
    const n = notification({ herald: message('n5').notification.data.herald, navigate: 'https://app.test/items/n5' });
    await sw.fire('notificationclick', { notification: n });
    expect(n.close).toHaveBeenCalled();
    expect(sw.opened).toEqual(['https://app.test/items/n5']);
    expect(sw.posted).toEqual([{ url: RECEIPTS, body: { receipt: 'receipt-n5', event: 'clicked' } }]);
  });

  it('on a click: focuses a window already at its page instead of opening another', async () => {
    const sw = fakeScope();
    sw.addWindow('https://app.test/');
    sw.addWindow('https://app.test/items/n6');
    const n = notification({ herald: message('n6').notification.data.herald, navigate: 'https://app.test/items/n6' });
    await sw.fire('notificationclick', { notification: n });
    expect(sw.focused).toEqual(['https://app.test/items/n6']);
    expect(sw.opened).toEqual([]);
  });

  it('never opens a script URL', async () => {
    const sw = fakeScope();
    const n = notification({ herald: message('n7').notification.data.herald, navigate: 'javascript:alert(1)' });
    await sw.fire('notificationclick', { notification: n });
    expect(sw.opened).toEqual([]);
    expect(sw.posted).toHaveLength(1);
  });

  it("leaves clicks and closes of the site's own notifications alone", async () => {
    const sw = fakeScope();
    const n = notification({ url: '/x' });
    expect(await sw.fire('notificationclick', { notification: n })).toEqual([]);
    expect(await sw.fire('notificationclose', { notification: n })).toEqual([]);
    expect(n.close).not.toHaveBeenCalled();
    expect(sw.posted).toEqual([]);
  });

  it('reports closed when the user dismisses it', async () => {
    const sw = fakeScope();
    const n = notification({ herald: message('n8').notification.data.herald, navigate: 'https://app.test/' });
    await sw.fire('notificationclose', { notification: n });
    expect(sw.posted).toEqual([{ url: RECEIPTS, body: { receipt: 'receipt-n8', event: 'closed' } }]);
  });

  describe('pushsubscriptionchange', () => {
    const KEY = new Uint8Array(65).fill(7);
    const saved = {
      url: 'https://herald.test/',
      renew: 'renew-1',
      endpoint: 'https://push.example/old',
      publicKey: toBase64Url(KEY.buffer),
    };
    const old = (endpoint = saved.endpoint) => ({ endpoint, options: { applicationServerKey: KEY.buffer } });

    it('subscribes again with the old key, renews at Herald and keeps the new token', async () => {
      const sw = fakeScope();
      await sw.db.setRecord(saved);
      await sw.fire('pushsubscriptionchange', { oldSubscription: old(), newSubscription: null });
      expect(sw.subscribe).toHaveBeenCalledWith({ userVisibleOnly: true, applicationServerKey: KEY.buffer });
      expect(sw.posted).toEqual([
        {
          url: 'https://herald.test/push/renew',
          body: {
            renew: 'renew-1',
            subscription: { endpoint: 'https://push.example/new', keys: { p256dh: 'p', auth: 'a' } },
          },
        },
      ]);
      expect(sw.db.saved).toEqual({ ...saved, renew: 'renew-2', endpoint: 'https://push.example/new' });
    });

    it('without the old subscription, subscribes with the key it was made with', async () => {
      const sw = fakeScope();
      await sw.db.setRecord(saved);
      await sw.fire('pushsubscriptionchange', {});
      const key = sw.subscribe.mock.calls[0]?.[0].applicationServerKey as Uint8Array;
      expect([...key]).toEqual([...KEY]);
      expect(sw.db.saved?.renew).toBe('renew-2');
    });

    it('uses the new subscription the browser already made', async () => {
      const sw = fakeScope();
      await sw.db.setRecord(saved);
      const made = {
        endpoint: 'https://push.example/made',
        toJSON: () => ({ endpoint: 'https://push.example/made', keys: { p256dh: 'p2', auth: 'a2' } }),
      };
      await sw.fire('pushsubscriptionchange', { oldSubscription: old(), newSubscription: made });
      expect(sw.subscribe).not.toHaveBeenCalled();
      expect(sw.posted[0]?.body).toEqual({
        renew: 'renew-1',
        subscription: { endpoint: 'https://push.example/made', keys: { p256dh: 'p2', auth: 'a2' } },
      });
      expect(sw.db.saved?.endpoint).toBe('https://push.example/made');
    });

    it("keeps the old token when Herald refuses, and leaves the site's own subscription alone", async () => {
      const sw = fakeScope();
      await sw.fire('pushsubscriptionchange', { oldSubscription: old() });
      expect(sw.subscribe).not.toHaveBeenCalled(); // Herald never registered this browser
      await sw.db.setRecord(saved);
      await sw.fire('pushsubscriptionchange', { oldSubscription: old('https://push.example/the-sites-own') });
      expect(sw.subscribe).not.toHaveBeenCalled();
      sw.renewWith(400, { renew: 'never' });
      await sw.fire('pushsubscriptionchange', { oldSubscription: old() });
      expect(sw.posted).toHaveLength(1);
      expect(sw.db.saved).toEqual(saved);
    });
  });
});
