import type { NotificationPayload } from '@herald/protocol';
import { comparable, MAX_SEQ, streamCursors } from '../platform/lib/cursor.js';
import { Errors } from '../platform/lib/errors.js';
import { isUuid } from '../platform/lib/text.js';
import type { Timed } from './streams.js';

/**
 * Where an inbox page left off. The lists it interleaves (the personal one, and each stream) are
 * each read in their own order; the page shows the newest first by the time each went out (then
 * id). `t` is the oldest (time, id) shown so far: a list not named below continues with what is
 * older than that — a list whose newest never made it onto a page, or one shown to its end. A list
 * that was cut in the middle (`p` for the personal one, `s` for streams) continues below the
 * number where it stopped, since its own order can disagree with the times by a little (a
 * scheduled or fanned-out notification takes its number when it goes out). At most
 * `MAX_CUT_LISTS` of those are kept, so the cursor stays small; one past them continues from `t`.
 */
export interface InboxCursor {
  t?: [at: number, id: string];
  p?: number;
  s: Record<string, number>;
}

/** Lists cut in the middle that a cursor names by number; others continue by time. */
export const MAX_CUT_LISTS = 32;

const isSeq = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SEQ;

/** The cursor of the previous page (base64url JSON), else a 400 HERALD_ERR_CURSOR_INVALID. */
export function readInboxCursor(cursor: string | null | undefined): InboxCursor {
  if (cursor === null || cursor === undefined) return { s: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Errors.CursorInvalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Errors.CursorInvalid();
  const { t, p, s } = parsed as { t?: unknown; p?: unknown; s?: unknown };
  if (p !== undefined && !isSeq(p)) throw new Errors.CursorInvalid();
  const time =
    Array.isArray(t) &&
    t.length === 2 &&
    // A time a notification can have (milliseconds, with PostgreSQL's microseconds as a fraction).
    typeof t[0] === 'number' &&
    comparable(new Date(t[0])) &&
    typeof t[1] === 'string' &&
    isUuid(t[1])
      ? ([t[0], t[1]] as [number, string])
      : undefined;
  if (t !== undefined && !time) throw new Errors.CursorInvalid();
  const streams = s === undefined ? {} : streamCursors(s);
  if (streams === undefined || Object.keys(streams).length > MAX_CUT_LISTS) throw new Errors.CursorInvalid();
  return { ...(time ? { t: time } : {}), ...(p === undefined ? {} : { p }), s: streams };
}

const writeCursor = (cursor: InboxCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** Newer first: by time, then id (the order a page shows, and `t` compares in). */
const newer = (a: Timed, b: Timed) => a.at > b.at || (a.at === b.at && a.payload.id > b.payload.id);

/**
 * One inbox page out of the personal list (newest first, `limit + 1` at most) and the streams'
 * (each newest first, `limit + 1` at most per stream): the newest `limit` by (time, id), each
 * list's own order kept, and the cursor that continues where this page left off (null when no
 * list has more).
 */
export function newestFirst(
  personal: Timed[],
  streamed: Timed[],
  previous: InboxCursor,
  limit: number,
): { items: NotificationPayload[]; nextCursor: string | null } {
  const lanes = new Map<string | null, Timed[]>([[null, personal]]);
  for (const t of streamed) {
    const name = t.payload.stream?.name ?? '';
    const lane = lanes.get(name) ?? [];
    if (lane.length === 0) lanes.set(name, lane);
    lane.push(t);
  }
  const seqOf = (name: string | null, t: Timed) => (name === null ? t.payload.seq : (t.payload.stream?.seq ?? 0));
  for (const [name, lane] of lanes) lane.sort((a, b) => seqOf(name, b) - seqOf(name, a));
  const taken = new Map<string | null, number>();
  const items: NotificationPayload[] = [];
  let oldest: Timed | undefined = previous.t
    ? ({ at: previous.t[0], payload: { id: previous.t[1] } } as Timed)
    : undefined;
  while (items.length < limit) {
    let pick: string | null | undefined;
    let best: Timed | undefined;
    for (const [name, lane] of lanes) {
      const t = lane[taken.get(name) ?? 0];
      if (t && (!best || newer(t, best))) {
        best = t;
        pick = name;
      }
    }
    if (pick === undefined || !best) break;
    items.push(best.payload);
    taken.set(pick, (taken.get(pick) ?? 0) + 1);
    if (!oldest || newer(oldest, best)) oldest = best;
  }
  const next: InboxCursor = { ...(oldest ? { t: [oldest.at, oldest.payload.id] } : {}), s: {} };
  let more = false;
  let cut = 0;
  for (const [name, lane] of lanes) {
    const count = taken.get(name) ?? 0;
    if (lane.length <= count) continue; // shown to its end (or empty): continues by time, with nothing left
    more = true;
    // Cut in the middle now, or earlier and untouched by this page: continues below its number.
    const last = lane[count - 1];
    const bound = last ? seqOf(name, last) : name === null ? previous.p : previous.s[name];
    if (bound === undefined || cut >= MAX_CUT_LISTS) continue;
    cut++;
    if (name === null) next.p = bound;
    else next.s[name] = bound;
  }
  return { items, nextCursor: more ? writeCursor(next) : null };
}
