/** Herald browser SDK, ESM entry for bundlers. The script-tag build is browser.ts. */
export type {
  Category,
  DeliveryMode,
  NotificationPayload,
  Preferences,
  PreferencesPatch,
  Priority,
  QuietHours,
} from '@herald/protocol';
export {
  HeraldClient,
  type HeraldEvents,
  type HeraldOptions,
  type HeraldPreferences,
  type NotificationContext,
  type PreferencesState,
  type TokenSource,
} from './client.js';
export { DisconnectCode, type State, type StateContext } from './codes.js';
export { type HeraldDb, heraldDb, type PushRecord } from './push/db.js';
export {
  type EnablePushResult,
  type PushOptions,
  type PushState,
  type ServiceWorkerOptions,
  WebPush,
} from './push/web-push.js';
export { type SoftPromptOptions, type SoftPromptResult, showSoftPrompt } from './soft-prompt.js';

import { HeraldClient, type HeraldOptions } from './client.js';
import { type EnablePushResult, type PushOptions, type PushState, WebPush } from './push/web-push.js';
import { type SoftPromptOptions, showSoftPrompt } from './soft-prompt.js';

const pushes = new WeakMap<HeraldClient, WebPush>();

/** Connects to Herald: `const herald = init({ url, token, serviceWorker })`. */
export function init(options: HeraldOptions): HeraldClient {
  const client = new HeraldClient(options);
  // A browser with a push subscription tells Herald which browser it is on every connect.
  webPush(client, options);
  return client;
}

/**
 * The client's Web Push (made once per client; `init` makes it with the client's options). For a
 * client made with `new HeraldClient`, call it once with `{ serviceWorker }` right after.
 */
export function webPush(client: HeraldClient, options?: PushOptions): WebPush {
  let push = pushes.get(client);
  if (!push) {
    push = new WebPush(client, options);
    pushes.set(client, push);
  }
  return push;
}

/**
 * Web Push: asks for permission (through the soft prompt unless `softPrompt: false`: then call it
 * from a click), registers the service worker, subscribes this browser, registers it with Herald.
 * Resolves with `subscribed`, or why not. The script tag's `Herald.enablePush()`.
 */
export async function enablePush(
  client: HeraldClient,
  options: { softPrompt?: SoftPromptOptions | false } = {},
): Promise<EnablePushResult> {
  const { softPrompt } = options;
  const asked = softPrompt === false ? client.requestPermission() : showSoftPrompt(softPrompt);
  return webPush(client).enable(await asked);
}

/** Unsubscribes this browser from Web Push, here and at Herald; true when it had a subscription. */
export function unsubscribePush(client: HeraldClient): Promise<boolean> {
  return webPush(client).unsubscribe();
}

/** `unsupported`, `denied`, `default`, `subscribed` or `unsubscribed`. */
export function pushState(client: HeraldClient): Promise<PushState> {
  return webPush(client).state();
}
