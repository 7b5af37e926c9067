import { describe, expect, it } from 'vitest';
import { prepare } from '../src/intake/prepare.js';
import { store } from '../src/intake/store.js';
import type { Sql } from '../src/platform/db/database.js';
import { createTestDatabase } from './helpers.js';

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
