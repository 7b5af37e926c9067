/** Topics and preferences on the socket: a user's topics, categories, modes and quiet hours. */

import type { DeliveryMode } from './statuses.js';

/** `topics:subscribe` and `topics:unsubscribe` request. */
export interface TopicRequest {
  topic: string;
}

/** Reply to `topics:subscribe` / `topics:unsubscribe`: whether the user is in the topic now. */
export interface TopicReply {
  ok: true;
  topic: string;
  subscribed: boolean;
}

/** Request of `topics:list`: the first page (no `after`, or null), or the one after `after` (a previous reply's `nextCursor`). */
export interface TopicsRequest {
  after?: string | null;
}

/** Reply to `topics:list`: a page of up to 1,000 of the user's topics, in name order. */
export interface TopicsReply {
  ok: true;
  topics: string[];
  /** Where the next page starts (`{ after: nextCursor }`); null on the last page. */
  nextCursor?: string | null;
}

/** A category of an app's notifications (`category` of a send), as a user's device sees it. */
export interface Category {
  /** What a send names in `category`. */
  key: string;
  name: string;
  description: string | null;
  /** What a user who chose nothing gets. */
  defaultMode: DeliveryMode;
  /** A required category cannot be turned `off` (by its own choice or its topic's): at least the inbox. */
  required: boolean;
}

/**
 * Quiet hours in the user's time zone: from `start` to `end` (24-hour `HH:MM`; an `end` before
 * `start` ends the next day), notifications that would pop up go to the inbox silently.
 */
export interface QuietHours {
  start: string;
  end: string;
  /** An IANA time zone, e.g. `Europe/Paris`. */
  timeZone: string;
}

/**
 * A user's choices: a mode per category and per topic (those not named follow the category's
 * default; a topic's default is `popup`), and quiet hours. When a notification has both, the
 * lesser mode wins (`off` < `inbox` < `popup`).
 */
export interface Preferences {
  categories: Record<string, DeliveryMode>;
  topics: Record<string, DeliveryMode>;
  quietHours: QuietHours | null;
  /**
   * The keys of `categories` the app made required, in key order (absent when none): their mode
   * is the one that applies, at least `inbox` (an `off` chosen before the category became
   * required shows as `inbox`; it is kept, and applies again if the category stops being required).
   */
  required?: string[];
}

/** A change of preferences: the keys named change (`null` forgets a choice), the rest stay. */
export interface PreferencesPatch {
  categories?: Record<string, DeliveryMode | null>;
  topics?: Record<string, DeliveryMode | null>;
  quietHours?: QuietHours | null;
}

/** Reply to `preferences:get` and `preferences:set`. */
export interface PreferencesReply {
  ok: true;
  preferences: Preferences;
  /** The app's categories, in key order. */
  categories: Category[];
}

/**
 * `record[key]` when the record holds that key itself. Topic and category names are chosen by
 * apps, and a name such as `constructor` or `toString` must find no choice (or cursor) in a record
 * that has none, not the function every object inherits under that name.
 */
export function own<T>(record: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
