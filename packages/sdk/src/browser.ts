/**
 * Script-tag entry: `<script src="https://<herald>/sdk.js"></script>` defines one global, `Herald`.
 *
 *   Herald.init({ token })              // url defaults to where sdk.js came from
 *   button.onclick = () => Herald.requestPermission()
 *   Herald.on('notification', (n) => …)
 */
import { HeraldClient, type HeraldEvents, type HeraldOptions, type HeraldPreferences } from './client.js';
import { DisconnectCode } from './codes.js';
import { type SoftPromptOptions, type SoftPromptResult, showSoftPrompt } from './soft-prompt.js';

declare const __VERSION__: string;

let client: HeraldClient | undefined;
const early: Array<[keyof HeraldEvents, HeraldEvents[keyof HeraldEvents]]> = [];
let inboxLoading: Promise<void> | undefined;
let serverUrl: string | undefined;

/** Where sdk.js came from: inbox.js sits next to it. */
const scriptSrc = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;

function loadInbox(base?: string): Promise<void> {
  if (typeof customElements === 'undefined' || customElements.get('herald-inbox')) return Promise.resolve();
  inboxLoading ??= new Promise<void>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = base ? `${base.replace(/\/+$/, '')}/inbox.js` : new URL('inbox.js', scriptSrc ?? location.href).href;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => {
      inboxLoading = undefined;
      reject(new Error(`Could not load ${script.src}`));
    };
    document.head.append(script);
  });
  return inboxLoading;
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
    // The inbox widget is a separate script, fetched only by pages that use it.
    serverUrl = options.url;
    const loadIfUsed = () => {
      if (document.querySelector('herald-inbox')) void loadInbox(serverUrl).catch(() => {});
    };
    if (typeof document !== 'undefined') {
      if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', loadIfUsed, { once: true });
      else loadIfUsed();
    }
    return client;
  },
  /** Loads the `<herald-inbox>` element (done automatically when the page has one at init). */
  loadInbox(): Promise<void> {
    return loadInbox(serverUrl);
  },
  /**
   * Shows a small in-page card before the browser's permission prompt; "Not now" is remembered.
   * Resolves with the permission, or `snoozed` / `dismissed` / `unsupported`.
   */
  softPrompt(options: SoftPromptOptions = {}): Promise<SoftPromptResult> {
    return showSoftPrompt(options);
  },
  /** Asks for popup permission; call from a click handler. Works before `init` too. */
  requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (client) return client.requestPermission();
    if (typeof Notification === 'undefined') return Promise.resolve('unsupported');
    return Notification.requestPermission();
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
