import type { StoredPreferences } from '../delivery/preferences.js';
import type { Sql } from '../platform/db/database.js';

/** A user as a new socket needs them: their subscriber id, where their broadcasts start, and their topics. */
export interface KnownUser {
  id: string;
  /** The broadcast stream's counter when the app came to know them: broadcasts numbered after it are theirs. */
  broadcastSince: number;
  /** Each topic the user is in, with the stream counter its window starts after. */
  topics: Map<string, number>;
  preferences: StoredPreferences;
}

interface Waiter {
  appId: string;
  userId: string;
  done: (user: KnownUser) => void;
  fail: (error: unknown) => void;
}

/**
 * Records that users connected (creating subscribers as needed) and returns who they are to the
 * gateway (their ids, and the topics whose rooms their sockets join). Handshakes
 * arriving in the same turn of the event loop share one statement, so a reconnect storm of
 * thousands of clients costs a few dozen queries rather than one each.
 */
export class SubscriberRegistry {
  private waiting: Waiter[] = [];
  private scheduled = false;

  constructor(private readonly sql: Sql) {}

  touch(appId: string, userId: string): Promise<KnownUser> {
    return new Promise((done, fail) => {
      this.waiting.push({ appId, userId, done, fail });
      if (this.waiting.length >= 500) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    // One row per user: an upsert may not touch the same row twice in one statement.
    const unique = new Map<string, [string, string]>();
    for (const w of batch) unique.set(`${w.appId}\u0000${w.userId}`, [w.appId, w.userId]);
    const pairs = [...unique.values()];
    this.record(pairs).then(
      (rows) => {
        const users = new Map(rows.map((r) => [`${r.app_id}\u0000${r.external_id}`, r]));
        for (const w of batch) {
          const r = users.get(`${w.appId}\u0000${w.userId}`);
          if (r && r.broadcast_since !== null) {
            w.done({
              id: r.id,
              broadcastSince: Number(r.broadcast_since),
              topics: new Map(r.topics),
              preferences: r.preferences,
            });
          } else w.fail(new Error('subscriber not recorded'));
        }
      },
      (error: unknown) => {
        if (batch.length === 1) {
          batch[0]?.fail(error);
          return;
        }
        // One bad row must not fail everyone else's handshake: try each on its own.
        for (const w of batch) {
          this.waiting.push(w);
          this.flush();
        }
      },
    );
  }

  /** Upserts the users; returns each with their topics and where their broadcasts start. */
  private async record(pairs: Array<[string, string]>) {
    const rows = await this.sql.query<UserRow>(
      `WITH touched AS (
         INSERT INTO subscribers (id, app_id, external_id, last_seen_at)
         SELECT gen_random_uuid()::text, a, u, now() FROM unnest($1::text[], $2::text[]) AS x(a, u)
          -- Rows locked in the database's own order, like every other statement: no deadlocks.
          ORDER BY a, u
         ON CONFLICT (app_id, external_id) DO UPDATE SET last_seen_at = now()
         RETURNING id, app_id, external_id, broadcast_since, preferences
       )
       SELECT id, app_id, external_id, preferences, broadcast_since,
              (SELECT COALESCE(json_agg(json_build_array(t.topic, t.since_seq)), '[]'::json)
                 FROM topic_subscriptions t WHERE t.app_id = touched.app_id AND t.external_id = touched.external_id) AS topics
         FROM touched`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    // A user this statement added: their window's start is set by its trigger, after RETURNING.
    const added = rows.filter((r) => r.broadcast_since === null).map((r) => r.id);
    if (added.length === 0) return rows;
    const set = await this.sql.query<{ id: string; broadcast_since: number }>(
      'SELECT id, broadcast_since FROM subscribers WHERE id = ANY($1::text[])',
      [added],
    );
    const since = new Map(set.map((r) => [r.id, r.broadcast_since]));
    return rows.map((r) => (r.broadcast_since === null ? { ...r, broadcast_since: since.get(r.id) ?? null } : r));
  }
}

interface UserRow {
  id: string;
  app_id: string;
  external_id: string;
  broadcast_since: number | null;
  topics: Array<[string, number]>;
  preferences: StoredPreferences;
}
