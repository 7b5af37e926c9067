import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/database.js';
import { claimPrefix, installationId, installationPrefix } from '../src/platform/installation.js';
import { createTestDatabase, dropQueuePrefix, POSTGRES_URL, REDIS_URL, uid } from './helpers.js';

describe('the installation id', () => {
  it.each(['postgres', 'pglite'] as const)(
    'is created once per %s database, the same for concurrent first boots and every later one',
    async (kind) => {
      const testDb = await createTestDatabase(kind);
      try {
        const first = await Promise.all(Array.from({ length: 5 }, () => installationId(testDb.db.prisma)));
        expect(new Set(first).size).toBe(1);
        expect(first[0]).toMatch(/^[0-9a-f-]{36}$/);
        expect(await installationId(testDb.db.prisma)).toBe(first[0]);
        expect(await testDb.db.prisma.installation.count()).toBe(1);
      } finally {
        await testDb.cleanup();
      }
    },
  );

  it('gives two databases two different Redis prefixes, each one Redis Cluster hash tag', async () => {
    const [a, b] = await Promise.all([createTestDatabase('postgres'), createTestDatabase('postgres')]);
    try {
      const prefixes = [
        installationPrefix(await installationId(a.db.prisma)),
        installationPrefix(await installationId(b.db.prisma)),
      ];
      for (const prefix of prefixes) expect(prefix).toMatch(/^\{herald:[0-9a-f]{12}\}$/);
      expect(prefixes[0]).not.toBe(prefixes[1]);
    } finally {
      await Promise.all([a.cleanup(), b.cleanup()]);
    }
  });

  it('names the fix when the migrations were not applied', async () => {
    const schema = uid('herald_test_');
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const db = await openDatabase({ kind: 'postgres', url: POSTGRES_URL, schema });
    try {
      await expect(installationId(db.prisma)).rejects.toThrow(
        /^The database has no Herald tables yet: apply the migrations first \(`npm run migrate`/,
      );
    } finally {
      await db.close();
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    }
  });
});

describe('claiming a Redis prefix', () => {
  it('lets one installation start again and again, and refuses a second one on the same prefix with the fix', async () => {
    const prefix = `{herald-test-${uid()}}`;
    const redis = { url: REDIS_URL };
    try {
      await claimPrefix(redis, prefix, 'installation-a');
      await claimPrefix(redis, prefix, 'installation-a');
      await expect(claimPrefix(redis, prefix, 'installation-b')).rejects.toThrow(
        `Another Herald installation (id installation-a) already uses the Redis key prefix ${prefix} on this Redis`,
      );
      await expect(claimPrefix(redis, prefix, 'installation-b')).rejects.toThrow(
        /Leave HERALD_QUEUE_PREFIX unset .* redis-cli DEL '\{herald-test-[0-9a-f]+\}:installation'\.$/,
      );
    } finally {
      await dropQueuePrefix(prefix);
    }
  });
});
