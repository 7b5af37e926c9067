/**
 * Web Push end to end, nothing standing in but the push service's transport: the real Herald
 * process (embedded database, as `npm start` runs it) serving the built sdk.js, push.js and
 * herald-sw.js; an integrator's site on another origin that embeds sdk.js, serves a worker file
 * importing Herald's and signs user tokens; Chromium; and web-push-testing as the push service
 * (it makes subscriptions for an applicationServerKey, checks each push's VAPID JWT against that
 * key and decrypts the aes128gcm body).
 *
 * Headless Chromium cannot subscribe at a push service, so the page's `PushManager.subscribe`
 * asks the test to make the subscription at web-push-testing with the very key the SDK passed
 * (the page's fake returns it with that key as `options.applicationServerKey`). And Chromium is
 * not reachable by web-push-testing, so the test closes the loop: what Herald posted, decrypted
 * by web-push-testing, is handed byte for byte to the site's service worker through DevTools
 * (`ServiceWorker.deliverPushMessage`). Everything else is real: permission, the registration,
 * IndexedDB, the popups, the worker's receipts to Herald, the socket-first rule.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PushMessage } from '@herald/protocol';
import { type MockSubscription, type PushService, startPushService } from '@herald/test-support';
import { createSigner } from 'fast-jwt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { io as connectClient } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collectErrors,
  launchChromium,
  type PushDevTools,
  pushContext,
  pushDevTools,
  pushRecord,
  registrationPopups,
  workerPopups,
} from './support/browser.js';
import {
  adminCookie,
  api,
  dropQueuePrefix,
  eventually,
  freePort,
  type HeraldProcess,
  startHerald,
  tempDir,
  uid,
  untilOffline,
} from './support/herald.js';

const API_KEY = `hk_${uid()}${uid()}${uid()}`;
const ADMIN = { email: 'push-e2e@example.com', password: 'correct horse battery' };
const JWT_SECRET = `secret-${uid()}${uid()}${uid()}${uid()}`;
/** The socket window: long enough for a tab opened right after a send to connect within it. */
const WINDOW_MS = 1500;
/** How long after the window a push that should not go out is waited for. */
const MARGIN_MS = 1500;
const USER = `pushed-${uid()}`;
const queuePrefix = `{herald-e2e-${uid()}}`;
const data = tempDir();

let port: number;
let herald: HeraldProcess;
let service: PushService;
let site: Server;
let siteUrl: string;
let browser: Browser;
let context: BrowserContext;
/** A page of the site without the SDK (no socket): it holds the DevTools session and reads the popups. */
let blank: Page;
let devTools: PushDevTools;
/** Every popup the site's worker showed (its title), as the worker reported it to the site. */
const workerShown: string[] = [];
/** Uncaught errors and console errors of the SDK's pages (checked empty after each test). */
const pageErrors: string[] = [];
/** What the page's PushManager.subscribe made at web-push-testing, with the key it was asked for. */
const made: Array<{ publicKey: string; subscription: MockSubscription }> = [];

const sign = createSigner({ key: JWT_SECRET, algorithm: 'HS256' });
const inMinutes = (minutes: number) => Math.floor(Date.now() / 1000) + minutes * 60;
const token = (userId: string) => sign({ sub: userId, aud: 'default', exp: inMinutes(10) });

const start = () =>
  startHerald({
    env: {
      PORT: String(port),
      HERALD_DATA_DIR: data.path,
      HERALD_API_KEY: API_KEY,
      HERALD_JWT_SECRET: JWT_SECRET,
      HERALD_ADMIN_EMAIL: ADMIN.email,
      HERALD_ADMIN_PASSWORD: ADMIN.password,
      HERALD_QUEUE_PREFIX: queuePrefix,
      HERALD_PUSH_ALLOW_PRIVATE: 'true',
      HERALD_PUSH_WINDOW_MS: String(WINDOW_MS),
    },
  });

/** The integrator: a page embedding sdk.js, its worker file importing Herald's, its token endpoint. */
function integratorSite(heraldUrl: string): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      // ?refuse= makes the tokens Herald refuses: signed with another secret, or already expired;
      // or the endpoint fails (an error page instead of a token).
      const user = url.searchParams.get('user') ?? 'anon';
      const refuse = url.searchParams.get('refuse');
      if (refuse === 'endpoint') {
        res.writeHead(500, { 'content-type': 'text/html' }).end('<!doctype html><h1>Internal Server Error</h1>');
        return;
      }
      const issued =
        refuse === 'secret'
          ? createSigner({ key: `not-${JWT_SECRET}`, algorithm: 'HS256' })({
              sub: user,
              aud: 'default',
              exp: inMinutes(10),
            })
          : refuse === 'expired'
            ? sign({ sub: user, aud: 'default', exp: inMinutes(-1) })
            : token(user);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(issued);
      return;
    }
    if (url.pathname === '/shown' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        workerShown.push(body);
        res.writeHead(204).end();
      });
      return;
    }
    if (url.pathname === '/herald-sw.js') {
      // The site's worker also tells the site of each popup shown (headless Chromium drops a
      // shown notification after some 25 s, so getNotifications() alone cannot say what was shown).
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(`
const show = ServiceWorkerRegistration.prototype.showNotification;
ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
  return show.call(this, title, options).then(() => fetch('/shown', { method: 'POST', body: title }).then(() => {}));
};
importScripts(${JSON.stringify(`${heraldUrl}/herald-sw.js`)});
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));`);
      return;
    }
    if (url.pathname === '/blank') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Blank</title>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Shop</title>
<script src="${heraldUrl}/sdk.js"></script>
<script>
  window.received = [];
  window.states = [];
  window.errors = [];
  Herald.on('notification', (n, ctx) => window.received.push({ id: n.id, title: n.title, popup: ctx.popup }));
  Herald.on('state', ({ state, code, error }) => window.states.push({ state, code, error }));
  Herald.on('error', (e) => window.errors.push(e.code));
  // The page's query (?user=…&refuse=…) goes to the token endpoint; by default, the test's user.
  const asked = location.search || '?user=${USER}';
  Herald.init({ url: ${JSON.stringify(heraldUrl)}, token: () => fetch('/token' + asked).then((r) => r.text()) });
</script>`);
  });
}

type W = Window & {
  Herald: {
    state: string;
    enablePush(options?: { softPrompt?: false }): Promise<string>;
    pushState(): Promise<string>;
  };
  received: Array<{ id: string; title: string; popup: boolean }>;
  states: Array<{ state: string; code?: number; error?: string }>;
  errors: string[];
};

const listen = (server: Server, host: string) =>
  new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

/**
 * Runs `use` with a tab of the site with the SDK, connected (and, once the browser has a
 * subscription, registered with Herald as this browser), then closes the tab.
 */
async function withSdkPage<T>(use: (page: Page) => Promise<T>, registered = true): Promise<T> {
  const page = await context.newPage();
  collectErrors(page, pageErrors);
  try {
    await page.goto(`${siteUrl}/`);
    await page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected');
    if (registered) await page.waitForFunction(() => window.__registered > 0);
    return await use(page);
  } finally {
    await page.close();
    // The next send is meant for a browser with no tab: wait until Herald has seen the socket go.
    await untilOffline(herald.url, ADMIN, USER);
  }
}

/** Until the tab has `id` with its popup shown. */
const shownInTab = (page: Page, id: string) =>
  page.waitForFunction((id) => (window as unknown as W).received.some((n) => n.id === id && n.popup), id);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const subscription = () => {
  const last = made.at(-1);
  if (!last) throw new Error('the page never subscribed');
  return last.subscription;
};
const messages = () => service.messages(subscription().clientHash);

const send = async (title: string, extra: object = {}) => {
  const res = await api<{ id: string }>(herald.url, '/v1/notifications', {
    key: API_KEY,
    body: { to: { userId: USER }, title, ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
};

const recipient = async (id: string) => {
  const res = await api<{ items: Array<{ userId: string; status: string; displayedAt: string | null }> }>(
    herald.url,
    `/v1/notifications/${id}/recipients`,
    { key: API_KEY },
  );
  expect(res.status).toBe(200);
  return res.body.items;
};

/** Herald's `herald_push_attempts_total` by outcome (this process's, from `/metrics`). */
async function pushAttempts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${herald.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, outcome, value] of text.matchAll(/^herald_push_attempts_total\{outcome="([^"]+)"\} (\d+)/gm)) {
    counts[outcome as string] = Number(value);
  }
  return counts;
}

/** The popups the site's registration shows (the worker's), as a page of the site sees them. */
const popups = () => workerPopups(blank);

/** A notification's recipients in any app (the demo page's app has no API key), through the admin API. */
async function adminRecipients(id: string) {
  const cookie = await adminCookie(herald.url, ADMIN);
  const res = await fetch(`${herald.url}/admin/api/notifications/${id}/recipients`, {
    headers: { cookie },
  });
  expect(res.status).toBe(200);
  const page = (await res.json()) as {
    items: Array<{ userId: string; status: string; push: Array<{ status: string; displayedAt: string | null }> }>;
  };
  return page.items;
}

/** The socket Herald gives a user (as the SDK's, from Node). */
async function userSocket() {
  const socket = connectClient(herald.url, {
    auth: { token: token(USER) },
    transports: ['websocket'],
    reconnection: false,
    extraHeaders: { origin: siteUrl },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

beforeAll(async () => {
  port = await freePort();
  [service, herald] = await Promise.all([startPushService(), start()]);
  site = integratorSite(herald.url);
  siteUrl = `http://localhost:${await listen(site, 'localhost')}`;
  browser = await launchChromium();
  context = await pushContext(browser, {
    origins: [siteUrl],
    subscribe: async (publicKey) => {
      const subscription = await service.subscribe(publicKey);
      made.push({ publicKey, subscription });
      return subscription;
    },
  });
  blank = await context.newPage();
  await blank.goto(`${siteUrl}/blank`);
  devTools = await pushDevTools(blank, siteUrl);
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await herald?.stop();
  await service?.close();
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

describe('Web Push end to end (real Herald process, built SDK and worker, Chromium, web-push-testing)', () => {
  let endpoint: string;

  it("subscribes through the SDK's enablePush with the app's VAPID key, and Herald registers the browser", async () => {
    await withSdkPage(async (page) => {
      expect(await page.evaluate(() => (window as unknown as W).Herald.pushState())).toBe('unsubscribed');
      expect(await page.evaluate(() => (window as unknown as W).Herald.enablePush({ softPrompt: false }))).toBe(
        'subscribed',
      );
      // The browser subscribed once, with the key Herald gives this app's users.
      const socket = await userSocket();
      const key = (await socket.timeout(5000).emitWithAck('push:key', {})) as { ok: boolean; publicKey: string };
      socket.disconnect();
      expect(key).toEqual({ ok: true, publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/) });
      expect(made.map((m) => m.publicKey)).toEqual([key.publicKey]);
      endpoint = subscription().endpoint;
      expect(endpoint).toMatch(new RegExp(`^${service.url}/notify/`));
      // Herald answered push:subscribe with a renewal token, which the SDK keeps for the worker.
      const record = await pushRecord(page);
      expect(record).toEqual({ url: herald.url, renew: expect.any(String), endpoint, publicKey: key.publicKey });
      expect(await page.evaluate(() => (window as unknown as W).Herald.pushState())).toBe('subscribed');
      const worker = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL);
      expect(worker).toBe(`${siteUrl}/herald-sw.js`);
    }, false);
  });

  it('with every tab closed, pushes through the push service; the worker shows it once and Herald hears it was displayed', async () => {
    const pushed = (await messages()).length;
    const sent = (await pushAttempts()).sent ?? 0;
    const shown = workerShown.length;
    const id = await send('Your order shipped', { body: 'Track it', url: '/orders/1' });
    const got = await eventually(async () => {
      const all = await messages();
      return all.length > pushed ? all : undefined;
    });
    expect(got).toHaveLength(pushed + 1);
    const plaintext = got[pushed] as string;
    expect(JSON.parse(plaintext)).toMatchObject({
      web_push: 8030,
      notification: {
        title: 'Your order shipped',
        body: 'Track it',
        navigate: `${siteUrl}/orders/1`,
        tag: id,
        timestamp: expect.any(Number),
        data: { herald: { id, receipt: expect.any(String), receipts: `${herald.url}/push/receipts` } },
      },
    } satisfies PushMessage);
    expect((await recipient(id)).map((r) => r.status)).not.toContain('displayed');

    await devTools.deliver(plaintext);
    await eventually(() => workerShown.length > shown);
    expect(workerShown.slice(shown)).toEqual(['Your order shipped']);
    expect(await popups()).toEqual([{ title: 'Your order shipped', body: 'Track it', tag: id }]);
    // The worker's receipt reached Herald: the user's delivery is displayed.
    const [row] = await eventually(async () => {
      const items = await recipient(id);
      return items[0]?.status === 'displayed' ? items : undefined;
    });
    expect(row).toMatchObject({ userId: USER, status: 'displayed', displayedAt: expect.any(String) });
    // The same push again (a push service may redeliver): the worker shows nothing more.
    await devTools.deliver(plaintext);
    await pause(500);
    expect(await popups()).toHaveLength(1);
    expect(workerShown.slice(shown)).toEqual(['Your order shipped']);
    expect((await pushAttempts()).sent).toBe(sent + 1);
  });

  it('with a tab open, the socket comes first: the tab shows it and nothing is pushed', async () => {
    const pushed = (await messages()).length;
    const sent = (await pushAttempts()).sent ?? 0;
    const shown = workerShown.length;
    await withSdkPage(async (page) => {
      const id = await send('Socket first');
      await shownInTab(page, id);
      // The popup's `show` event comes a moment after the SDK raised it.
      await page.waitForFunction(() => window.__shown.length > 0);
      expect((await page.evaluate(() => window.__shown)).map((n) => n.title)).toEqual(['Socket first']);
      await pause(WINDOW_MS + MARGIN_MS);
      expect((await recipient(id))[0]?.status).toBe('displayed');
    });
    expect(await messages()).toHaveLength(pushed);
    expect((await pushAttempts()).sent ?? 0).toBe(sent);
    expect(workerShown.length).toBe(shown);
  });

  it('a tab opened within the window (a page navigation) shows it from catch-up, and the browser is not pushed it', async () => {
    const pushed = (await messages()).length;
    const sent = (await pushAttempts()).sent ?? 0;
    const shown = workerShown.length;
    const sentAt = Date.now();
    const id = await send('While the page loads');
    await withSdkPage(async (page) => {
      await shownInTab(page, id);
      // The tab connected, acked and registered its browser within the window (else nothing to check).
      expect(Date.now() - sentAt).toBeLessThan(WINDOW_MS);
      await page.waitForFunction(() => window.__shown.length > 0);
      expect((await page.evaluate(() => window.__shown)).map((n) => n.title)).toEqual(['While the page loads']);
      await pause(WINDOW_MS + MARGIN_MS);
    });
    expect(await messages()).toHaveLength(pushed);
    expect((await pushAttempts()).sent ?? 0).toBe(sent);
    expect(workerShown.length).toBe(shown);
  });

  it.each([
    ['signed with another secret', 'secret', 'HERALD_ERR_TOKEN_INVALID'],
    ['expired', 'expired', 'HERALD_ERR_TOKEN_EXPIRED'],
    ['an error page from the token endpoint', 'endpoint', 'HERALD_ERR_TOKEN_SOURCE'],
  ])(
    'a subscribed browser whose token is refused (%s) reports it as a browser without push does, retries with backoff, sends nothing for push and keeps its subscription',
    async (_case, refuse, code) => {
      const url = `${siteUrl}/?user=${USER}&refuse=${refuse}`;
      /** A tab of `within` at `url` for 4 s: what it reported, what it loaded and asked, what it sent. */
      const watch = async (within: BrowserContext) => {
        const page = await within.newPage();
        collectErrors(page, pageErrors, (failed) => failed.startsWith(`${siteUrl}/token?`));
        const seen = { scripts: [] as string[], tokens: 0, pushEvents: [] as string[] };
        const pushEvent = (text: string | null | undefined) => {
          if (text?.includes('"push:')) seen.pushEvents.push(text);
        };
        page.on('request', (r) => {
          if (r.url().startsWith(`${herald.url}/`) && r.url().endsWith('.js'))
            seen.scripts.push(r.url().slice(herald.url.length));
          if (r.url().startsWith(`${siteUrl}/token?`)) seen.tokens++;
          pushEvent(r.postData());
        });
        page.on('websocket', (ws) => ws.on('framesent', (f) => pushEvent(String(f.payload))));
        await page.goto(url);
        await pause(4000);
        const reported = await page.evaluate(() => {
          const w = window as unknown as W;
          return { states: w.states, errors: w.errors, registered: window.__registered ?? 0 };
        });
        return { page, seen, ...reported };
      };
      // The same page in a browser that never subscribed (no push.js), side by side.
      const plain = await browser.newContext();
      try {
        const [pushed, without] = await Promise.all([watch(context), watch(plain)]);
        expect(pushed.seen.scripts).toEqual(['/sdk.js', '/push.js']);
        expect(without.seen.scripts).toEqual(['/sdk.js']);
        const distinct = (states: W['states']) =>
          [...new Set(states.map((s) => JSON.stringify(s)))].map((s) => JSON.parse(s));
        expect(distinct(pushed.states)).toEqual(distinct(without.states));
        expect(distinct(pushed.states)).toContainEqual({ state: 'disconnected', code: 3, error: code });
        expect(pushed.states.map((s) => s.state)).not.toContain('connected');
        expect(new Set(pushed.errors)).toEqual(new Set(without.errors));
        if (refuse !== 'endpoint') expect(pushed.errors).toContain(code);
        // Retried with a fresh token, with backoff (1 s, then 2 s…): a few asks in 4 s, not a loop.
        expect(pushed.seen.tokens).toBeGreaterThanOrEqual(2);
        expect(pushed.seen.tokens).toBeLessThanOrEqual(4);
        // No socket, so push.js said nothing, and the browser keeps the subscription Herald knows.
        expect(pushed.seen.pushEvents).toEqual([]);
        expect(pushed.registered).toBe(0);
        expect(await pushed.page.evaluate(() => (window as unknown as W).Herald.pushState())).toBe('subscribed');
        await pushed.page.close();
      } finally {
        await plain.close();
      }
    },
  );

  it('keeps the subscription across a restart of Herald: a push still goes out, and the SDK registers the browser again on connect', async () => {
    expect(await herald.stop()).toBe(0);
    herald = await start();
    const pushed = (await messages()).length;
    const shown = workerShown.length;
    const id = await send('After the restart');
    const got = await eventually(async () => {
      const all = await messages();
      return all.length > pushed ? all : undefined;
    });
    expect(got).toHaveLength(pushed + 1);
    const plaintext = got[pushed] as string;
    expect(JSON.parse(plaintext).notification).toMatchObject({ title: 'After the restart', data: { herald: { id } } });
    await devTools.deliver(plaintext);
    await eventually(async () => (await recipient(id))[0]?.status === 'displayed');
    expect(workerShown.slice(shown)).toEqual(['After the restart']);

    // A tab opened now tells the new process which browser it is in (push:subscribe on connect).
    await withSdkPage(async (page) => {
      const next = await send('Socket first again');
      await shownInTab(page, next);
      await pause(WINDOW_MS + MARGIN_MS);
    });
    expect(await messages()).toHaveLength(pushed + 1);
    expect(workerShown.slice(shown)).toEqual(['After the restart']);
  });

  it('forgets a subscription the push service says is gone (410): the next send posts nothing', async () => {
    const pushed = (await messages()).length;
    const shown = workerShown.length;
    await service.expire(subscription().clientHash);
    const before = await pushAttempts();
    await send('Into the void');
    await eventually(async () => (await pushAttempts()).gone === (before.gone ?? 0) + 1);
    // Herald no longer has it: unregistering the endpoint removes nothing.
    const socket = await userSocket();
    expect(await socket.timeout(5000).emitWithAck('push:unsubscribe', { endpoint })).toEqual({
      ok: true,
      removed: false,
    });
    socket.disconnect();

    const after = await pushAttempts();
    await send('Nobody to push to');
    await pause(WINDOW_MS + MARGIN_MS);
    expect(await pushAttempts()).toEqual(after);
    expect(await messages()).toHaveLength(pushed);
    expect(workerShown.length).toBe(shown);
  });
});

describe("the demo page's step 3 (Herald's own origin, its own worker /herald-sw.js)", () => {
  /** How long the page asks `/demo/send` to wait (the page's `delaySeconds`). */
  const DELAY_MS = 10_000;
  let demo: BrowserContext;
  let demoTools: PushDevTools;
  const demoMade: MockSubscription[] = [];
  const demoMessages = () => {
    const [only] = demoMade;
    return only ? service.messages(only.clientHash) : Promise.resolve([]);
  };

  /** The demo page, connected; `session` is the page's own (its visitor's user id and token). */
  async function openDemo() {
    const page = await demo.newPage();
    collectErrors(page, pageErrors);
    await page.goto(`${herald.url}/`);
    await page.waitForFunction(() => (window as unknown as W).Herald.state === 'connected');
    const session = (await page.evaluate('session')) as { userId: string; token: string };
    return { page, session };
  }

  /** The popups Herald's worker shows (read at its registration, through a page with no SDK on it). */
  const demoPopups = () => registrationPopups(demo, `${herald.url}/herald-sw.js`);

  /** Waits for the `n`th message at the push service (and no other), then shows it through the worker. */
  async function pushed(n: number, id: string) {
    const got = await eventually(async () => {
      const all = await demoMessages();
      return all.length >= n ? all : undefined;
    }, 20_000);
    expect(got).toHaveLength(n);
    const plaintext = got[n - 1] as string;
    expect(JSON.parse(plaintext)).toMatchObject({
      notification: {
        title: 'Hello from Herald 👋',
        navigate: `${herald.url}/`,
        tag: 'herald-demo',
        data: { herald: { id, receipts: `${herald.url}/push/receipts` } },
      },
    });
    await demoTools.deliver(plaintext);
    // The worker reports `displayed` once showNotification resolved: first that, at Herald…
    await eventually(async () => (await adminRecipients(id))[0]?.status === 'displayed', 20_000).catch(
      async (error: Error) => {
        throw new Error(
          `Herald never heard the push was displayed (${error.message}); shown: ${JSON.stringify(await demoPopups())}`,
        );
      },
    );
    // …then the popup itself, read at the registration.
    return eventually(async () => {
      const all = await demoPopups();
      return all.some((p) => p.id === id) ? all : undefined;
    });
  }

  beforeAll(async () => {
    demo = await pushContext(browser, {
      origins: [herald.url],
      subscribe: async (publicKey) => {
        const subscription = await service.subscribe(publicKey);
        demoMade.push(subscription);
        return subscription;
      },
    });
    // DevTools needs a page: an empty one, of no origin, with no SDK (no socket, nothing of Herald's).
    demoTools = await pushDevTools(await demo.newPage(), herald.url);
  });

  afterAll(async () => {
    await demo?.close();
  });

  it('subscribes from the click, schedules the send, and with the tab closed the push comes after the delay: one popup, displayed at Herald', async () => {
    const { page, session } = await openDemo();
    await page.getByRole('button', { name: '1. Allow notifications' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toBe('Popups allowed. Now send yourself one.');
    const accepted = page.waitForResponse((r) => r.url() === `${herald.url}/demo/send`);
    await page.getByRole('button', { name: '3. Popup with this tab closed' }).click();
    const answer = await accepted;
    const askedAt = Date.now();
    expect(answer.status()).toBe(202);
    expect(answer.request().postDataJSON()).toEqual({ delaySeconds: 10 });
    const { id, status } = (await answer.json()) as { id: string; status: string };
    expect(status).toBe('scheduled');
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/^Subscribed\. Close this tab now/);
    // One subscription, made with the demo app's key, registered with Herald for this visitor.
    expect(demoMade).toHaveLength(1);
    expect(await page.evaluate(() => window.__registered)).toBeGreaterThan(0);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL)).toBe(
      `${herald.url}/herald-sw.js`,
    );
    await page.close();
    expect(demo.pages().map((p) => p.url())).toEqual(['about:blank']);

    // Nothing before the delay…
    while (Date.now() - askedAt < DELAY_MS - 1000) {
      expect(await demoMessages()).toEqual([]);
      await pause(250);
    }
    // …then exactly one push, which Herald's worker shows once and reports displayed.
    const shown = await pushed(1, id);
    expect(Date.now() - askedAt).toBeGreaterThanOrEqual(DELAY_MS);
    expect(shown).toEqual([{ title: 'Hello from Herald 👋', tag: 'herald-demo', id }]);
    const [row] = await eventually(async () => {
      const items = await adminRecipients(id);
      return items[0]?.status === 'displayed' ? items : undefined;
    });
    expect(row).toMatchObject({ userId: session.userId, status: 'displayed' });
    expect(row?.push).toEqual([expect.objectContaining({ displayedAt: expect.any(String) })]);
    await pause(WINDOW_MS + MARGIN_MS);
    expect(await demoMessages()).toHaveLength(1);
    expect(await demoPopups()).toHaveLength(1);
  }, 60_000);

  it('a new visit is a new demo user: the page registers the same subscription for it on connect, and pushes go to it, not the old one', async () => {
    const before = await openDemo();
    const old = before.session;
    await before.page.close();
    const { page, session } = await openDemo();
    expect(session.userId).not.toBe(old.userId);
    // push.js, loaded at init (this browser has a subscription), sent push:subscribe on connect.
    await page.waitForFunction(() => window.__registered > 0);
    expect(demoMade).toHaveLength(1);
    const id = await page.evaluate(async (token) => {
      const res = await fetch('/demo/send', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ delaySeconds: 2 }),
      });
      return ((await res.json()) as { id: string }).id;
    }, session.token);
    await page.close();
    await pushed(2, id);
    const [row] = await eventually(async () => {
      const items = await adminRecipients(id);
      return items[0]?.status === 'displayed' ? items : undefined;
    });
    expect(row).toMatchObject({ userId: session.userId, status: 'displayed' });

    // The earlier visitor no longer has this browser: a send to them pushes nothing.
    const res = await fetch(`${herald.url}/demo/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${old.token}` },
    });
    expect(res.status).toBe(202);
    await pause(WINDOW_MS + MARGIN_MS);
    expect(await demoMessages()).toHaveLength(2);
  }, 60_000);
});
