import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with the flags this closed network needs (no background fetches). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Injected before any page script: wraps the real `Notification` so the test can observe each
 * popup the browser actually shows (its `show` event), without changing what the page does.
 */
export const RECORD_NOTIFICATIONS = `(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__shown = [];
  window.__created = [];
  window.__closed = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__created.push({ title, tag: options && options.tag });
      this.addEventListener('show', () => window.__shown.push({ title, body: options && options.body, tag: options && options.tag }));
      this.addEventListener('close', () => window.__closed.push(title));
    }
  }
  Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();`;

declare global {
  interface Window {
    __shown: Array<{ title: string; body?: string; tag?: string }>;
    __created: Array<{ title: string; tag?: string }>;
    __closed: string[];
    /** Writes of the SDK's push endpoint flag (pages of a `pushContext` with `subscribe`). */
    __registered: number;
  }
}

/** A push subscription as `PushSubscription.toJSON()` gives it (bar `expirationTime`). */
export interface PushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * Headless Chromium has no push service: `PushManager.subscribe` asks the test for a subscription
 * (the binding `__pushServiceSubscribe`, given the applicationServerKey's bytes) and returns it
 * with that key as `options.applicationServerKey`; it is kept in the origin's localStorage, so
 * `getSubscription` finds it on the next pages. Every write of the SDK's endpoint flag (after each
 * `push:subscribe` Herald answered `ok`) is counted in `__registered`.
 */
const FAKE_PUSH_MANAGER = `(() => {
  const KEY = 'fake-push-subscription';
  const make = (s) => ({
    endpoint: s.endpoint,
    expirationTime: null,
    options: { applicationServerKey: Uint8Array.from(s.key).buffer, userVisibleOnly: true },
    toJSON: () => ({ endpoint: s.endpoint, expirationTime: null, keys: s.keys }),
    unsubscribe: async () => (localStorage.removeItem(KEY), true),
  });
  PushManager.prototype.getSubscription = async function () {
    const s = localStorage.getItem(KEY);
    return s ? make(JSON.parse(s)) : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    if (!options || !options.userVisibleOnly) throw new DOMException('userVisibleOnly is required', 'NotAllowedError');
    const key = [...new Uint8Array(options.applicationServerKey)];
    const { endpoint, keys } = await window.__pushServiceSubscribe(key);
    const s = { endpoint, keys, key };
    localStorage.setItem(KEY, JSON.stringify(s));
    return make(s);
  };
  window.__registered = 0;
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (name, value) {
    if (String(name).startsWith('herald:push:')) window.__registered++;
    return setItem.call(this, name, value);
  };
})();`;

/**
 * A browser context whose pages may show popups on `origins` and record them
 * (`RECORD_NOTIFICATIONS`); with `subscribe`, their `PushManager` subscribes through it (given the
 * applicationServerKey, base64url) instead of a push service headless Chromium cannot reach.
 */
export async function pushContext(
  browser: Browser,
  options: { origins: string[]; subscribe?: (publicKey: string) => Promise<PushSubscriptionJson> },
): Promise<BrowserContext> {
  const context = await browser.newContext();
  for (const origin of options.origins) await context.grantPermissions(['notifications'], { origin });
  await context.addInitScript(RECORD_NOTIFICATIONS);
  const { subscribe } = options;
  if (subscribe) {
    await context.exposeBinding('__pushServiceSubscribe', async (_source, key: number[]) => {
      const { endpoint, keys } = await subscribe(Buffer.from(key).toString('base64url'));
      return { endpoint, keys };
    });
    await context.addInitScript(FAKE_PUSH_MANAGER);
  }
  return context;
}

export interface PushDevTools {
  cdp: CDPSession;
  /** The id of the origin's service worker registration (scope `/`), once there is one. */
  registrationId: Promise<string>;
  /** Fires the registration's `push` event with `data` (a string as is, anything else as JSON). */
  deliver(data: unknown): Promise<void>;
}

/**
 * The DevTools protocol on `page`, watching the service worker registration of `origin`: headless
 * Chromium cannot receive a real push, but `ServiceWorker.deliverPushMessage` fires the worker's
 * `push` event as the browser would.
 */
export async function pushDevTools(page: Page, origin: string): Promise<PushDevTools> {
  const cdp = await page.context().newCDPSession(page);
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL === `${origin}/` && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  return {
    cdp,
    registrationId,
    async deliver(data) {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin,
        registrationId: await registrationId,
        data: typeof data === 'string' ? data : JSON.stringify(data),
      });
    },
  };
}

/** A popup a service worker registration shows: its title, tag and Herald's id (from its data). */
export interface ShownPopup {
  title: string;
  tag: string;
  id: string | undefined;
}

/**
 * The popups the service worker registration of `workerUrl`'s origin shows, read through a page of
 * `context` opened at `workerUrl` (the worker's own script: no SDK runs on it) and closed again.
 * Asking the worker itself would depend on which of its instances Playwright lists: Chromium
 * stops an idle worker and starts another per push, and the stopped one stays listed, answering
 * nothing.
 */
export async function registrationPopups(context: BrowserContext, workerUrl: string): Promise<ShownPopup[]> {
  const reader = await context.newPage();
  try {
    await reader.goto(workerUrl);
    return await reader.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      const shown = (await registration?.getNotifications()) ?? [];
      return shown.map((n) => ({
        title: n.title,
        tag: n.tag,
        id: (n.data as { herald?: { id?: string } } | null)?.herald?.id,
      }));
    });
  } finally {
    await reader.close();
  }
}

/** The popups the service worker registration of the page's origin shows, as the page sees them. */
export const workerPopups = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    const shown = (await registration?.getNotifications()) ?? [];
    return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
  });

/** What the SDK keeps for the service worker in the origin's IndexedDB (`herald`, store `push`). */
export const pushRecord = (page: Page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('herald', 1);
        request.onsuccess = () => {
          const get = request.result.transaction('push').objectStore('push').get('push');
          get.onsuccess = () => resolve(get.result);
        };
        request.onerror = () => reject(request.error);
      }),
  );

/**
 * Collects the page's uncaught errors and console errors into `into`; `failing` names the URLs a
 * test makes fail on purpose, whose "Failed to load resource" lines (the browser's) are not kept.
 */
export function collectErrors(page: Page, into: string[], failing?: (url: string) => boolean): void {
  page.on('pageerror', (e) => into.push(e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (failing?.(m.location().url) && m.text().startsWith('Failed to load resource')) return;
    into.push(m.text());
  });
}
