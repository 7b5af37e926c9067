import type { DeliveryMode, Preferences, PreferencesPatch } from '@herald/protocol';
import { isTimeZone, preferencesOf, type StoredPreferences } from '../delivery/preferences.js';
import type { Sql } from '../platform/db/database.js';
import { Errors } from '../platform/lib/errors.js';
import { TOPIC_PATTERN } from '../schemas/topic-name.js';

/** A user's preferences changed: the gateways' sockets of that user take them at once. */
export interface PreferencesEvent {
  appId: string;
  userId: string;
  preferences: Preferences;
}

/** A user's stored document may not grow past this (a topic choice is some 30 bytes). */
export const MAX_PREFERENCES_BYTES = 32 * 1024;

const TOPIC = new RegExp(TOPIC_PATTERN);

/**
 * The document after a change, from the stored one (SQL): the choices named are set, those given
 * `null` forgotten, quiet hours replaced when the change names them.
 */
const MERGED = `jsonb_build_object(
    'categories', (COALESCE(preferences -> 'categories', '{}'::jsonb) || $3::jsonb) - $4::text[],
    'topics', (COALESCE(preferences -> 'topics', '{}'::jsonb) || $5::jsonb) - $6::text[],
    'quietHours', CASE WHEN $7::boolean THEN $8::jsonb ELSE COALESCE(preferences -> 'quietHours', 'null'::jsonb) END)`;

/**
 * The app's categories among a user's choices (SQL, over a `subscribers` row `s`, its document as
 * `doc`): those that exist (`known`), and the required ones, which the shown preferences name in
 * `required`.
 */
const REQUIRED = (doc: string) => `ARRAY(
    SELECT c.key FROM categories c
     WHERE c.app_id = s.app_id AND c.required AND (${doc} -> 'categories') ? c.key ORDER BY c.key) AS required,
  ARRAY(SELECT c.key FROM categories c WHERE c.app_id = s.app_id AND (${doc} -> 'categories') ? c.key) AS known`;

/**
 * What a user's preferences say to whoever reads them (REST, the SDK): the choices for the app's
 * categories (a choice for a category the app deleted is kept, and applies again should it come
 * back, but is not shown), except that a required category shows the mode that applies — an `off`
 * chosen before it became required is `inbox`, as a send takes it (`modeOf`) — and which
 * categories are required. The stored choice stays, and applies again should the category stop
 * being required.
 */
function shown(
  stored: StoredPreferences,
  required: readonly string[] = [],
  known: readonly string[] = [],
): Preferences {
  const preferences = preferencesOf(stored);
  const categories = Object.fromEntries(Object.entries(preferences.categories).filter(([key]) => known.includes(key)));
  for (const key of required) if (categories[key] === 'off') categories[key] = 'inbox';
  return { ...preferences, categories, ...(required.length > 0 ? { required: [...required] } : {}) };
}

/**
 * Users' preferences: one document per user, on their subscriber row (which every send to them and
 * every handshake reads anyway). Sends read them in SQL (`herald_mode`); the gateways keep each
 * socket's copy current through `listen`.
 */
export class PreferenceRepository {
  private onChange: (event: PreferencesEvent) => void = () => {};

  constructor(private readonly sql: Sql) {}

  /** Who hears of changes: the gateway, once it exists. */
  listen(onChange: (event: PreferencesEvent) => void): void {
    this.onChange = onChange;
  }

  /** A user's preferences as shown; a user Herald has not seen has none (every default applies). */
  async get(appId: string, userId: string): Promise<Preferences> {
    const rows = await this.sql.query<{ preferences: StoredPreferences; required: string[]; known: string[] }>(
      `SELECT s.preferences, ${REQUIRED('s.preferences')} FROM subscribers s WHERE s.app_id = $1 AND s.external_id = $2`,
      [appId, userId],
    );
    return shown(rows[0]?.preferences, rows[0]?.required, rows[0]?.known);
  }

  /**
   * Changes a user's preferences (creating the user if Herald has not seen them) and returns them
   * as shown: each choice named is set, or forgotten with `null`. Refuses a choice for an unknown category, `off` for a required one,
   * a topic name that could not exist, and a time zone this server does not know.
   */
  async patch(appId: string, userId: string, patch: PreferencesPatch): Promise<Preferences> {
    const categories = Object.entries(patch.categories ?? {});
    const topics = Object.entries(patch.topics ?? {});
    for (const [topic] of topics) {
      if (!TOPIC.test(topic)) throw new Errors.Invalid(`"${topic.slice(0, 120)}" is not a topic name.`);
    }
    if (patch.quietHours && !isTimeZone(patch.quietHours.timeZone)) {
      throw new Errors.Invalid(
        `"${patch.quietHours.timeZone.slice(0, 64)}" is not a time zone this server knows; use an IANA name such as "Europe/Paris".`,
      );
    }
    // A choice is made for a category that exists; one is forgotten (null) whatever became of its
    // category, so a choice left by a deleted one can be cleared.
    const chosen = categories.filter(([, mode]) => mode !== null);
    if (chosen.length > 0) {
      const known = await this.sql.query<{ key: string; required: boolean }>(
        `SELECT key, required FROM categories WHERE app_id = $1 AND key = ANY($2::text[])`,
        [appId, chosen.map(([key]) => key)],
      );
      const required = new Map(known.map((c) => [c.key, c.required]));
      for (const [key, mode] of chosen) {
        if (!required.has(key)) throw new Errors.CategoryNotFound(key);
        if (mode === 'off' && required.get(key)) throw new Errors.CategoryRequired(key);
      }
    }
    const set = (entries: Array<[string, DeliveryMode | null]>) =>
      JSON.stringify(Object.fromEntries(entries.filter(([, mode]) => mode !== null)));
    const forget = (entries: Array<[string, DeliveryMode | null]>) =>
      entries.filter(([, mode]) => mode === null).map(([key]) => key);
    await this.sql.query(
      `INSERT INTO subscribers (id, app_id, external_id) VALUES (gen_random_uuid()::text, $1, $2)
       ON CONFLICT (app_id, external_id) DO NOTHING`,
      [appId, userId],
    );
    const rows = await this.sql.query<{ preferences: StoredPreferences; required: string[]; known: string[] }>(
      `UPDATE subscribers s SET preferences = merged.doc
         FROM (SELECT ${MERGED} AS doc
                 FROM subscribers WHERE app_id = $1 AND external_id = $2) merged
        WHERE s.app_id = $1 AND s.external_id = $2 AND octet_length(merged.doc::text) <= ${MAX_PREFERENCES_BYTES}
        RETURNING s.preferences, ${REQUIRED('merged.doc')}`,
      [
        appId,
        userId,
        set(categories),
        forget(categories),
        set(topics),
        forget(topics),
        patch.quietHours !== undefined,
        JSON.stringify(patch.quietHours ?? null),
      ],
    );
    const row = rows[0];
    if (!row) {
      throw new Errors.PreferencesTooLarge(String(MAX_PREFERENCES_BYTES / 1024));
    }
    // The gateways' sockets take the stored choices: they apply the categories' rules themselves.
    this.onChange({ appId, userId, preferences: preferencesOf(row.preferences) });
    return shown(row.preferences, row.required, row.known);
  }
}
