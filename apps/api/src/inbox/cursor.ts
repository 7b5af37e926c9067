import type { NotificationPayload } from '@herald/protocol';
import { MAX_SEQ, streamCursors } from '../platform/lib/cursor.js';
import { Errors } from '../platform/lib/errors.js';
import type { Timed } from './streams.js';

/**
 * Where an inbox page left each of the lists it interleaves: the personal one (`p`) and each
 * stream (`s`), by the number each continues below. A list it does not name starts at its newest;
 * 0 means it has nothing more.
 */
export interface InboxCursor {
  p?: number;
  s: Record<string, number>;
}

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
  const { p, s } = (parsed ?? {}) as { p?: unknown; s?: unknown };
  if (typeof parsed !== 'object' || parsed === null || (p !== undefined && !isSeq(p))) throw new Errors.CursorInvalid();
  const streams = s === undefined ? undefined : streamCursors(s);
  if (streams === undefined) throw new Errors.CursorInvalid();
  return p === undefined ? { s: streams } : { p, s: streams };
}

const writeCursor = (cursor: InboxCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/**
 * One inbox page out of the personal list (newest first, `limit + 1` at most) and the streams'
 * (each newest first, `limit + 1` at most per stream): the newest `limit` by the time each went
 * out, each list's own order kept, and the cursor that continues every list where this page left
 * it (null when none has more).
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
  while (items.length < limit) {
    let pick: string | null | undefined;
    let best = -Infinity;
    for (const [name, lane] of lanes) {
      const t = lane[taken.get(name) ?? 0];
      if (t && t.at > best) {
        best = t.at;
        pick = name;
      }
    }
    if (pick === undefined) break;
    const index = taken.get(pick) ?? 0;
    items.push((lanes.get(pick) as Timed[])[index]?.payload as NotificationPayload);
    taken.set(pick, index + 1);
  }
  const next: InboxCursor = { ...(previous.p === undefined ? {} : { p: previous.p }), s: { ...previous.s } };
  let more = false;
  for (const [name, lane] of lanes) {
    const count = taken.get(name) ?? 0;
    const last = lane[count - 1];
    // Read `limit + 1`: rows left over here, or a full read, mean this list goes on.
    const left = lane.length > count;
    const bound = last ? seqOf(name, last) : undefined;
    if (left) more = true;
    const value = left ? bound : 0;
    if (value === undefined) continue;
    if (name === null) next.p = value;
    else next.s[name] = value;
  }
  return { items, nextCursor: more ? writeCursor(next) : null };
}
