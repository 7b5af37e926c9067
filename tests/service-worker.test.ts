/**
 * The built service worker (packages/sdk/dist/herald-sw.js) in Chromium, as a site uses it: the
 * site (http://localhost:<port>) serves its own worker, which imports herald-sw.js from Herald's
 * origin (http://127.0.0.1:<port>, here a small server standing in for Herald's routes) next to a
 * push handler of its own. Push events are fired through the DevTools protocol
 * (`ServiceWorker.deliverPushMessage`): headless Chromium cannot make a real push subscription.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PushMessage } from '@herald/protocol';
import { eventually } from '@herald/test-support';
import type { Browser, BrowserContext, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type PushDevTools, pushContext, pushDevTools, workerPopups } from './support/browser.js';
import { ROOT } from './support/herald.js';

const DIST = join(ROOT, 'packages/sdk/dist');

interface Posted {
  path: string;
  origin: string | undefined;
  body: { receipt?: string; event?: string; renew?: string; subscription?: unknown };
}

let herald: Server;
let heraldUrl: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let devTools: PushDevTools;
let worker: Worker;
const posted: Posted[] = [];

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

/** Herald's routes the worker and the page use, with the headers the contract gives them (CORS open). */
function heraldStandIn(): Server {
  return createServer(async (req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    if (req.method === 'GET' && (req.url === '/herald-sw.js' || req.url === '/push.js')) {
      res
        .writeHead(200, {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          // importScripts from another origin is a no-cors load: Herald must not forbid it.
          'cross-origin-resource-policy': 'cross-origin',
        })
        .end(await readFile(join(DIST, req.url.slice(1))));
      return;
    }
    if (req.method === 'POST' && (req.url === '/push/receipts' || req.url === '/push/renew')) {
      posted.push({ path: req.url, origin: req.headers.origin, body: JSON.parse(await body(req)) });
      if (req.url === '/push/renew') {
        res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify({ renew: 'renew-2' }));
      } else res.writeHead(204, cors).end();
      return;
    }
    res.writeHead(404).end();
  });
}

/** The integrator's site: any page, and its own worker that imports Herald's. */
function integratorSite(): Server {
  return createServer((req, res) => {
    if (req.url === '/sw.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(`
importScripts(${JSON.stringify(`${heraldUrl}/herald-sw.js`)});
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
// The site's own pushes, beside Herald's.
self.addEventListener('push', (event) => {
  const message = event.data && event.data.json();
  if (message && message.site) event.waitUntil(self.registration.showNotification(message.site, { tag: message.site }));
});`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Site</title>
<script src="${heraldUrl}/push.js"></script>
<script>window.ready = navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready);</script>`);
  });
}

const listen = (server: Server, host: string) =>
  new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

const message = (id: string, extra: Partial<PushMessage['notification']> = {}): PushMessage => ({
  web_push: 8030,
  notification: {
    title: `Title ${id}`,
    body: `Body ${id}`,
    navigate: `${siteUrl}/items/${id}`,
    tag: id,
    timestamp: Date.now(),
    silent: false,
    lang: 'en',
    data: { herald: { id, receipt: `receipt-${id}`, receipts: `${heraldUrl}/push/receipts` } },
    ...extra,
  },
});

const deliver = (data: unknown) => devTools.deliver(data);

/** The popups of the site's registration, as the page sees them. */
const notifications = () => workerPopups(page);

function closeAll(): Promise<void> {
  return page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

const receipts = (event: string) =>
  posted.filter((p) => p.path === '/push/receipts' && p.body.event === event).map((p) => p.body.receipt);

/** What the SDK's popup gate does when a tab shows a popup (push.js `claim`): true if the tab may show it. */
function tabClaims(id: string): Promise<boolean> {
  return page.evaluate((id) => {
    const socket = { connected: false, on: () => {}, timeout: () => ({}) };
    const push = (window as unknown as { HeraldPush: (c: unknown) => { claim(id: string): Promise<boolean> } })
      .HeraldPush;
    return push({ url: 'http://herald.invalid', socket, popupGate: undefined }).claim(id);
  }, id);
}

beforeAll(async () => {
  herald = heraldStandIn();
  heraldUrl = `http://127.0.0.1:${await listen(herald, '127.0.0.1')}`;
  site = integratorSite();
  siteUrl = `http://localhost:${await listen(site, 'localhost')}`;
  browser = await launchChromium();
  context = await pushContext(browser, { origins: [siteUrl] });
  page = await context.newPage();
  devTools = await pushDevTools(page, siteUrl);
  await page.goto(`${siteUrl}/`);
  await page.evaluate(() => (window as unknown as { ready: Promise<unknown> }).ready.then(() => undefined));
  await devTools.registrationId;
  worker = await eventually(async () => context.serviceWorkers().find((w) => w.url() === `${siteUrl}/sw.js`));
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await new Promise((resolve) => herald?.close(resolve));
});

describe('herald-sw.js imported by a site’s worker on another origin', () => {
  it('shows a Herald push and POSTs the displayed receipt to Herald', async () => {
    expect(new URL(siteUrl).origin).not.toBe(new URL(heraldUrl).origin);
    await deliver(message('n1'));
    expect(await eventually(async () => ((await notifications()).length ? notifications() : undefined))).toEqual([
      { title: 'Title n1', tag: 'n1', body: 'Body n1' },
    ]);
    await eventually(() => receipts('displayed').length > 0);
    expect(posted).toEqual([
      { path: '/push/receipts', origin: siteUrl, body: { receipt: 'receipt-n1', event: 'displayed' } },
    ]);
    // A tab of this browser that gets n1 on its socket now shows no popup of its own.
    expect(await tabClaims('n1')).toBe(false);
  });

  it('shows nothing for a second delivery of the same notification', async () => {
    await closeAll();
    await deliver(message('n1'));
    // A fresh one after it: once it is displayed, the duplicate has long been handled.
    await deliver(message('n2'));
    await eventually(() => receipts('displayed').includes('receipt-n2'));
    expect(await notifications()).toEqual([{ title: 'Title n2', tag: 'n2', body: 'Body n2' }]);
    expect(receipts('displayed')).toEqual(['receipt-n1', 'receipt-n2']);
  });

  it('shows nothing for a notification a tab of this browser already showed', async () => {
    await closeAll();
    expect(await tabClaims('n3')).toBe(true); // the tab's popup, recorded as the SDK does
    await deliver(message('n3'));
    await deliver(message('n4'));
    await eventually(() => receipts('displayed').includes('receipt-n4'));
    expect(await notifications()).toEqual([{ title: 'Title n4', tag: 'n4', body: 'Body n4' }]);
    expect(receipts('displayed')).not.toContain('receipt-n3');
  });

  it("ignores pushes that are not Herald's and leaves them to the site's own handler", async () => {
    await closeAll();
    const before = posted.length;
    await deliver({ site: 'Site news' });
    await deliver({ notification: { title: 'Not Herald', data: { other: true } }, site: 'Site again' });
    let last: string[] = [];
    await eventually(async () => {
      last = (await notifications()).map((n) => n.title);
      return last.length === 2 || undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; the registration showed: ${JSON.stringify(last)}`);
    });
    const shown = await notifications();
    expect(shown.map((n) => n.title).sort()).toEqual(['Site again', 'Site news']);
    expect(posted.length).toBe(before);
  });

  /**
   * Chromium lets a worker open or focus a window only during a real click on its notification,
   * which no automation can make. So the click is a NotificationEvent dispatched in the worker on
   * the real notification (its `waitUntil` kept, as a script-made event may not call it), and
   * `clients.openWindow` and `WindowClient.focus` are replaced by recorders: what the handler asked
   * the browser for is checked, not the browser's window management.
   */
  async function click(tag: string, type = 'notificationclick') {
    return worker.evaluate(
      async ({ tag, type }) => {
        const scope = self as unknown as {
          registration: ServiceWorkerRegistration;
          clients: { openWindow: (url: string) => Promise<unknown> };
          dispatchEvent(e: Event): boolean;
        };
        const calls: string[] = [];
        scope.clients.openWindow = async (url) => void calls.push(`openWindow ${url}`);
        const WindowClient = (self as unknown as { WindowClient: { prototype: { focus(): Promise<unknown> } } })
          .WindowClient;
        WindowClient.prototype.focus = async function (this: { url: string }) {
          calls.push(`focus ${this.url}`);
          return this;
        };
        const [notification] = (await scope.registration.getNotifications()).filter((n) => n.tag === tag);
        const NotificationEvent = (
          self as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event }
        ).NotificationEvent;
        const event = new NotificationEvent(type, { notification: notification as Notification });
        const waits: Array<Promise<unknown>> = [];
        Object.assign(event, { waitUntil: (p: Promise<unknown>) => waits.push(p) });
        scope.dispatchEvent(event);
        await Promise.all(waits);
        const left = (await scope.registration.getNotifications()).map((n) => n.tag);
        return { calls, waited: waits.length, left };
      },
      { tag, type },
    );
  }

  it('on a click: closes the notification, opens its page and POSTs the clicked receipt', async () => {
    await closeAll();
    await deliver(message('c1'));
    await eventually(() => receipts('displayed').includes('receipt-c1'));
    const result = await click('c1');
    expect(result).toEqual({ calls: [`openWindow ${siteUrl}/items/c1`], waited: 1, left: [] });
    expect(receipts('clicked')).toEqual(['receipt-c1']);
    expect(posted.find((p) => p.body.event === 'clicked')?.origin).toBe(siteUrl);
  });

  it('on a click: focuses a window already at its page instead of opening another', async () => {
    await closeAll();
    const there = await context.newPage();
    await there.goto(`${siteUrl}/items/c2`);
    await deliver(message('c2'));
    await eventually(() => receipts('displayed').includes('receipt-c2'));
    const result = await click('c2');
    expect(result.calls).toEqual([`focus ${siteUrl}/items/c2`]);
    expect(receipts('clicked')).toEqual(['receipt-c1', 'receipt-c2']);
    await there.close();
  });

  it('on a close: POSTs the closed receipt', async () => {
    await closeAll();
    await deliver(message('d1'));
    await eventually(() => receipts('displayed').includes('receipt-d1'));
    expect((await click('d1', 'notificationclose')).waited).toBe(1);
    await eventually(() => receipts('closed').length > 0);
    expect(receipts('closed')).toEqual(['receipt-d1']);
  });

  it('on pushsubscriptionchange: renews at Herald with the stored token and keeps the new one', async () => {
    // What the SDK stored when it subscribed (push:subscribe's `renew`), written as db.ts does.
    const record = { url: heraldUrl, renew: 'renew-1', endpoint: 'https://push.example/old', publicKey: 'AQID' };
    await page.evaluate((record) => {
      return new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('herald', 1);
        open.onsuccess = () => {
          const tx = open.result.transaction('push', 'readwrite');
          tx.objectStore('push').put(record, 'push');
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
        open.onerror = () => reject(open.error);
      });
    }, record);
    // The browser's replacement subscription (headless Chromium cannot make one: a stand-in).
    const stored = await worker.evaluate(async () => {
      const scope = self as unknown as { dispatchEvent(e: Event): boolean };
      const event = new Event('pushsubscriptionchange');
      const waits: Array<Promise<unknown>> = [];
      const endpoint = 'https://push.example/new';
      Object.assign(event, {
        waitUntil: (p: Promise<unknown>) => waits.push(p),
        oldSubscription: { endpoint: 'https://push.example/old', options: { applicationServerKey: null } },
        newSubscription: { endpoint, toJSON: () => ({ endpoint, keys: { p256dh: 'p', auth: 'a' } }) },
      });
      scope.dispatchEvent(event);
      await Promise.all(waits);
      return new Promise((resolve) => {
        const open = indexedDB.open('herald', 1);
        open.onsuccess = () => {
          const get = open.result.transaction('push').objectStore('push').get('push');
          get.onsuccess = () => resolve(get.result);
        };
      });
    });
    expect(posted.filter((p) => p.path === '/push/renew')).toEqual([
      {
        path: '/push/renew',
        origin: siteUrl,
        body: {
          renew: 'renew-1',
          subscription: { endpoint: 'https://push.example/new', keys: { p256dh: 'p', auth: 'a' } },
        },
      },
    ]);
    expect(stored).toEqual({ ...record, renew: 'renew-2', endpoint: 'https://push.example/new' });
  });
});
