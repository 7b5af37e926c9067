/**
 * push.js: Web Push for the script-tag SDK, loaded by sdk.js from where it came from, only when a
 * page calls `Herald.enablePush()` (or `unsubscribePush`, `pushState`) or when this browser has a
 * subscription (so every connect tells Herald which browser it is). Defines `HeraldPush(client,
 * options)`: the client's `WebPush`, made once per client.
 */
import { type PushClient, type PushOptions, WebPush } from './web-push.js';

const made = new WeakMap<PushClient, WebPush>();

function HeraldPush(client: PushClient, options?: PushOptions): WebPush {
  let push = made.get(client);
  if (!push) {
    push = new WebPush(client, options);
    made.set(client, push);
  }
  return push;
}

(globalThis as unknown as { HeraldPush: typeof HeraldPush }).HeraldPush = HeraldPush;
