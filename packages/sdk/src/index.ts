/** Herald browser SDK, ESM entry for bundlers. The script-tag build is browser.ts. */
export type { NotificationPayload, Priority } from '@herald/protocol';
export {
  HeraldClient,
  type HeraldEvents,
  type HeraldOptions,
  type NotificationContext,
  type TokenSource,
} from './client.js';
export { DisconnectCode, type State, type StateContext } from './codes.js';
export { type SoftPromptOptions, type SoftPromptResult, showSoftPrompt } from './soft-prompt.js';

import { HeraldClient, type HeraldOptions } from './client.js';

/** Connects to Herald: `const herald = init({ url, token })`. */
export function init(options: HeraldOptions): HeraldClient {
  return new HeraldClient(options);
}
