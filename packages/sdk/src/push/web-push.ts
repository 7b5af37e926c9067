// Over 300 lines: one class, whose subscribe, resubscribe-on-rotation and forget steps share one
// queue of work (`_chain`) and the browser's one registration; split, each would reach into it.
/**
 * Web Push for a Herald client (docs/web-push.md): registers the site's service worker, subscribes
 * this browser with the app's VAPID key and tells Herald over the socket; tells it again on every
 * (re)connect (the socket-first rule is per browser), follows key rotations, and forgets the
 * subscription when the user revoked the permission. Not part of sdk.js: the script tag loads it
 * as push.js when a page enables push, or when this browser has a subscription.
 */
import {
  ClientEvent,
  type PushKeyReply,
  type PushKeyRotatedReply,
  type PushResubscribeEvent,
  type PushSubscribeReply,
  ServerEvent,
} from '@herald/protocol';
import type { SoftPromptResult } from '../soft-prompt.js';
import { pushFlagKey, SafeStore } from '../storage.js';
import { type HeraldDb, heraldDb } from './db.js';
import { fromBase64Url, toBase64Url } from './keys.js';

/**
 * - `unsupported`: no Notification, service worker or Push API here (or not a secure context);
 * - `denied` / `default`: the popup permission was refused / not given yet;
 * - `subscribed`: this browser has a push subscription registered with Herald;
 * - `unsubscribed`: permission granted, but no push subscription (yet, or any more).
 */
export type PushState = 'unsupported' | 'denied' | 'default' | 'subscribed' | 'unsubscribed';

/** What `enablePush` resolves with: the push state, or the soft prompt's "Not now" or close. */
export type EnablePushResult = PushState | Extract<SoftPromptResult, 'snoozed' | 'dismissed'>;

/** The service worker Herald's pushes come through: a file of the site's own origin. */
export interface ServiceWorkerOptions {
  /** Default `/herald-sw.js`: a file that does `importScripts('https://<herald>/herald-sw.js')`. */
  url?: string;
  /** The registration's scope (default: the worker file's folder). */
  scope?: string;
}

export interface PushOptions {
  serviceWorker?: ServiceWorkerOptions;
  /** Platform objects, defaulting to the browser's (tests pass their own). */
  Notification?: typeof Notification | null;
  serviceWorkers?: Pick<ServiceWorkerContainer, 'register' | 'getRegistration'> | null;
  storage?: Storage | null;
  db?: HeraldDb;
}

/** The socket's side of a client as push needs it (socket.io-client's socket). */
interface PushSocket {
  connected: boolean;
  on(event: 'connect', listener: () => void): unknown;
  on(event: typeof ServerEvent.PushResubscribe, listener: (event: PushResubscribeEvent) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

/** What push uses of a `HeraldClient` (public members only: push.js is a bundle of its own). */
export interface PushClient {
  readonly url: string;
  readonly socket: PushSocket;
  popupGate: ((id: string) => Promise<boolean>) | undefined;
}

type Reply = { ok: true } | { ok: false; code?: string; message?: string };

const REQUEST_TIMEOUT_MS = 15_000;
const ROTATED = 'HERALD_ERR_PUSH_KEY_ROTATED';

class PushError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** With `HERALD_ERR_PUSH_KEY_ROTATED`: the key to subscribe with. */
    readonly publicKey?: string,
  ) {
    super(message);
  }
}

/** The key to subscribe with when Herald refused one made with a rotated key. */
function rotatedKey(error: unknown): string | undefined {
  return error instanceof PushError && error.code === ROTATED ? error.publicKey : undefined;
}

/** How long the browser may take to subscribe at its push service. */
const SUBSCRIBE_TIMEOUT_MS = 20_000;

/**
 * `pushManager.subscribe`, with the browser's refusal (no push service reachable, a policy, a
 * private window) or its silence (a push service it cannot reach may never answer) as a coded error.
 */
function subscribeWithin(manager: PushManager, key: BufferSource): Promise<PushSubscription> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`its push service did not answer within ${SUBSCRIBE_TIMEOUT_MS / 1000} s`)),
      SUBSCRIBE_TIMEOUT_MS,
    );
  });
  return Promise.race([manager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), silence])
    .catch((error: Error) => {
      throw new PushError('HERALD_ERR_PUSH_SUBSCRIBE', `The browser could not subscribe: ${error.message}`);
    })
    .finally(() => clearTimeout(timer));
}

/** Waits until a new registration's worker is active: `pushManager.subscribe` needs one. */
async function activated(registration: ServiceWorkerRegistration): Promise<ServiceWorkerRegistration> {
  const worker = registration.installing ?? registration.waiting;
  if (registration.active || !worker) return registration;
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (worker.state === 'activated') resolve();
      else if (worker.state === 'redundant')
        reject(new PushError('HERALD_ERR_PUSH_WORKER', 'The service worker failed to install'));
    };
    worker.addEventListener('statechange', check);
    check();
  });
  return registration;
}

export class WebPush {
  private readonly _client: PushClient;
  private readonly _N: typeof Notification | null;
  private readonly _workers: PushOptions['serviceWorkers'];
  private readonly _store: SafeStore;
  private readonly _db: HeraldDb;
  private readonly _worker: ServiceWorkerOptions;
  /** `herald:push:<server url>`: the endpoint Herald knows for this browser, kept in localStorage. */
  private readonly _flag: string;
  /** One subscription change at a time (a connect and a rotation may come together). */
  private _chain: Promise<unknown> = Promise.resolve();

  constructor(client: PushClient, options: PushOptions = {}) {
    this._client = client;
    this._N = options.Notification !== undefined ? options.Notification : (globalThis.Notification ?? null);
    this._workers =
      options.serviceWorkers !== undefined ? options.serviceWorkers : (globalThis.navigator?.serviceWorker ?? null);
    let storage = options.storage;
    if (storage === undefined) {
      try {
        storage = globalThis.localStorage ?? null;
      } catch {
        storage = null;
      }
    }
    this._store = new SafeStore(storage);
    this._db = options.db ?? heraldDb();
    this._worker = options.serviceWorker ?? {};
    this._flag = pushFlagKey(client.url);
    if (this._store.get(this._flag)) this._gate(true);
    client.socket.on('connect', () => void this._queue(() => this._sync()).catch(() => {}));
    client.socket.on(ServerEvent.PushResubscribe, (event) => {
      void this._queue(() => this._resubscribe(event?.publicKey)).catch(() => {});
    });
    if (client.socket.connected) void this._queue(() => this._sync()).catch(() => {});
  }

  /** Push works here: popups, a service worker and the Push API (secure contexts only). */
  get supported(): boolean {
    return !!this._N && !!this._workers && typeof globalThis.PushManager !== 'undefined';
  }

  async state(): Promise<PushState> {
    if (!this.supported || !this._N) return 'unsupported';
    if (this._N.permission !== 'granted') return this._N.permission;
    const subscription = await (await this._registration())?.pushManager.getSubscription();
    return subscription && this._store.get(this._flag) ? 'subscribed' : 'unsubscribed';
  }

  /**
   * Subscribes this browser once the user granted popups (`permission`: what the prompt resolved
   * with): registers the service worker, subscribes with the app's key, registers with Herald.
   */
  async enable(permission: NotificationPermission | SoftPromptResult): Promise<EnablePushResult> {
    if (!this.supported || permission === 'unsupported') return 'unsupported';
    if (permission !== 'granted') return permission;
    return this._queue(async () => {
      const registration = await this._register();
      const { publicKey } = await this._request<PushKeyReply>(ClientEvent.PushKey, {});
      await this._subscribe(registration, publicKey);
      return 'subscribed' as const;
    });
  }

  /** Unsubscribes this browser, here and at Herald. True when there was a subscription. */
  async unsubscribe(): Promise<boolean> {
    return this._queue(async () => {
      const subscription = await (await this._registration())?.pushManager.getSubscription();
      const endpoint = subscription?.endpoint ?? this._store.get(this._flag);
      await subscription?.unsubscribe();
      if (endpoint) await this._forget(endpoint);
      return !!endpoint;
    });
  }

  /** The popup gate: records the notification in the seen-list the worker reads; false if it showed it. */
  claim(id: string): Promise<boolean> {
    return this._db.claim(id).catch(() => true);
  }

  private _queue<T>(work: () => Promise<T>): Promise<T> {
    const run = this._chain.then(work, work);
    this._chain = run.catch(() => {});
    return run;
  }

  /** Once this browser has a subscription, a tab's popups are recorded where the worker looks. */
  private _gate(on: boolean): void {
    this._client.popupGate = on ? (id) => this.claim(id) : undefined;
  }

  /** On every connect: who this browser is (its subscription), or that it has none any more. */
  private async _sync(): Promise<void> {
    const known = this._store.get(this._flag);
    if (!known) return; // Herald never subscribed this browser: a subscription here is the site's own
    const subscription =
      this._N?.permission === 'granted' ? await (await this._registration())?.pushManager.getSubscription() : undefined;
    if (!subscription) {
      await this._forget(known);
      return;
    }
    try {
      await this._send(subscription, toBase64Url(subscription.options.applicationServerKey));
    } catch (error) {
      // Made with a key the app no longer uses: a new subscription with the app's key.
      const rotated = rotatedKey(error);
      const registration = rotated && (await this._registration());
      if (!rotated || !registration) throw error;
      await this._subscribe(registration, rotated);
    }
  }

  /** The app's key changed (`push:resubscribe`): a new subscription with the new key. */
  private async _resubscribe(publicKey: string | undefined): Promise<void> {
    const registration = await this._registration();
    if (!publicKey || !registration || !this._store.get(this._flag)) return;
    await this._subscribe(registration, publicKey);
  }

  /** Subscribes with `publicKey` (replacing a subscription made with another key) and registers it. */
  private async _subscribe(registration: ServiceWorkerRegistration, publicKey: string): Promise<void> {
    let key = publicKey;
    for (let attempt = 0; ; attempt++) {
      let subscription = await registration.pushManager.getSubscription();
      if (subscription && toBase64Url(subscription.options.applicationServerKey) !== key) {
        await subscription.unsubscribe();
        subscription = null;
      }
      subscription ??= await subscribeWithin(registration.pushManager, fromBase64Url(key));
      try {
        await this._send(subscription, key);
        return;
      } catch (error) {
        // The key was rotated between `push:key` and `push:subscribe`: once more with the new one.
        const rotated = rotatedKey(error);
        if (!rotated || attempt > 0) throw error;
        key = rotated;
      }
    }
  }

  /** `push:subscribe`; keeps what the worker needs to renew it, and the endpoint for the next connect. */
  private async _send(subscription: PushSubscription, publicKey: string): Promise<void> {
    const { renew } = await this._request<PushSubscribeReply>(ClientEvent.PushSubscribe, {
      ...subscription.toJSON(),
      publicKey,
    });
    this._store.set(this._flag, subscription.endpoint);
    this._gate(true);
    await this._db
      .setRecord({ url: this._client.url, renew, endpoint: subscription.endpoint, publicKey })
      .catch(() => {});
  }

  /** `push:unsubscribe` for an endpoint Herald knows; forgotten here too. */
  private async _forget(endpoint: string): Promise<void> {
    await this._request(ClientEvent.PushUnsubscribe, { endpoint });
    this._store.remove(this._flag);
    this._gate(false);
    await this._db.setRecord(null).catch(() => {});
  }

  private _registration(): Promise<ServiceWorkerRegistration | undefined> {
    const { url = '/herald-sw.js', scope } = this._worker;
    return this._workers ? this._workers.getRegistration(scope ?? url) : Promise.resolve(undefined);
  }

  private async _register(): Promise<ServiceWorkerRegistration> {
    const { url = '/herald-sw.js', scope } = this._worker;
    try {
      return await activated(await (this._workers as ServiceWorkerContainer).register(url, scope ? { scope } : {}));
    } catch (error) {
      if (error instanceof PushError) throw error;
      throw new PushError('HERALD_ERR_PUSH_WORKER', `Could not register the service worker ${url}: ${error}`);
    }
  }

  private async _request<T>(event: string, payload: unknown): Promise<T> {
    const reply = (await this._client.socket
      .timeout(REQUEST_TIMEOUT_MS)
      .emitWithAck(event, payload)
      .catch(() => undefined)) as Reply | PushKeyRotatedReply | undefined;
    if (reply?.ok === true) return reply as T;
    throw new PushError(
      reply?.code ?? 'HERALD_ERR_REQUEST',
      reply?.message ?? `Herald did not answer "${event}" within ${REQUEST_TIMEOUT_MS / 1000} s.`,
      (reply as Partial<PushKeyRotatedReply> | undefined)?.publicKey,
    );
  }
}
