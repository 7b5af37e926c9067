import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/platform/db/database.js';
import {
  claimPrefix,
  databaseFingerprint,
  installationId,
  installationPrefix,
  keepPrefixClaim,
} from '../src/platform/installation.js';
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
        /Leave HERALD_QUEUE_PREFIX unset .* redis-cli DEL '\{herald-test-[0-9a-f]+\}:installation'.$/,
      );
    } finally {
      await dropQueuePrefix(prefix);
    }
  });

  it('refuses a copy of a running database (a restored dump: the same installation id, so the same prefix) with the fix', async () => {
    const [original, copy] = await Promise.all([createTestDatabase('postgres'), createTestDatabase('postgres')]);
    const redis = { url: REDIS_URL };
    try {
      const id = await installationId(original.db.prisma);
      // The copy holds what the original held: its installation row among the rest.
      await copy.db.prisma.installation.create({ data: { singleton: 1, id } });
      expect(await installationId(copy.db.prisma)).toBe(id);
      const prefix = installationPrefix(id);
      const [ours, theirs] = [await databaseFingerprint(original.db.prisma), await databaseFingerprint(copy.db.prisma)];
      expect(ours).not.toBe(theirs);
      // The same database, asked again (another node, a restart), is the same.
      expect(await databaseFingerprint(original.db.prisma)).toBe(ours);

      await claimPrefix(redis, prefix, id, ours);
      await claimPrefix(redis, prefix, id, ours);
      await expect(claimPrefix(redis, prefix, id, theirs)).rejects.toThrow(
        `Another database with this installation's id already uses the Redis key prefix ${prefix} on this Redis (it is ${ours}, this one is ${theirs})`,
      );
      await expect(claimPrefix(redis, prefix, id, theirs)).rejects.toThrow(
        /set HERALD_QUEUE_PREFIX for it, or let it make an installation id of its own \(run DELETE FROM installation;/,
      );
      // Following the fix: the copy makes an id of its own, so a prefix of its own.
      await copy.db.prisma.installation.deleteMany();
      const own = await installationId(copy.db.prisma);
      expect(installationPrefix(own)).not.toBe(prefix);
      await claimPrefix(redis, installationPrefix(own), own, theirs);
      await dropQueuePrefix(installationPrefix(own));
    } finally {
      await dropQueuePrefix(installationPrefix(await installationId(original.db.prisma)));
      await Promise.all([original.cleanup(), copy.cleanup()]);
    }
  });

  it.each(['postgres', 'pglite'] as const)('reads a fingerprint of a %s database', async (kind) => {
    const testDb = await createTestDatabase(kind);
    try {
      expect(await databaseFingerprint(testDb.db.prisma)).toMatch(/^[^/]+\/[^/]+\/\d+$/);
    } finally {
      await testDb.cleanup();
    }
  });

  it('refuses a prefix that differs from a claimed one only by its braces: their Socket.IO channels would be one', async () => {
    const name = `herald-test-${uid()}`;
    const redis = { url: REDIS_URL };
    try {
      await claimPrefix(redis, `{${name}}`, 'installation-a');
      await expect(claimPrefix(redis, name, 'installation-b')).rejects.toThrow(
        `Another Herald installation (id installation-a) already uses the Socket.IO channels of the Redis key prefix ${name} (${name}:socket.io#…: prefixes that differ only by their braces share them)`,
      );
      await expect(claimPrefix(redis, name, 'installation-b')).rejects.toThrow(
        `delete its claim: redis-cli DEL '${name}:socket.io:installation'.`,
      );
    } finally {
      await dropQueuePrefix(`{${name}}`);
      await dropQueuePrefix(name);
    }
  });

  it('claims the prefix again at once when Redis comes back empty, so that a second installation stays refused', async () => {
    const prefix = `{herald-test-${uid()}}`;
    const key = `${prefix}:installation`;
    const redis = new Redis(REDIS_URL);
    const lost = vi.fn();
    // Claimed again on reconnects only, in this test: no timer tick comes before the hour is out.
    const stop = keepPrefixClaim({ url: REDIS_URL }, prefix, 'installation-a', lost, 3_600_000);
    try {
      await claimPrefix({ url: REDIS_URL }, prefix, 'installation-a');
      // It never lapses: a stopped installation's prefix stays its own.
      expect(await redis.ttl(key)).toBe(-1);
      // Redis loses its data (a restart without persistence, a flush) and the keeper's connection.
      await redis.del(key);
      await vi.waitFor(async () => {
        const clients = await redis.client('LIST');
        const id = String(clients).match(new RegExp(`id=(\\d+) .*name=herald:claim:\\${prefix.slice(0, -1)}\\}`))?.[1];
        expect(id).toBeDefined();
        await redis.client('KILL', 'ID', id as string);
      });
      await vi.waitFor(async () => expect(await redis.get(key)).toBe('installation-a'), { timeout: 5000 });
      // So a second installation given the same prefix is refused again.
      await expect(claimPrefix({ url: REDIS_URL }, prefix, 'installation-b')).rejects.toThrow(/id installation-a/);
      expect(lost).not.toHaveBeenCalled();
    } finally {
      stop();
      redis.disconnect();
      await dropQueuePrefix(prefix);
    }
  });

  it('tells a running process, once, that another installation took its prefix', async () => {
    const prefix = `{herald-test-${uid()}}`;
    const redis = new Redis(REDIS_URL);
    const lost = vi.fn();
    const stop = keepPrefixClaim({ url: REDIS_URL }, prefix, 'installation-a', lost, 50);
    try {
      await vi.waitFor(async () => expect(await redis.get(`${prefix}:installation`)).toBe('installation-a'));
      // Taken by another in the seconds Redis had lost it.
      await redis.set(`${prefix}:installation`, 'installation-b', 'EX', 60);
      await vi.waitFor(() => expect(lost).toHaveBeenCalled());
      await new Promise((r) => setTimeout(r, 200));
      expect(lost).toHaveBeenCalledTimes(1);
      expect(lost.mock.calls[0]?.[0].message).toMatch(
        new RegExp(
          `^Another Herald installation \\(id installation-b\\) already uses the Redis key prefix \\${prefix.slice(0, -1)}\\}`,
        ),
      );
      // It does not take the claim back.
      expect(await redis.get(`${prefix}:installation`)).toBe('installation-b');
    } finally {
      stop();
      redis.disconnect();
      await dropQueuePrefix(prefix);
    }
  });
});
