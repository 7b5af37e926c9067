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
export { type SoftPromptOptions, type SoftPromptResult, showSoftPrompt } from './soft-prompt.js';

import { HeraldClient, type HeraldOptions } from './client.js';

/** Connects to Herald: `const herald = init({ url, token })`. */
export function init(options: HeraldOptions): HeraldClient {
  return new HeraldClient(options);
}
