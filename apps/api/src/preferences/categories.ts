import type { Category, DeliveryMode } from '@herald/protocol';
import type { AppDirectory } from '../auth/app-directory.js';
import type { Sql } from '../platform/db/database.js';
import { Errors } from '../platform/lib/errors.js';

/** An app may define at most this many categories. */
export const MAX_CATEGORIES = 100;

/** A category as stored, with when it was created. */
export interface StoredCategory extends Category {
  createdAt: string;
}

interface CategoryRow {
  key: string;
  name: string;
  description: string | null;
  default_mode: DeliveryMode;
  required: boolean;
  created_ms: number;
}

const COLUMNS = `key, name, description, default_mode, required, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms`;

const categoryOf = (r: CategoryRow): StoredCategory => ({
  key: r.key,
  name: r.name,
  description: r.description,
  defaultMode: r.default_mode,
  required: r.required,
  createdAt: new Date(Number(r.created_ms)).toISOString(),
});

/**
 * An app's categories: what its sends may name in `category`, each with the mode users get unless
 * they choose (`defaultMode`) and whether they may turn it off (`required`). Every change tells the
 * app directory, whose cached copy the intake checks sends against and the gateways silence popups by.
 */
export class CategoryRepository {
  constructor(
    private readonly sql: Sql,
    private readonly apps: AppDirectory,
  ) {}

  async list(appId: string): Promise<StoredCategory[]> {
    const rows = await this.sql.query<CategoryRow>(`SELECT ${COLUMNS} FROM categories WHERE app_id = $1 ORDER BY key`, [
      appId,
    ]);
    return rows.map(categoryOf);
  }

  /**
   * Creates or changes a category; fields left out keep their value (or take the default, for a
   * new one). `created` says which it was (the audit log's action). `createOnly` (a request's
   * `If-None-Match: *`) refuses to change one that exists: a form that creates cannot overwrite.
   */
  async put(
    appId: string,
    key: string,
    change: { name?: string; description?: string | null; defaultMode?: DeliveryMode; required?: boolean },
    createOnly = false,
  ): Promise<StoredCategory & { created: boolean }> {
    if (change.required === true || change.defaultMode === 'off') {
      // Users cannot turn a required category off, so it cannot be off by default either: what it
      // would be is `inbox`, and saying so is the operator's choice, not ours to make silently.
      const [was] = await this.sql.query<{ required: boolean; default_mode: DeliveryMode }>(
        'SELECT required, default_mode FROM categories WHERE app_id = $1 AND key = $2',
        [appId, key],
      );
      const required = change.required ?? was?.required ?? false;
      const defaultMode = change.defaultMode ?? was?.default_mode ?? 'popup';
      if (required && defaultMode === 'off') {
        throw new Errors.Invalid(
          `Category "${key}" would be required with defaultMode "off": users cannot turn a required category off, so it cannot be off by default; use "inbox".`,
        );
      }
    }
    const rows = await this.sql.query<CategoryRow & { created: boolean }>(
      `WITH counted AS (SELECT count(*)::int AS n FROM categories WHERE app_id = $1)
       INSERT INTO categories (app_id, key, name, description, default_mode, required)
       SELECT $1, $2, COALESCE($3, $2), $4, COALESCE($5, 'popup'), COALESCE($6, false)
        WHERE (SELECT n FROM counted) < ${MAX_CATEGORIES}
           OR EXISTS (SELECT 1 FROM categories WHERE app_id = $1 AND key = $2)
       ON CONFLICT (app_id, key) DO UPDATE SET
         name = COALESCE($3, categories.name),
         description = CASE WHEN $7 THEN $4 ELSE categories.description END,
         default_mode = COALESCE($5, categories.default_mode),
         required = COALESCE($6, categories.required),
         updated_at = now()
        WHERE NOT $8
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      [
        appId,
        key,
        change.name ?? null,
        change.description ?? null,
        change.defaultMode ?? null,
        change.required ?? null,
        change.description !== undefined,
        createOnly,
      ],
    );
    const row = rows[0];
    if (!row && createOnly) {
      const [exists] = await this.sql.query('SELECT 1 FROM categories WHERE app_id = $1 AND key = $2', [appId, key]);
      if (exists) throw new Errors.CategoryExists(key);
    }
    if (!row) throw new Errors.CategoryLimit(MAX_CATEGORIES);
    this.apps.invalidate(appId);
    return { ...categoryOf(row), created: row.created };
  }

  /**
   * Deletes a category. Notifications that named it keep its key, and are then uncategorised
   * (popup, unless a topic's choice says otherwise). Users' choices for it stay stored but are no
   * longer shown, and hold again should the app make the category again.
   */
  async delete(appId: string, key: string): Promise<void> {
    const rows = await this.sql.query(`DELETE FROM categories WHERE app_id = $1 AND key = $2 RETURNING 1`, [
      appId,
      key,
    ]);
    if (rows.length === 0) throw new Errors.CategoryNotFound(key);
    this.apps.invalidate(appId);
  }
}
