import type { NotificationStatus } from '@herald/protocol';
import type { Sql } from '../platform/db/database.js';
import { keysetPage } from '../platform/lib/cursor.js';
import { Errors } from '../platform/lib/errors.js';

export interface TopicSummary {
  topic: string;
  subscribers: number;
  /** Users may subscribe themselves from the SDK. */
  public: boolean;
  createdAt: string;
}

/**
 * A change of who is in a topic, as the gateways need it to keep each socket's topic rooms: users
 * that joined (with the stream counter their window starts after), users that left, or the topic
 * gone with all its members.
 */
export type MembershipEvent =
  | { kind: 'joined'; appId: string; topic: string; userIds: string[]; sinceSeq: number }
  | { kind: 'left'; appId: string; topic: string; userIds: string[]; untilSeq: number }
  | { kind: 'deleted'; appId: string; topic: string; untilSeq: number };

/** A send to a topic, as its page lists it. */
export interface RecentSend {
  id: string;
  title: string;
  status: NotificationStatus;
  recipients: number;
  createdAt: string;
  sendAt: string | null;
}

export interface MembershipChange {
  topic: string;
  /** Users whose membership this call changed (the others already were, or were not, in it). */
  changed: number;
  /** The topic's size afterwards. */
  subscribers: number;
}

/**
 * The topic's row, locked before any membership row: every writer of a topic's memberships (and
 * DELETE of the topic, which locks the row and then cascades) takes the same order, so they queue
 * instead of deadlocking. The statement references `locked`, so the lock comes first.
 */
const LOCK_TOPIC = 'locked AS (SELECT 1 FROM topics WHERE app_id = $1 AND name = $2 FOR NO KEY UPDATE)';

/** PostgreSQL's codes for a deadlock and for a serialization failure: retry the statement. */
const RETRYABLE = new Set(['40P01', '40001', '23503', 'HERALD_TOPIC_DELETED_MEANWHILE']);
/** A subscribe that found its topic deleted between its two statements (it creates it again). */
const DELETED_MEANWHILE = 'HERALD_TOPIC_DELETED_MEANWHILE';
const ATTEMPTS = 5;

/** A page of a user's topics holds at most this many (REST, and the socket's topics:list). */
export const MAX_TOPICS_PER_LIST = 1000;

/**
 * An app's topics and their members. Subscribing or unsubscribing costs one row per user and one
 * update of the topic's count, whatever the topic's size; rows are locked in user-id order, so
 * concurrent calls over the same users cannot deadlock each other.
 */
export class TopicRepository {
  /** Told after every change of membership that changed something (the gateways' topic rooms). */
  private onMembership: (event: MembershipEvent) => void = () => {};

  constructor(private readonly sql: Sql) {}

  /** Who hears of membership changes: the gateway, once it exists (it is built after this). */
  listen(onMembership: (event: MembershipEvent) => void): void {
    this.onMembership = onMembership;
  }

  /** Adds users to a topic (creating the topic, and users Herald has not seen yet). */
  async subscribe(appId: string, topic: string, userIds: string[]): Promise<MembershipChange> {
    const users = [...new Set(userIds)].sort();
    return this.retrying(topic, async () => {
      // The users first, in a statement of their own, so the second sees every one of them (one
      // created meanwhile by a send included) in its snapshot.
      await this.sql.query(
        `WITH t AS (INSERT INTO topics (app_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING)
         INSERT INTO subscribers (id, app_id, external_id)
         SELECT gen_random_uuid()::text, $1, u FROM unnest($3::text[]) AS u ORDER BY u
         ON CONFLICT (app_id, external_id) DO NOTHING`,
        [appId, topic, users],
      );
      // The window starts after the stream's counter as it is now: a send holds the topic's row
      // FOR SHARE while it takes its number, so none is half-way through while this holds it.
      const [row] = await this.sql.query<{ subscribers: number; changed: number; joined: string[]; since: number }>(
        `WITH ${LOCK_TOPIC}, since AS (
           SELECT COALESCE((SELECT last_seq FROM streams WHERE app_id = $1 AND name = $2), 0) AS seq FROM locked
         ), added AS (
           -- Joining takes the next number of the user's personal sequence (bumped below): a device
           -- whose personal cursor is under it last caught up before the join (inbox/streams.ts).
           INSERT INTO topic_subscriptions (app_id, topic, external_id, subscriber_id, since_seq, personal_seq)
           SELECT $1, $2, s.external_id, s.id, since.seq, s.last_seq + 1 FROM since, subscribers s
            WHERE s.app_id = $1 AND s.external_id = ANY($3::text[]) ORDER BY s.external_id
           ON CONFLICT DO NOTHING
           RETURNING external_id, subscriber_id
         ), bumped AS (
           UPDATE subscribers SET last_seq = last_seq + 1 WHERE id IN (SELECT subscriber_id FROM added)
         )
         UPDATE topics SET subscriber_count = subscriber_count + (SELECT count(*) FROM added)
          WHERE app_id = $1 AND name = $2
          RETURNING subscriber_count AS subscribers, (SELECT count(*)::int FROM added) AS changed,
                    (SELECT COALESCE(array_agg(external_id), '{}') FROM added) AS joined,
                    (SELECT seq FROM since) AS since`,
        [appId, topic, users],
      );
      // The topic was deleted between the two statements: its row is gone, and so is the key
      // the subscriptions need (23503 above, retried), or the update found nothing.
      if (!row) throw Object.assign(new Error('the topic was deleted meanwhile'), { code: DELETED_MEANWHILE });
      if (row.joined.length > 0) {
        this.onMembership({ kind: 'joined', appId, topic, userIds: row.joined, sinceSeq: Number(row.since ?? 0) });
      }
      return { topic, changed: row.changed, subscribers: row.subscribers };
    });
  }

  /** Removes users from a topic; users that were not in it (or a topic that does not exist) change nothing. */
  async unsubscribe(appId: string, topic: string, userIds: string[]): Promise<MembershipChange> {
    const users = [...new Set(userIds)].sort();
    return this.retrying(topic, async () => {
      // Each window that ends is kept (a trigger), so what was sent while it lasted stays the user's.
      const [row] = await this.sql.query<{ subscribers: number; changed: number; left: string[]; until: number }>(
        `WITH ${LOCK_TOPIC}, removed AS (
           DELETE FROM topic_subscriptions
            WHERE app_id = $1 AND topic = $2 AND external_id = ANY($3::text[]) AND EXISTS (SELECT 1 FROM locked)
           RETURNING external_id
         )
         UPDATE topics SET subscriber_count = subscriber_count - (SELECT count(*) FROM removed)
          WHERE app_id = $1 AND name = $2
          RETURNING subscriber_count AS subscribers, (SELECT count(*)::int FROM removed) AS changed,
                    (SELECT COALESCE(array_agg(external_id), '{}') FROM removed) AS left,
                    COALESCE((SELECT last_seq FROM streams WHERE app_id = $1 AND name = $2), 0) AS until`,
        [appId, topic, users],
      );
      if (row && row.left.length > 0) {
        this.onMembership({ kind: 'left', appId, topic, userIds: row.left, untilSeq: Number(row.until) });
      }
      return { topic, changed: row?.changed ?? 0, subscribers: row?.subscribers ?? 0 };
    });
  }

  /**
   * Creates the topic, or changes its settings; returns it. `createOnly` (a request's
   * `If-None-Match: *`) refuses to change one that exists.
   */
  async put(
    appId: string,
    topic: string,
    settings: { public?: boolean },
    createOnly = false,
  ): Promise<TopicSummary & { created: boolean }> {
    const [row] = await this.sql.query<TopicRow & { created: boolean }>(
      `INSERT INTO topics (app_id, name, public) VALUES ($1, $2, COALESCE($3, false))
       ON CONFLICT (app_id, name) DO UPDATE SET public = COALESCE($3, topics.public) WHERE NOT $4
       RETURNING ${SUMMARY}, (xmax = 0) AS created`,
      [appId, topic, settings.public ?? null, createOnly],
    );
    if (!row) throw new Errors.TopicExists(topic);
    return { ...summary(row), created: row.created === true };
  }

  /** Whether users may subscribe themselves to this topic (false for one that does not exist). */
  async isPublic(appId: string, topic: string): Promise<boolean> {
    const rows = await this.sql.query('SELECT 1 FROM topics WHERE app_id = $1 AND name = $2 AND public', [
      appId,
      topic,
    ]);
    return rows.length > 0;
  }

  /** Deletes a topic and its memberships; false if it did not exist. */
  async remove(appId: string, topic: string): Promise<boolean> {
    const rows = await this.retrying(topic, () =>
      this.sql.query<{ until: number }>(
        `DELETE FROM topics WHERE app_id = $1 AND name = $2
         RETURNING COALESCE((SELECT last_seq FROM streams WHERE app_id = $1 AND name = $2), 0) AS until`,
        [appId, topic],
      ),
    );
    if (rows[0]) this.onMembership({ kind: 'deleted', appId, topic, untilSeq: Number(rows[0].until) });
    return rows.length > 0;
  }

  async get(appId: string, topic: string): Promise<TopicSummary | null> {
    const [row] = await this.sql.query<TopicRow>(`SELECT ${SUMMARY} FROM topics WHERE app_id = $1 AND name = $2`, [
      appId,
      topic,
    ]);
    return row ? summary(row) : null;
  }

  /** The app's topics in name order, a page at a time (`after`: the previous page's last name). */
  async list(appId: string, options: { after?: string; limit: number; prefix?: string }) {
    const rows = await this.sql.query<TopicRow>(
      `SELECT ${SUMMARY} FROM topics
        WHERE app_id = $1 AND name > $2 AND ($4::text IS NULL OR starts_with(name, $4))
        ORDER BY name LIMIT $3`,
      [appId, options.after ?? '', options.limit + 1, options.prefix ?? null],
    );
    const { page, nextCursor } = keysetPage(rows, options.limit, (last) => last.name);
    return { topics: page.map(summary), nextCursor };
  }

  /** A topic's members in user-id order, a page at a time. */
  async members(appId: string, topic: string, options: { after?: string; limit: number }) {
    const rows = await this.sql.query<{ external_id: string; created_at: Date }>(
      `SELECT external_id, created_at FROM topic_subscriptions
        WHERE app_id = $1 AND topic = $2 AND external_id > $3
        ORDER BY external_id LIMIT $4`,
      [appId, topic, options.after ?? '', options.limit + 1],
    );
    const { page, nextCursor } = keysetPage(rows, options.limit, (last) => last.external_id);
    return {
      subscribers: page.map((r) => ({ userId: r.external_id, subscribedAt: new Date(r.created_at).toISOString() })),
      nextCursor,
    };
  }

  /** Topics that exist, of `names` (a send to a topic names one that must). */
  async existing(appId: string, names: string[]): Promise<Set<string>> {
    const rows = await this.sql.query<{ name: string }>(
      'SELECT name FROM topics WHERE app_id = $1 AND name = ANY($2::text[])',
      [appId, names],
    );
    return new Set(rows.map((r) => r.name));
  }

  /**
   * The latest sends to a topic, newest first: each with its status and how many users it was for
   * when it was accepted (a scheduled one that has not gone out yet comes first).
   */
  async recentSends(appId: string, topic: string, limit: number): Promise<RecentSend[]> {
    const rows = await this.sql.query<{
      id: string;
      title: string;
      status: NotificationStatus;
      recipient_count: number;
      created_at: Date;
      send_at: Date | null;
    }>(
      `SELECT n.id::text, n.title, n.status::text, n.recipient_count, n.created_at, n.send_at
         FROM stream_entries e JOIN notifications n ON n.id = e.notification_id
        WHERE e.app_id = $1 AND e.stream = $2
        ORDER BY e.audience_seq DESC LIMIT $3`,
      [appId, topic, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      title: r.title,
      status: r.status,
      recipients: Number(r.recipient_count),
      createdAt: new Date(r.created_at).toISOString(),
      sendAt: r.send_at ? new Date(r.send_at).toISOString() : null,
    }));
  }

  /** The topics a user is in, in name order, a page at a time (`after`: the previous page's last name). */
  async topicsOf(
    appId: string,
    userId: string,
    options: { after?: string; limit: number } = { limit: MAX_TOPICS_PER_LIST },
  ) {
    const rows = await this.sql.query<{ topic: string; created_at: Date }>(
      `SELECT topic, created_at FROM topic_subscriptions
        WHERE app_id = $1 AND external_id = $2 AND topic > $3
        ORDER BY topic LIMIT $4`,
      [appId, userId, options.after ?? '', options.limit + 1],
    );
    const { page, nextCursor } = keysetPage(rows, options.limit, (last) => last.topic);
    return {
      topics: page.map((r) => ({ topic: r.topic, subscribedAt: new Date(r.created_at).toISOString() })),
      nextCursor,
    };
  }

  private async retrying<T>(topic: string, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (!RETRYABLE.has(code)) throw error;
        // Still racing deletes of the same topic after a few rounds: a conflict, said as one.
        if (attempt >= ATTEMPTS) throw code === '40P01' ? error : new Errors.TopicChanged(topic);
      }
    }
  }
}

interface TopicRow {
  name: string;
  subscriber_count: number;
  public: boolean;
  created_at: Date;
}

const SUMMARY = 'name, subscriber_count, public, created_at';

const summary = (r: TopicRow): TopicSummary => ({
  topic: r.name,
  subscribers: Number(r.subscriber_count),
  public: r.public,
  createdAt: new Date(r.created_at).toISOString(),
});
