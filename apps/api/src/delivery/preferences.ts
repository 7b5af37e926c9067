import { BROADCAST_STREAM, type DeliveryMode, own, type Preferences, type QuietHours } from '@herald/protocol';

/** What a category says to a user who chose nothing, and whether they may turn it off. */
export type CategoryRule = readonly [defaultMode: DeliveryMode, required: boolean];

/** An app's categories by key. */
export type CategoryRules = ReadonlyMap<string, CategoryRule>;

const RANK: Record<DeliveryMode, number> = { off: 0, inbox: 1, popup: 2 };

/** A user's stored choices, as the database gives them back (a new user's are `{}`). */
export type StoredPreferences = Partial<Preferences> | null | undefined;

/** A stored document with every part present. */
export function preferencesOf(stored: StoredPreferences): Preferences {
  return { categories: stored?.categories ?? {}, topics: stored?.topics ?? {}, quietHours: stored?.quietHours ?? null };
}

/**
 * The mode a user takes a notification in, before quiet hours: the category's (the user's choice,
 * else the category's default; popup for none, or one the app no longer has) and the topic's it
 * came through (the user's choice, else popup; none for a send to users or a broadcast), the lesser
 * of the two; a required category is never off. The SQL function `herald_mode` (preferences
 * migration) is the same rule for the statements that fan out and catch up; a test holds both to one table.
 */
export function modeOf(
  stored: StoredPreferences,
  category: string | null | undefined,
  rule: CategoryRule | undefined,
  topic: string | null | undefined,
): DeliveryMode {
  const c: DeliveryMode = category && rule ? (own(stored?.categories, category) ?? rule[0]) : 'popup';
  const t: DeliveryMode = topic && topic !== BROADCAST_STREAM ? (own(stored?.topics, topic) ?? 'popup') : 'popup';
  const m = RANK[c] <= RANK[t] ? c : t;
  return m === 'off' && rule?.[1] ? 'inbox' : m;
}

/**
 * How much a user's choice for a topic lets through: popup 2, inbox 1, off 0 (no choice: popup).
 * A notification sent to several of the user's topics reaches them once, through the one they let
 * through most, the first listed among equals: its mode is then the best of theirs, whatever the
 * order the sender listed the topics in (the category's part is the same for all of them).
 */
export function topicChoice(stored: StoredPreferences, topic: string): number {
  return RANK[own(stored?.topics, topic) ?? 'popup'];
}

/** `topicChoice` in SQL, for a preferences document and a stream name (`*`, the broadcasts, has no choice). */
export const TOPIC_CHOICE = (prefs: string, stream: string) =>
  `(CASE COALESCE((${prefs}) -> 'topics' ->> (${stream}), 'popup') WHEN 'popup' THEN 2 WHEN 'inbox' THEN 1 ELSE 0 END)`;

const clocks = new Map<string, { clock: Intl.DateTimeFormat; minute: number; minutes: number }>();

/**
 * Minutes past midnight now in `timeZone`. A broadcast asks it for every socket whose user has
 * quiet hours: one formatter per zone, and its answer kept for the rest of the minute (every
 * zone's offset is a whole number of minutes, so it holds until the next one).
 */
function minutesIn(timeZone: string, now: number): number {
  const minute = Math.floor(now / 60_000);
  let zone = clocks.get(timeZone);
  if (zone?.minute === minute) return zone.minutes;
  if (!zone) {
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    zone = { clock, minute: -1, minutes: 0 };
    if (clocks.size < 1000) clocks.set(timeZone, zone);
  }
  const parts = zone.clock.formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  zone.minute = minute;
  zone.minutes = part('hour') * 60 + part('minute');
  return zone.minutes;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` falls inside the quiet hours (start inclusive, end exclusive; equal ends: never). */
export function inQuietHours(quiet: QuietHours | null | undefined, now = Date.now()): boolean {
  if (!quiet) return false;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  let t: number;
  try {
    t = minutesIn(quiet.timeZone, now);
  } catch {
    return false; // a zone this runtime does not know (checked when set; a runtime change could drop one)
  }
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** Whether a time zone is one this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The mode a notification on its way to a socket takes for its user now: `modeOf`, and a popup inside quiet hours goes to the inbox. */
export function modeNow(
  stored: StoredPreferences,
  category: string | null | undefined,
  rule: CategoryRule | undefined,
  topic: string | null | undefined,
  now = Date.now(),
): DeliveryMode {
  const mode = modeOf(stored, category, rule, topic);
  return mode === 'popup' && inQuietHours(stored?.quietHours, now) ? 'inbox' : mode;
}

/**
 * Why a notification does not pop up for a user now (`modeNow` is not `popup`), as a timeline says
 * it: the category's mode and whose it is, the topic the user turned down, or their quiet hours.
 */
export function notPopupReason(
  stored: StoredPreferences,
  category: string | null | undefined,
  rule: CategoryRule | undefined,
  topic: string | null | undefined,
): string {
  const mode = modeOf(stored, category, rule, topic);
  if (mode === 'popup') return "inside the user's quiet hours";
  // An `off` that a required category keeps to the inbox (modeOf's last rule) says so.
  const required = rule?.[1] === true;
  if (category && rule) {
    const chosen = own(stored?.categories, category);
    const c = chosen ?? rule[0];
    if ((c === 'off' && required ? 'inbox' : c) === mode) {
      const whose = chosen === undefined ? 'its default' : "the user's choice";
      return `category "${category}" is ${c} (${whose})${c === 'off' && required ? ', but it is required: inbox only' : ''}`;
    }
  }
  const t = (topic && own(stored?.topics, topic)) ?? mode;
  const but = t === 'off' && required ? `, but category "${category}" is required: inbox only` : '';
  return `topic "${topic}" is ${t} (the user's choice)${but}`;
}

/**
 * Whether a notification that is on its way to a socket should skip the popup (go to the inbox
 * silently) for this user: their mode for it now is `inbox`, or `off` (they turned it off after it
 * was written for them).
 */
export function silencedFor(
  stored: StoredPreferences,
  rules: CategoryRules | undefined,
  packet: { category: string | null; stream?: { name: string } },
  now = Date.now(),
): boolean {
  const category = packet.category;
  return modeNow(stored, category, category ? rules?.get(category) : undefined, packet.stream?.name, now) !== 'popup';
}

/**
 * Why a user was skipped (the `reason` of their skipped row), in SQL, from the expressions giving
 * the send's category and the user's stored preferences.
 */
export const skipReason = (category: string, prefs: string) =>
  `format('category "%s" is off (%s)', ${category},
     CASE WHEN ${prefs} -> 'categories' ? ${category} THEN 'the user''s choice' ELSE 'its default' END)`;
