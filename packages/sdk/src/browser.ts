/**
 * Script-tag entry: `<script src="https://<herald>/sdk.js"></script>` defines one global, `Herald`.
 *
 *   Herald.init({ token })              // url defaults to where sdk.js came from
 *   button.onclick = () => Herald.requestPermission()
 *   Herald.on('notification', (n) => …)
 */
import { HeraldClient, type HeraldEvents, type HeraldOptions, type HeraldPreferences } from './client.js';
import { DisconnectCode } from './codes.js';
import type { EnablePushResult, PushOptions, PushState, WebPush } from './push/web-push.js';
import { type SoftPromptOptions, showSoftPrompt } from './soft-prompt.js';
import { pushFlagKey } from './storage.js';

declare const __VERSION__: string;

let client: HeraldClient | undefined;
let initOptions: HeraldOptions | undefined;
const early: Array<[keyof HeraldEvents, HeraldEvents[keyof HeraldEvents]]> = [];
const loading: Record<string, Promise<void> | undefined> = {};

/** Where sdk.js came from: inbox.js and push.js sit next to it. */
const scriptSrc = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;

/** Loads a script of the SDK's (inbox.js, push.js) once, from where sdk.js came from or `url`. */
function load(file: string): Promise<void> {
  const base = initOptions?.url;
  loading[file] ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = base ? `${base.replace(/\/+$/, '')}/${file}` : new URL(file, scriptSrc ?? location.href).href;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => {
      loading[file] = undefined;
      reject(new Error(`Could not load ${script.src}`));
    };
    document.head.append(script);
  });
  return loading[file];
}

function loadInbox(): Promise<void> {
  if (typeof customElements === 'undefined' || customElements.get('herald-inbox')) return Promise.resolve();
  return load('inbox.js');
}

/** Web Push lives in push.js: its `HeraldPush(client, options)` is this client's `WebPush`. */
function usePush(): Promise<WebPush> {
  const c = initialized();
  return load('push.js').then(() =>
    (globalThis as unknown as { HeraldPush: (c: HeraldClient, o?: PushOptions) => WebPush }).HeraldPush(c, initOptions),
  );
}

function initialized(): HeraldClient {
  if (!client) throw new Error('Call Herald.init({ token }) first.');
  return client;
}

/** This user's preferences and the app's categories (see the client's `preferences`). */
const preferences: HeraldPreferences = {
  get: async () => initialized().preferences.get(),
  set: async (patch) => initialized().preferences.set(patch),
};

const Herald = {
  version: __VERSION__,
  DisconnectCode,
  /** Connects (once; a second call replaces the first connection). */
  init(options: HeraldOptions): HeraldClient {
    client?.disconnect();
    client = new HeraldClient(options);
    for (const [event, listener] of early) client.on(event, listener);
    initOptions = options;
    // A browser with a push subscription tells Herald on every connect, and its popups are
    // checked against the service worker's: push.js is needed at once (until then, popups wait).
    try {
      if (localStorage.getItem(pushFlagKey(client.url))) {
        client.popupGate = (id) =>
          usePush().then(
            (push) => push.claim(id),
            () => true,
          );
        void usePush().catch(() => {});
      }
    } catch {
      // no localStorage: no subscription to remember
    }
    // The inbox widget is a separate script, fetched only by pages that use it.
    const loadIfUsed = () => {
      if (document.querySelector('herald-inbox')) void loadInbox().catch(() => {});
    };
    if (typeof document !== 'undefined') {
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', loadIfUsed, { once: true });
      else loadIfUsed();
    }
    return client;
  },
  /** Loads the `<herald-inbox>` element (done automatically when the page has one at init). */
  loadInbox,
  /**
   * Shows a small in-page card before the browser's permission prompt; "Not now" is remembered.
   * Resolves with the permission, or `snoozed` / `dismissed` / `unsupported`.
   */
  softPrompt: showSoftPrompt,
  /** Asks for popup permission; call from a click handler. Works before `init` too. */
  requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (client) return client.requestPermission();
    if (typeof Notification === 'undefined') return Promise.resolve('unsupported');
    return Notification.requestPermission();
  },
  /**
   * Web Push: popups even when no tab of the site is open. Asks for permission (through the soft
   * prompt unless `softPrompt: false`: then call it from a click), registers the service worker
   * (`init({ serviceWorker })`), subscribes this browser and registers it with Herald. Resolves
   * with `subscribed`, or why not (`denied`, `default`, `snoozed`, `dismissed`, `unsupported`).
   */
  enablePush(options: { softPrompt?: SoftPromptOptions | false } = {}): Promise<EnablePushResult> {
    const push = usePush(); // throws before any prompt when init was not called
    const { softPrompt } = options;
    const asked = softPrompt === false ? Herald.requestPermission() : showSoftPrompt(softPrompt);
    return Promise.all([asked, push]).then(([permission, push]) => push.enable(permission));
  },
  /** Unsubscribes this browser from Web Push (here and at Herald); true when it had a subscription. */
  unsubscribePush(): Promise<boolean> {
    return usePush().then((push) => push.unsubscribe());
  },
  /** `unsupported`, `denied`, `default`, `subscribed` or `unsubscribed`. */
  pushState(): Promise<PushState> {
    return usePush().then((push) => push.state());
  },
  /** Listens to client events; listeners added before `init` are kept. */
  on<K extends keyof HeraldEvents>(event: K, listener: HeraldEvents[K]): () => void {
    early.push([event, listener]);
    const off = client?.on(event, listener);
    return () => {
      const i = early.findIndex(([e, l]) => e === event && l === listener);
      if (i >= 0) early.splice(i, 1);
      off?.();
    };
  },
  /** Puts this user in a topic the app allows (see the client's `subscribe`). */
  async subscribe(topic: string): Promise<void> {
    return initialized().subscribe(topic);
  },
  async unsubscribe(topic: string): Promise<void> {
    return initialized().unsubscribe(topic);
  },
  /** The topics this user is in. */
  async topics(): Promise<string[]> {
    return initialized().topics();
  },
  preferences,
  get client(): HeraldClient | undefined {
    return client;
  },
  get state() {
    return client?.state ?? 'disconnected';
  },
  disconnect(): void {
    client?.disconnect();
  },
};

(globalThis as unknown as { Herald: typeof Herald }).Herald = Herald;
