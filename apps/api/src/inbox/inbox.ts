import {
  type InboxItem,
  type InboxPage,
  type InboxReadEvent,
  ServerEvent,
  type StreamCursors,
  type SyncReply,
  userRoom,
} from '@herald/protocol';
import { DELIVERY_ROW_COLUMNS, type DeliveryRow, toPayload } from '../delivery/payload.js';
import { advance, IN_INBOX, PENDING_OF } from '../delivery/status.js';
import type { Emitter } from '../gateway/types.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Sql } from '../platform/db/database.js';
import { INBOX_COUNT_LIMIT } from '../schemas/inbox.js';
import { newestFirst, readInboxCursor } from './cursor.js';
import {
  HAS_STREAMS,
  interleave,
  readStreams,
  streamPayload,
  streamsAfter,
  streamsBefore,
  streamsCount,
  streamsUnread,
  type Timed,
} from './streams.js';

/** A row of the sync statement: the head and confirmations on every row, a delivery or nulls. */
type SyncRow = { head: number; from_seq: number; has_streams: boolean; confirmed: string[] | null } & (
  | { [K in keyof DeliveryRow]: null }
  | DeliveryRow
);

export interface Subscriber {
  id: string;
  appId: string;
  externalId: string;
}

// States in which a delivery counts for the user: not expired, failed or cancelled.
const LIVE = IN_INBOX;
const CONFIRM = advance('delivered');
const READ = advance('read');

/**
 * A user's inbox and catch-up, the same over the socket and over REST: sync from a sequence
 * number, list newest first with a cursor, unread counts, mark read (which every other socket of
 * the user hears about at once).
 */
export class InboxService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: Sql,
    private readonly emitter: () => Emitter | undefined,
    private readonly freshnessMs: number,
    /** Told how many deliveries a sync confirmed or a read marked (dashboard counters). */
    private readonly onChanged: (
      event: 'delivered' | 'read',
      count: number,
      notificationIds: string[],
    ) => void = () => {},
  ) {}

  async findSubscriber(appId: string, externalId: string): Promise<Subscriber | null> {
    return this.prisma.subscriber.findUnique({
      where: { appId_externalId: { appId, externalId } },
      select: { id: true, appId: true, externalId: true },
    });
  }

  /**
   * Confirms everything up to `since` as delivered, then returns what came after it in sequence
   * order, skipping expired and cancelled ones. A device with no cursor (`since` null) starts at
   * its oldest undelivered notification; its history is in the inbox. A cursor beyond the user's
   * head (the device saw a sequence this server does not have, e.g. a database restored from an
   * older backup) confirms nothing and counts as no cursor. `confirm: false` pages on without
   * confirming (catch-up on connect: the acks of what it sends confirm those).
   */
  async sync(
    subscriber: Subscriber,
    since: number | null,
    limit: number,
    options: {
      confirm?: boolean;
      streams?: StreamCursors;
      /**
       * The personal cursor the device presented when it connected (catch-up pages move `since`):
       * a stream it has no cursor for starts at the join when this is below it (streamsAfter).
       */
      presented?: number | null;
    } = {},
  ): Promise<SyncReply & { allHeads?: Record<string, number> }> {
    // One statement (every client runs this on every connect, so a reconnect storm is made of them):
    // confirm up to `since`, find where to start, read the next page and the user's head, and
    // raise the user's settled mark to just below their first row still pending after the confirm
    // (status.ts PENDING_OF), so the next connect reads their pending rows from there.
    const rows = await this.sql.query<SyncRow>(
      `WITH known AS (
         SELECT id, last_seq, settled_seq, CASE WHEN $2::int <= last_seq THEN $2::int END AS since
           FROM subscribers WHERE id = $1
       ), confirmed AS (
         UPDATE deliveries d SET ${CONFIRM.set} FROM known k
          WHERE $4::bool AND ${PENDING_OF('k')} AND d.seq <= k.since AND ${CONFIRM.guard}
          RETURNING d.notification_id
       ), head AS (
         SELECT last_seq,
                COALESCE(since, (SELECT min(d.seq) - 1 FROM deliveries d WHERE ${PENDING_OF('known')}), last_seq) AS from_seq
           FROM known
       ), settled AS (
         -- Pending after the confirm: its rows above \`since\` (this statement's snapshot still sees
         -- the confirmed ones as pending). Only if the user's row is free: a lower mark is still
         -- true, and waiting here for an accept that holds the row (or, while holding these rows,
         -- for a delete of the user) is not worth it.
         UPDATE subscribers s SET settled_seq = x.upto
           FROM (SELECT COALESCE((SELECT min(d.seq) - 1 FROM deliveries d
                                   WHERE ${PENDING_OF('k')} AND d.seq > CASE WHEN $4::bool THEN COALESCE(k.since, 0) ELSE 0 END),
                                 k.last_seq) AS upto
                   FROM known k) x
          WHERE s.id = (SELECT id FROM subscribers WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED) AND x.upto > s.settled_seq
       )
       SELECT h.last_seq AS head, h.from_seq, ${HAS_STREAMS} AS has_streams,
              (SELECT array_agg(notification_id::text) FROM confirmed) AS confirmed, p.*
         FROM head h
         LEFT JOIN LATERAL (
           SELECT ${DELIVERY_ROW_COLUMNS}
             FROM deliveries d JOIN notifications n ON n.id = d.notification_id
            WHERE d.subscriber_id = $1 AND d.seq > h.from_seq AND ${LIVE}
              AND (n.expires_at IS NULL OR n.expires_at > now())
            ORDER BY d.seq LIMIT $3
         ) p ON true`,
      [subscriber.id, since, limit, options.confirm !== false],
      // One user's rows by id: the same plan fits every call, and planning it cost 10× running it.
      { prepare: true },
    );
    const first = rows[0];
    const confirmed = first?.confirmed ?? [];
    if (confirmed.length) this.onChanged('delivered', confirmed.length, confirmed);
    const now = Date.now();
    const personal = rows
      .filter((r): r is SyncRow & DeliveryRow => r.id !== null)
      .map((r) => toPayload(r, this.freshnessMs, now));
    const head = Number(first?.head ?? 0);
    if (!first?.has_streams) return { ok: true, notifications: personal, head, streams: {} };
    // Topic sends and broadcasts: each stream after the device's cursor, merged with the personal
    // ones in the order they went out, each stream's own order kept.
    const {
      rows: entries,
      heads,
      keep,
    } = await streamsAfter(
      this.sql,
      subscriber.id,
      options.streams ?? {},
      limit,
      options.presented === undefined ? since : options.presented,
    );
    const notifications = interleave(
      personal,
      entries.map((r) => streamPayload(r, this.freshnessMs, now)),
      Number(first.from_seq ?? 0),
      limit,
    );
    // Every stream's head stays on the server (the catch-up's seam); the device keeps a bounded set.
    return Object.defineProperty({ ok: true as const, notifications, head, streams: keep }, 'allHeads', {
      value: heads,
      enumerable: false,
    });
  }

  /**
   * The user's inbox, newest first: the personal notifications and the topic sends and broadcasts
   * that are theirs, interleaved by the time each went out. The cursor says where each of these
   * lists stands (see `inbox/cursor.ts`), so paging never skips nor repeats one.
   */
  async list(
    subscriber: Subscriber,
    options: { cursor?: string | null; limit: number; unreadOnly?: boolean },
  ): Promise<InboxPage> {
    const cursor = readInboxCursor(options.cursor);
    const now = Date.now();
    // The personal list continues below its number if the last page cut it, else below `t`.
    const floor = cursor.p === undefined ? cursor.t : undefined;
    const rows = await this.sql.query<DeliveryRow & { at_ms: number | string }>(
      `SELECT ${DELIVERY_ROW_COLUMNS},
              (extract(epoch FROM COALESCE(n.send_at, n.created_at)) * 1000)::float8 AS at_ms
         FROM deliveries d JOIN notifications n ON n.id = d.notification_id
        WHERE d.subscriber_id = $1 AND d.seq < COALESCE($3::int, 2147483647) AND ${LIVE}
          AND (n.expires_at IS NULL OR n.expires_at > now() OR d.status >= 'delivered')
          AND ($4::float8 IS NULL
               OR ((extract(epoch FROM COALESCE(n.send_at, n.created_at)) * 1000)::float8, n.id::text COLLATE "C")
                  < ($4::float8, $5::text COLLATE "C"))
          ${options.unreadOnly ? 'AND d.read_at IS NULL' : ''}
        ORDER BY d.seq DESC LIMIT $2`,
      [subscriber.id, options.limit + 1, cursor.p ?? null, floor?.[0] ?? null, floor?.[1] ?? null],
    );
    const personal: Timed[] = rows.map((r) => ({
      at: Number(r.at_ms),
      payload: { ...toPayload(r, this.freshnessMs, now), status: r.status } as InboxItem,
    }));
    const entries = await streamsBefore(
      this.sql,
      subscriber.id,
      { below: cursor.s, floor: cursor.t },
      options.limit,
      options.unreadOnly === true,
    );
    const streamed = entries.map((r) => {
      const t = streamPayload(r, this.freshnessMs, now);
      return { at: t.at, payload: { ...t.payload, status: r.status } as InboxItem };
    });
    const { items, nextCursor } = newestFirst(personal, streamed, cursor, options.limit);
    return { ok: true, items: items as InboxItem[], nextCursor, unread: await this.unread(subscriber) };
  }

  async unread(subscriber: Subscriber): Promise<number> {
    const { personal, hasStreams } = await this.personal(subscriber, true, null);
    return hasStreams ? personal + (await streamsUnread(this.sql, subscriber.id)) : personal;
  }

  /**
   * How many notifications the user's inbox holds, read or not: their direct sends and the topic
   * sends and broadcasts that are theirs (not skipped by their preferences; received, or not ended
   * before). Counted up to `INBOX_COUNT_LIMIT` (`more`: there are more), as a page of subscribers
   * counts each one's, and every one counted is read.
   */
  async size(subscriber: Subscriber): Promise<{ count: number; more: boolean }> {
    const { personal, hasStreams } = await this.personal(subscriber, false, INBOX_COUNT_LIMIT + 1);
    const streamed =
      hasStreams && personal <= INBOX_COUNT_LIMIT
        ? await streamsCount(this.sql, subscriber.id, INBOX_COUNT_LIMIT + 1 - personal)
        : 0;
    const count = personal + streamed;
    return { count: Math.min(count, INBOX_COUNT_LIMIT), more: count > INBOX_COUNT_LIMIT };
  }

  /** The user's personal notifications in their inbox (unread ones, or all up to `limit`), and whether they may have stream ones. */
  private async personal(subscriber: Subscriber, unreadOnly: boolean, limit: number | null) {
    const [row] = await this.sql.query<{ n: number; has_streams: boolean }>(
      `SELECT (SELECT count(*)::int FROM (
                SELECT 1 FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                 WHERE d.subscriber_id = $1 AND d.seq IS NOT NULL ${unreadOnly ? 'AND d.read_at IS NULL' : ''} AND ${LIVE}
                   AND (n.expires_at IS NULL OR n.expires_at > now() OR d.status >= 'delivered')
                 ${limit === null ? '' : 'LIMIT $2::int'}) counted) AS n,
              ${HAS_STREAMS} AS has_streams`,
      limit === null ? [subscriber.id] : [subscriber.id, limit],
    );
    return { personal: row?.n ?? 0, hasStreams: row?.has_streams === true };
  }

  /** Marks notifications read; the user's other sockets hear it at once. Returns the new unread count. */
  async markRead(subscriber: Subscriber, ids: string[] | 'all'): Promise<{ changed: string[]; unread: number }> {
    const changed =
      ids === 'all'
        ? await this.prisma.$queryRawUnsafe<Array<{ id: string }>>(
            `UPDATE deliveries d SET ${READ.set}
              WHERE d.subscriber_id = $1 AND ${READ.guard}
              RETURNING d.notification_id::text AS id`,
            subscriber.id,
          )
        : await this.prisma.$queryRawUnsafe<Array<{ id: string }>>(
            `UPDATE deliveries d SET ${READ.set}
              WHERE d.subscriber_id = $1 AND d.notification_id = ANY($2::uuid[]) AND ${READ.guard}
              RETURNING d.notification_id::text AS id`,
            subscriber.id,
            ids,
          );
    // Topic sends and broadcasts the user has no row of yet (or an unread one): their receipts.
    for (const id of await readStreams(this.sql, subscriber.id, ids, READ.set, READ.guard)) changed.push({ id });
    const unread = await this.unread(subscriber);
    if (changed.length > 0)
      this.onChanged(
        'read',
        changed.length,
        changed.map((c) => c.id),
      );
    if (changed.length > 0) {
      const event: InboxReadEvent = { ids: ids === 'all' ? 'all' : changed.map((c) => c.id), unread };
      this.emitter()?.to(userRoom(subscriber.appId, subscriber.externalId)).emit(ServerEvent.InboxRead, event);
    }
    return { changed: changed.map((c) => c.id), unread };
  }
}
