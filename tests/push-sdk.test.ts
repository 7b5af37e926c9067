/**
 * The script-tag SDK's Web Push in Chromium, built files only: a site on one origin embeds
 * `sdk.js` from "Herald" on another and serves `/herald-sw.js` importing Herald's worker. Herald
 * here is a stand-in (Socket.IO and the HTTP routes of docs/web-push.md, answering as the contract
 * says; tests/web-push.test.ts runs the real one). Headless Chromium has no push service, so
 * `PushManager.subscribe`/`getSubscription` are replaced by an init script with a subscription
 * kept in the page's localStorage; everything else is the browser's: permission, the service
 * worker registration, IndexedDB, popups, push events (DevTools `deliverPushMessage`).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PushMessage } from '@herald/protocol';
import { eventually, notificationPayload } from '@herald/test-support';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Server as SocketServer } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchChromium,
  type PushDevTools,
  pushContext,
  pushDevTools,
  pushRecord,
  workerPopups,
} from './support/browser.js';
import { ROOT } from './support/herald.js';

const DIST = join(ROOT, 'packages/sdk/dist');
/** The app's VAPID public key as the stand-in gives it (any 65 bytes do for a stand-in push service). */
const PUBLIC_KEY = Buffer.alloc(65, 4).toString('base64url');
const ENDPOINT = 'https://push.example/browser-1';

let herald: Server;
let io: SocketServer;
let heraldUrl: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let devTools: PushDevTools;
/** What reached the stand-in: script loads, socket events with their payloads, receipts. */
const seen: {
  scripts: string[];
  events: Array<[string, unknown]>;
  receipts: Array<{ receipt: string; event: string }>;
} = { scripts: [], events: [], receipts: [] };

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

function heraldStandIn(): Server {
  const server = createServer(async (req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
    };
    const file = req.url?.slice(1) ?? '';
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
    if (req.method === 'GET' && ['sdk.js', 'push.js', 'herald-sw.js'].includes(file)) {
      seen.scripts.push(file);
      res
        .writeHead(200, {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'no-cache',
          'cross-origin-resource-policy': 'cross-origin',
        })
        .end(await readFile(join(DIST, file)));
      return;
    }
    if (req.method === 'POST' && req.url === '/push/receipts') {
      seen.receipts.push(JSON.parse(await body(req)));
      return void res.writeHead(204, cors).end();
    }
    // Socket.IO answers its own path; anything else is not Herald's.
    if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end();
  });
  io = new SocketServer(server, { cors: { origin: true } });
  io.on('connection', (socket) => {
    const reply = (event: string, answer: (payload: unknown) => unknown) =>
      socket.on(event, (payload: unknown, ack: (r: unknown) => void) => {
        seen.events.push([event, payload]);
        ack(answer(payload));
      });
    reply('sync', () => ({ ok: true, notifications: [], head: 0, streams: {} }));
    reply('push:key', () => ({ ok: true, publicKey: PUBLIC_KEY }));
    reply('push:subscribe', () => ({ ok: true, subscription: { id: 'sub-1', status: 'active' }, renew: 'renew-1' }));
    reply('push:unsubscribe', () => ({ ok: true, removed: true }));
    for (const report of ['displayed', 'clicked', 'closed']) {
      socket.on(report, (payload: unknown) => void seen.events.push([report, payload]));
    }
    socket.emit('synced', { count: 0, head: 0, streams: {}, now: Date.now() });
  });
  return server;
}

function integratorSite(): Server {
  return createServer((req, res) => {
    if (req.url === '/herald-sw.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(`
importScripts(${JSON.stringify(`${heraldUrl}/herald-sw.js`)});
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Shop</title>
<script src="${heraldUrl}/sdk.js"></script>
<script>
  window.received = [];
  Herald.on('notification', (n, ctx) => window.received.push({ id: n.id, popup: ctx.popup }));
  Herald.init({ url: ${JSON.stringify(heraldUrl)}, token: 'h.eyJzdWIiOiJhbGljZSJ9.s' });
</script>`);
  });
}

const listen = (server: Server, host: string) =>
  new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

async function open(): Promise<void> {
  await page.goto(`${siteUrl}/`);
  await page.waitForFunction(() => (window as unknown as { Herald: { state: string } }).Herald.state === 'connected');
}

const events = (name: string) => seen.events.filter(([event]) => event === name).map(([, payload]) => payload);

function send(id: string): void {
  const payload = notificationPayload(id);
  for (const socket of io.sockets.sockets.values()) socket.emit('notification', payload, () => {});
}

const message = (id: string): PushMessage => ({
  web_push: 8030,
  notification: {
    title: `Title ${id}`,
    navigate: `${siteUrl}/`,
    tag: id,
    timestamp: Date.now(),
    data: { herald: { id, receipt: `receipt-${id}`, receipts: `${heraldUrl}/push/receipts` } },
  },
});

const received = () => page.evaluate(() => (window as unknown as { received: unknown[] }).received);

beforeAll(async () => {
  herald = heraldStandIn();
  heraldUrl = `http://127.0.0.1:${await listen(herald, '127.0.0.1')}`;
  site = integratorSite();
  siteUrl = `http://localhost:${await listen(site, 'localhost')}`;
  browser = await launchChromium();
  // Headless Chromium has no push service: one stand-in subscription, kept by the page.
  context = await pushContext(browser, {
    origins: [siteUrl],
    subscribe: async () => ({ endpoint: ENDPOINT, keys: { p256dh: 'BFakeP256dh', auth: 'fakeAuth' } }),
  });
  page = await context.newPage();
  devTools = await pushDevTools(page, siteUrl);
});

afterAll(async () => {
  await browser?.close();
  io?.close();
  await new Promise((resolve) => site?.close(resolve));
  await new Promise((resolve) => herald?.close(resolve));
});

describe('sdk.js Web Push (Chromium, built files, a stand-in Herald)', () => {
  it('loads push.js only once the page enables push, then subscribes and registers the browser', async () => {
    await open();
    expect(seen.scripts).toEqual(['sdk.js']);
    expect(await page.evaluate(() => Herald.pushState())).toBe('unsubscribed');
    expect(seen.scripts).toEqual(['sdk.js', 'push.js']);

    expect(await page.evaluate(() => Herald.enablePush({ softPrompt: false }))).toBe('subscribed');
    expect(seen.scripts).toEqual(['sdk.js', 'push.js', 'herald-sw.js']); // imported by the site's worker
    expect(events('push:key')).toEqual([{}]);
    expect(events('push:subscribe')).toEqual([
      {
        endpoint: ENDPOINT,
        expirationTime: null,
        keys: { p256dh: 'BFakeP256dh', auth: 'fakeAuth' },
        publicKey: PUBLIC_KEY,
      },
    ]);
    expect(await page.evaluate(() => Herald.pushState())).toBe('subscribed');
    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      return { scope: r?.scope, script: r?.active?.scriptURL };
    });
    expect(registration).toEqual({ scope: `${siteUrl}/`, script: `${siteUrl}/herald-sw.js` });
    // What the worker needs for pushsubscriptionchange, in the IndexedDB it shares with the SDK.
    const record = await pushRecord(page);
    expect(record).toEqual({ url: heraldUrl, renew: 'renew-1', endpoint: ENDPOINT, publicKey: PUBLIC_KEY });
  });

  it("a tab's popup is recorded where the worker looks: the push of the same notification shows nothing", async () => {
    send('t1');
    await eventually(async () => (await received()).length === 1);
    expect(await received()).toEqual([{ id: 't1', popup: true }]);
    expect(events('displayed')).toEqual([{ id: 't1' }]);
    await devTools.deliver(message('t1'));
    await devTools.deliver(message('t2')); // fresh: once it is displayed, t1's push has long been handled
    await eventually(() => seen.receipts.length > 0);
    expect(seen.receipts).toEqual([{ receipt: 'receipt-t2', event: 'displayed' }]);
    expect((await workerPopups(page)).map((n) => n.tag)).toEqual(['t2']);
  });

  it("the worker's popup keeps the tabs from showing it again", async () => {
    send('t2');
    send('t3');
    await eventually(async () => (await received()).length === 3);
    expect(await received()).toEqual([
      { id: 't1', popup: true },
      { id: 't2', popup: false },
      { id: 't3', popup: true },
    ]);
    expect((await page.evaluate(() => window.__shown)).map((n) => n.tag)).toEqual(['t1', 't3']);
  });

  it('a page of a subscribed browser loads push.js at once and registers the browser on connect', async () => {
    seen.scripts.length = 0;
    seen.events.length = 0;
    await open();
    await eventually(() => events('push:subscribe').length === 1);
    expect(events('push:subscribe')).toEqual([expect.objectContaining({ endpoint: ENDPOINT, publicKey: PUBLIC_KEY })]);
    expect(seen.scripts).toEqual(['sdk.js', 'push.js']);
  });

  it('unsubscribePush unsubscribes the browser and tells Herald', async () => {
    seen.events.length = 0;
    expect(await page.evaluate(() => Herald.unsubscribePush())).toBe(true);
    expect(events('push:unsubscribe')).toEqual([{ endpoint: ENDPOINT }]);
    expect(await page.evaluate(() => Herald.pushState())).toBe('unsubscribed');
    // The next page has nothing to load or say.
    seen.scripts.length = 0;
    await open();
    expect(seen.scripts).toEqual(['sdk.js']);
  });

  it('tells Herald to forget the browser once the user revoked the permission', async () => {
    expect(await page.evaluate(() => Herald.enablePush({ softPrompt: false }))).toBe('subscribed');
    await context.clearPermissions();
    seen.events.length = 0;
    await open();
    await eventually(() => events('push:unsubscribe').length === 1);
    expect(events('push:unsubscribe')).toEqual([{ endpoint: ENDPOINT }]);
    expect(events('push:subscribe')).toEqual([]);
    expect(await page.evaluate(() => Herald.pushState())).toBe('default');
    expect(await page.evaluate((key) => localStorage.getItem(key), `herald:push:${heraldUrl}`)).toBeNull();
  });
});

declare global {
  const Herald: {
    pushState(): Promise<string>;
    enablePush(options?: { softPrompt?: false }): Promise<string>;
    unsubscribePush(): Promise<boolean>;
  };
}
