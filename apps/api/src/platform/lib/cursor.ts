import { Errors } from './errors.js';
import { isUuid } from './text.js';

/** Whether PostgreSQL can compare with `time`: a real time (not NaN) in the years 1 to 9999. */
export function comparable(time: Date): boolean {
  const year = time.getUTCFullYear();
  return !Number.isNaN(time.getTime()) && year >= 1 && year <= 9999;
}

/**
 * A time from a query string as a Date, else a 400. JSON Schema's `date-time` admits times
 * JavaScript cannot represent (a leap second, 23:59:60) and years PostgreSQL refuses (0000):
 * they must not reach the database.
 */
export function queryTime(value: string, name: string): Date {
  const time = new Date(value);
  if (!comparable(time)) {
    throw new Errors.Invalid(
      `querystring.${name} must be a time between the years 1 and 9999, such as 2026-01-31T09:00:00Z.`,
    );
  }
  return time;
}

/**
 * The (createdAt, id) position a `nextCursor` of a newest-first list names, else a 400: only what
 * such a list returns (a time as toISOString writes it, `|`, a UUID) is accepted.
 */
export function timeCursor(cursor: string): { at: Date; id: string } {
  const [at = '', id = '', ...rest] = cursor.split('|');
  const time = new Date(at);
  if (rest.length > 0 || !isUuid(id) || !comparable(time) || time.toISOString() !== at) {
    throw new Errors.CursorInvalid();
  }
  return { at: time, id };
}

/** The `nextCursor` of a newest-first list: the last row's time and id (read back by `timeCursor`). */
export const toTimeCursor = (row: { createdAt: Date; id: string }) => `${row.createdAt.toISOString()}|${row.id}`;

/**
 * A keyset page from a query that asked for `limit + 1` rows: the first `limit`, and the cursor of
 * the last of them when the extra row says another page follows (null at the end).
 */
export function keysetPage<T, C>(
  rows: T[],
  limit: number,
  cursorOf: (last: T) => C,
): { page: T[]; nextCursor: C | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/** Sequence numbers are 32-bit integers in PostgreSQL. */
export const MAX_SEQ = 2_147_483_647;

/** An integer in [min, max], null when absent, undefined when it is anything else (then refuse it). */
export function intOrNull(value: unknown, min: number, max: number): number | null | undefined {
  if (value === null || value === undefined) return null;
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
    ? (value as number)
    : undefined;
}

/** At most this many stream cursors in a handshake or a sync: a user's topics listed (1,000) and the broadcasts. */
export const MAX_STREAM_CURSORS = 1001;

const STREAM_NAME = /^(\*|[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99})$/;

/**
 * A client's stream cursors (`auth.streams`, `sync`'s `streams`): topic names (or `*`) to sequence
 * numbers. Empty when absent or null, undefined when it is anything else (then refuse it).
 */
export function streamCursors(value: unknown): Record<string, number> | undefined {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > MAX_STREAM_CURSORS) return undefined;
  for (const [name, seq] of entries) {
    if (!STREAM_NAME.test(name) || intOrNull(seq, 0, MAX_SEQ) == null) return undefined;
  }
  return Object.fromEntries(entries) as Record<string, number>;
}
