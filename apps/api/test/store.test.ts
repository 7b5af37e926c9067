import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { prepare } from '../src/intake/prepare.js';
import { store } from '../src/intake/store.js';
import type { Sql } from '../src/platform/db/database.js';
import { TopicRepository } from '../src/topics/repository.js';
import { createTestDatabase, POSTGRES_URL } from './helpers.js';

/** A promise and the function that resolves it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe.each(['postgres', 'pglite'] as const)('storing sends to users and topic sends together, on %s', (kind) => {
  it('stores all of them or none: a failure of the topic sends’ statement takes the others back', async () => {
    const testDb = await createTestDatabase(kind);
    try {
      const { sql, prisma } = testDb.db;
      await prisma.app.create({ data: { id: 'mix', name: 'Mix', jwtSecret: 'x'.repeat(32) } });
      const sends = () => [
        prepare('mix', { to: { userId: 'u1' }, title: 'to a user' }, undefined, Date.now(), undefined, 'api'),
        prepare('mix', { to: { broadcast: true }, title: 'to everyone' }, undefined, Date.now(), undefined, 'api'),
      ];
      // The second statement (the broadcast's) fails, as a lost connection or any error would.
      const failingOn =
        (db: Sql): Sql['query'] =>
        (text, params, options) =>
          text.includes('INSERT INTO stream_entries')
            ? Promise.reject(new Error('connection lost'))
            : db.query(text, params, options);
      const failing: Sql = {
        query: failingOn(sql),
        transaction: (work) =>
          (sql.transaction as NonNullable<Sql['transaction']>)((tx) => work({ query: failingOn(tx) })),
      };
      await expect(store(failing, sends())).rejects.toThrow('connection lost');
      expect(await prisma.notification.count()).toBe(0);
      expect(await prisma.delivery.count()).toBe(0);
      expect(await prisma.subscriber.count()).toBe(0);
      expect(await prisma.dispatchOutbox.count()).toBe(0);
      // On a database that answers, both are stored.
      const again = sends();
      const inserted = await store(sql, again);
      expect([...inserted].sort()).toEqual(again.map((p) => p.row.id).sort());
      expect(await prisma.notification.count()).toBe(2);
      expect(await prisma.streamEntry.count()).toBe(1);
      expect(await prisma.delivery.count()).toBe(1);
    } finally {
      await testDb.cleanup();
    }
  });
});

describe.each(['postgres', 'pglite'] as const)('a store whose answer is lost after its commit, on %s', (kind) => {
  it('returns what it stored, once, instead of failing for work that was done', async () => {
    const testDb = await createTestDatabase(kind);
    try {
      const { sql, prisma } = testDb.db;
      await prisma.app.create({ data: { id: 'lost', name: 'Lost', jwtSecret: 'x'.repeat(32) } });
      const toUser = (title: string) =>
        prepare('lost', { to: { userId: 'u1' }, title }, undefined, Date.now(), undefined, 'api');
      const toAll = (title: string) =>
        prepare('lost', { to: { broadcast: true }, title }, undefined, Date.now(), undefined, 'api');
      const lost = () => new Error('Connection terminated unexpectedly');
      // Sends to users (one statement): it runs, then its answer does not come.
      const answerLost: Sql = {
        query: async <T>(text: string, params?: unknown[], options?: Parameters<Sql['query']>[2]) => {
          const rows = await sql.query<T>(text, params, options);
          if (text.includes('INSERT INTO notifications')) throw lost();
          return rows;
        },
      };
      const direct = [toUser('one'), toUser('two')];
      const inserted = await store(answerLost, direct);
      expect([...inserted].sort()).toEqual(direct.map((p) => p.row.id).sort());
      expect(await prisma.notification.count()).toBe(2);
      expect(await prisma.delivery.count()).toBe(2);

      // Both kinds (one transaction): it commits, then its answer does not come.
      const commitLost: Sql = {
        query: sql.query.bind(sql),
        transaction: async (work) => {
          await (sql.transaction as NonNullable<Sql['transaction']>)(work);
          throw lost();
        },
      };
      const mixed = [toUser('three'), toAll('everyone')];
      const both = await store(commitLost, mixed);
      expect([...both].sort()).toEqual(mixed.map((p) => p.row.id).sort());
      expect(await prisma.notification.count()).toBe(4);
      expect(await prisma.streamEntry.count()).toBe(1);
      // The broadcast's audience, counted by its statement, is what its 202 will say (u1).
      const broadcast = await prisma.notification.findUniqueOrThrow({ where: { id: mixed[1]?.row.id } });
      expect(broadcast.recipientCount).toBe(1);
      expect(mixed[1]?.row.recipientCount).toBe(1);

      // Lost before anything ran: nothing is there, and the error is the caller's.
      const refused: Sql = { query: () => Promise.reject(lost()) };
      await expect(store(refused, [toUser('four')])).rejects.toThrow('Connection terminated unexpectedly');
      expect(await prisma.notification.count()).toBe(4);
    } finally {
      await testDb.cleanup();
    }
  });
});

describe('storing sends to users and topic sends together, beside a subscribe', () => {
  // The send to users' statement locks each user's row and keeps it to the commit; a subscribe's
  // statement locks the topic, then the users' rows. The transaction takes the topics first.
  it('does not deadlock with a subscribe to one of its topics naming one of its users', async () => {
    const testDb = await createTestDatabase('postgres');
    const errors: string[] = [];
    try {
      const { sql, prisma } = testDb.db;
      await prisma.app.create({ data: { id: 'dl', name: 'DL', jwtSecret: 'x'.repeat(32) } });
      await new TopicRepository(sql).subscribe('dl', 'news', ['other']);
      await store(sql, [prepare('dl', { to: { userId: 'u1' }, title: 'x' }, undefined, Date.now(), undefined, 'api')]);
      /** `db`'s statements, recording their errors; the first that includes `pauseAfter` waits for `go` once done. */
      const recorded = (
        who: string,
        db: Sql,
        pauseAfter: string,
        paused: ReturnType<typeof gate>,
        go: ReturnType<typeof gate>,
      ) => {
        let first = true;
        return async <T>(text: string, params?: unknown[], options?: { prepare?: boolean }) => {
          try {
            const rows = await db.query<T>(text, params, options);
            if (first && text.includes(pauseAfter)) {
              first = false;
              paused.open();
              await go.opened;
            }
            return rows;
          } catch (error) {
            errors.push(`${who}: ${(error as { code?: string }).code}`);
            throw error;
          }
        };
      };
      // The subscribe pauses after its users' statement; the store after its send to users.
      const [subscribePaused, subscribeGo, storePaused, storeGo] = [gate(), gate(), gate(), gate()];
      const subscribeSql: Sql = {
        query: recorded('subscribe', sql, 'INSERT INTO subscribers', subscribePaused, subscribeGo),
      };
      const storeSql: Sql = {
        query: sql.query,
        transaction: (work) =>
          (sql.transaction as NonNullable<Sql['transaction']>)((tx) =>
            work({ query: recorded('store', tx, 'jsonb_populate_recordset', storePaused, storeGo) }),
          ),
      };
      const subscribing = new TopicRepository(subscribeSql).subscribe('dl', 'news', ['u1']);
      await subscribePaused.opened;
      const storing = store(storeSql, [
        prepare('dl', { to: { userId: 'u1' }, title: 'to a user' }, undefined, Date.now(), undefined, 'api'),
        prepare('dl', { to: { topic: 'news' }, title: 'to the topic' }, undefined, Date.now(), undefined, 'api'),
      ]);
      await storePaused.opened;
      subscribeGo.open();
      await new Promise((resolve) => setTimeout(resolve, 200));
      storeGo.open();
      const started = Date.now();
      await Promise.all([subscribing, storing]);
      expect(errors).toEqual([]);
      // Well under deadlock_timeout (1 s), after which PostgreSQL would have broken a cycle.
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      await testDb.cleanup();
    }
  });
});

describe('a transaction whose connection is lost', () => {
  it('fails its work, throws nothing uncaught, and leaves the pool working', async () => {
    const testDb = await createTestDatabase('postgres');
    const killer = new pg.Client({ connectionString: POSTGRES_URL });
    await killer.connect();
    try {
      const { sql } = testDb.db;
      const transaction = sql.transaction as NonNullable<Sql['transaction']>;
      await expect(
        transaction(async (tx) => {
          const [me] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          // A failover, a restart, an operator's pg_terminate_backend.
          await killer.query('SELECT pg_terminate_backend($1)', [me?.pid]);
          await new Promise((resolve) => setTimeout(resolve, 100));
          return tx.query('SELECT 1');
        }),
      ).rejects.toThrow();
      expect(await sql.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await killer.end();
      await testDb.cleanup();
    }
  });
});
