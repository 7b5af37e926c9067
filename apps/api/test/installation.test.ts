import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/platform/db/database.js';
import { claimPrefix, installationId, installationPrefix, keepPrefixClaim } from '../src/platform/installation.js';
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
