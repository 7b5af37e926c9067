import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { store } from '../src/intake/store.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './helpers.js';

/**
 * Notifications and deliveries have no foreign key to their app and subscriber (the
 * cascade_by_trigger migration): deleting those parents must still take them along.
 */
describe.each<DatabaseKind>(['postgres', 'pglite'])('deleting an app or a subscriber (%s)', (kind) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await testDb?.cleanup();
  });

  /** An app with two users, each with a notification stored as an accept stores it. */
  async function appWithDeliveries(): Promise<string> {
    const appId = `app-${randomUUID()}`;
    await testDb.db.sql.query(`INSERT INTO apps (id, name, jwt_secret) VALUES ($1, $1, 'secret')`, [appId]);
    const prepared = ['ann', 'bob'].map((user) => ({
      row: {
        id: randomUUID(),
        appId,
        target: { userId: user },
        title: `for ${user}`,
        priority: 'normal',
        status: 'queued',
        recipientCount: 1,
      },
      users: [user],
      streams: [],
    }));
    const inserted = await store(testDb.db.sql, prepared as unknown as Parameters<typeof store>[1]);
    expect(inserted.size).toBe(2);
    return appId;
  }

  const counts = async (appId: string) => {
    const [row] = await testDb.db.sql.query<{ notifications: number; subscribers: number; deliveries: number }>(
      `SELECT (SELECT count(*)::int FROM notifications WHERE app_id = $1) AS notifications,
              (SELECT count(*)::int FROM subscribers WHERE app_id = $1) AS subscribers,
              (SELECT count(*)::int FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                WHERE n.app_id = $1) AS deliveries`,
      [appId],
    );
    return row;
  };

  it('an app takes its notifications, subscribers and deliveries along, and no other app’s', async () => {
    const gone = await appWithDeliveries();
    const kept = await appWithDeliveries();
    expect(await counts(gone)).toEqual({ notifications: 2, subscribers: 2, deliveries: 2 });
    await testDb.db.sql.query('DELETE FROM apps WHERE id = $1', [gone]);
    expect(await counts(gone)).toEqual({ notifications: 0, subscribers: 0, deliveries: 0 });
    const [orphans] = await testDb.db.sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber_id)',
    );
    expect(orphans?.n).toBe(0);
    expect(await counts(kept)).toEqual({ notifications: 2, subscribers: 2, deliveries: 2 });
  });

  it('a subscriber deleted by hand takes its deliveries along, from a session with another search path', async () => {
    const appId = await appWithDeliveries();
    // The trigger's function is pinned to its schema: a session whose search path does not name
    // it (an operator's psql) still deletes the right rows. One DO block is one transaction, in
    // which the search path is pg_catalog alone and the table is named with its schema.
    const [{ schema }] = (await testDb.db.sql.query<{ schema: string }>('SELECT current_schema() AS schema')) as [
      { schema: string },
    ];
    await testDb.db.sql.query(
      `DO $$ BEGIN
         PERFORM set_config('search_path', 'pg_catalog', true);
         EXECUTE format('DELETE FROM %I.subscribers WHERE app_id = %L AND external_id = %L', '${schema}', '${appId}', 'ann');
       END $$`,
    );
    expect(await counts(appId)).toEqual({ notifications: 2, subscribers: 1, deliveries: 1 });
  });

  it("keeps each app's count of subscribers, which a broadcast's recipients are read from, through every kind of write", async () => {
    const counted = async (appId: string) => {
      const [row] = await testDb.db.sql.query<{ counted: number; actual: number }>(
        `SELECT subscriber_count AS counted, (SELECT count(*)::int FROM subscribers WHERE app_id = $1) AS actual
           FROM apps WHERE id = $1`,
        [appId],
      );
      return row;
    };
    // The accept's upsert: two new users.
    const appId = await appWithDeliveries();
    const other = await appWithDeliveries();
    expect(await counted(appId)).toEqual({ counted: 2, actual: 2 });
    // The same users again (the upsert updates them, inserts none), with one new one.
    const again = ['ann', 'bob', 'cat'].map((user) => ({
      row: {
        id: randomUUID(),
        appId,
        target: { userId: user },
        title: 'again',
        priority: 'normal',
        status: 'queued',
        recipientCount: 1,
      },
      users: [user],
      streams: [],
    }));
    await store(testDb.db.sql, again as unknown as Parameters<typeof store>[1]);
    expect(await counted(appId)).toEqual({ counted: 3, actual: 3 });
    // One statement for two apps; one that inserts nothing.
    await testDb.db.sql.query(
      `INSERT INTO subscribers (id, app_id, external_id)
       VALUES (gen_random_uuid()::text, $1, 'dan'), (gen_random_uuid()::text, $2, 'dan'), (gen_random_uuid()::text, $2, 'eve')`,
      [appId, other],
    );
    await testDb.db.sql.query(
      `INSERT INTO subscribers (id, app_id, external_id) VALUES (gen_random_uuid()::text, $1, 'dan')
       ON CONFLICT (app_id, external_id) DO NOTHING`,
      [appId],
    );
    expect(await counted(appId)).toEqual({ counted: 4, actual: 4 });
    expect(await counted(other)).toEqual({ counted: 4, actual: 4 });
    // Deleted by hand.
    await testDb.db.sql.query(`DELETE FROM subscribers WHERE app_id = $1 AND external_id IN ('ann', 'dan')`, [appId]);
    expect(await counted(appId)).toEqual({ counted: 2, actual: 2 });
    expect(await counted(other)).toEqual({ counted: 4, actual: 4 });
  });

  it("starts each new user's window in the broadcasts at the app's broadcast counter, by whatever statement adds them", async () => {
    const appId = await appWithDeliveries();
    await testDb.db.sql.query(`INSERT INTO streams (app_id, name, last_seq) VALUES ($1, '*', 7)`, [appId]);
    await testDb.db.sql.query(
      `INSERT INTO subscribers (id, app_id, external_id) VALUES (gen_random_uuid()::text, $1, 'fay')
       ON CONFLICT (app_id, external_id) DO NOTHING`,
      [appId],
    );
    const since = await testDb.db.sql.query<{ external_id: string; broadcast_since: number | null }>(
      'SELECT external_id, broadcast_since FROM subscribers WHERE app_id = $1 ORDER BY external_id',
      [appId],
    );
    expect(since).toEqual([
      { external_id: 'ann', broadcast_since: 0 },
      { external_id: 'bob', broadcast_since: 0 },
      { external_id: 'fay', broadcast_since: 7 },
    ]);
  });
});
