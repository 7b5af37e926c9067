/**
 * Herald's service worker logic (docs/web-push.md, "The service worker"): shows Herald's push
 * messages unless a tab of this browser already did, reports `displayed`, `clicked` and `closed`
 * receipts, opens or focuses the notification's page on a click, and renews the subscription when
 * the browser replaces it. It listens only to what is Herald's (`notification.data.herald`, the
 * subscription Herald registered) so it can live in a worker the site already has.
 *
 * The global scope comes in as a parameter (structural types below: the SDK compiles with the DOM
 * library, not WebWorker's), so the same code runs in Node tests and in herald-sw.js.
 */
import type { PushMessage, PushMessageHerald, PushReceiptEvent } from '@herald/protocol';
import type { HeraldDb } from '../push/db.js';
import { fromBase64Url } from '../push/keys.js';

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown } | null;
}
interface ShownNotification {
  data: unknown;
  close(): void;
}
interface NotificationEvent extends ExtendableEvent {
  notification: ShownNotification;
}
interface SubscriptionChangeEvent extends ExtendableEvent {
  oldSubscription?: PushSubscription | null;
  newSubscription?: PushSubscription | null;
}
interface WindowClientLike {
  url: string;
  focus(): Promise<unknown>;
}

/** What the worker uses of `self` (a ServiceWorkerGlobalScope). */
export interface WorkerScope {
  addEventListener(type: string, listener: (event: never) => void): void;
  registration: {
    showNotification(title: string, options: NotificationOptions): Promise<void>;
    pushManager: Pick<PushManager, 'subscribe'>;
  };
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
  };
  fetch: typeof fetch;
}

/** What `showNotification` gets as `data`: the message's, with its `navigate` URL for the click. */
interface ShownData {
  herald: PushMessageHerald;
  navigate?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Herald's part of a shown notification's data, when it is one of Herald's. */
function heraldOf(data: unknown): ShownData | undefined {
  const shown = data as Partial<ShownData> | null | undefined;
  return typeof shown?.herald?.id === 'string' ? (shown as ShownData) : undefined;
}

/** Only web addresses are opened or posted to (never `javascript:` or `data:`). */
function web(url: unknown): string | undefined {
  try {
    const parsed = new URL(String(url));
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** Adds Herald's listeners to a service worker's global scope. */
export function heraldWorker(scope: WorkerScope, db: HeraldDb): void {
  const receipt = async (herald: PushMessageHerald, event: PushReceiptEvent): Promise<void> => {
    const url = web(herald.receipts);
    if (!url) return;
    // A lost receipt costs a funnel count, never the popup: errors end here.
    await scope
      .fetch(url, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ receipt: herald.receipt, event }),
      })
      .catch(() => undefined);
  };

  const show = async (notification: PushMessage['notification'], herald: PushMessageHerald): Promise<void> => {
    // A tab that showed it already recorded it; so does this worker when it shows one (a second
    // delivery of the same message shows nothing). Without IndexedDB, show it anyway.
    if (!(await db.claim(herald.id).catch(() => true))) return;
    const data: ShownData = { ...notification.data, navigate: notification.navigate };
    try {
      await scope.registration.showNotification(notification.title, {
        body: notification.body,
        tag: notification.tag,
        data,
        icon: notification.icon,
        lang: notification.lang,
        silent: notification.silent,
        timestamp: notification.timestamp,
      } as NotificationOptions);
    } catch (error) {
      await db.forget(herald.id).catch(() => undefined);
      throw error;
    }
    await receipt(herald, 'displayed');
  };

  const open = async (url: string | undefined): Promise<void> => {
    const target = web(url);
    if (!target) return;
    const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const already = windows.find((client) => client.url === target);
    if (already) await already.focus();
    else await scope.clients.openWindow(target);
  };

  const renew = async (event: SubscriptionChangeEvent): Promise<void> => {
    const saved = await db.record();
    // Herald never registered this browser, or the subscription that changed is the site's own.
    if (!saved || (event.oldSubscription && event.oldSubscription.endpoint !== saved.endpoint)) return;
    const subscription =
      event.newSubscription ??
      (await scope.registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: event.oldSubscription?.options.applicationServerKey ?? fromBase64Url(saved.publicKey),
      }));
    const { endpoint, keys } = subscription.toJSON();
    const reply = await scope.fetch(`${saved.url.replace(/\/+$/, '')}/push/renew`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ renew: saved.renew, subscription: { endpoint, keys } }),
    });
    if (!reply.ok) throw new Error(`Herald refused the renewal (${reply.status})`);
    const { renew: token } = (await reply.json()) as { renew: string };
    await db.setRecord({ ...saved, renew: token, endpoint: subscription.endpoint });
  };

  scope.addEventListener('push', (event: PushEvent) => {
    let message: Partial<PushMessage> | undefined;
    try {
      message = event.data?.json() as Partial<PushMessage> | undefined;
    } catch {
      return; // not JSON: not Herald's
    }
    const notification = message?.notification;
    const herald = heraldOf(notification?.data)?.herald;
    if (!notification || !herald) return;
    event.waitUntil(show(notification, herald));
  });

  scope.addEventListener('notificationclick', (event: NotificationEvent) => {
    const shown = heraldOf(event.notification.data);
    if (!shown) return;
    event.notification.close();
    event.waitUntil(Promise.all([open(shown.navigate), receipt(shown.herald, 'clicked')]));
  });

  scope.addEventListener('notificationclose', (event: NotificationEvent) => {
    const shown = heraldOf(event.notification.data);
    if (shown) event.waitUntil(receipt(shown.herald, 'closed'));
  });

  scope.addEventListener('pushsubscriptionchange', (event: SubscriptionChangeEvent) => {
    event.waitUntil(renew(event));
  });
}
