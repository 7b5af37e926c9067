import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedis, RedisUnavailableError, resolveRedis } from '../src/platform/redis/endpoint.js';
import { REDIS_URL } from './helpers.js';

const CLOSED = 'redis://127.0.0.1:1';
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('resolveRedis', () => {
  it('uses REDIS_URL when it answers', async () => {
    const resolved = await resolveRedis({ url: REDIS_URL, dataDir: tempDir() });
    expect(resolved.endpoint).toEqual({ url: REDIS_URL });
    expect(resolved.server).toBeUndefined();
  });

  it('fails with a sentence when an explicit REDIS_URL does not answer, without starting its own', async () => {
    const dataDir = tempDir();
    await expect(resolveRedis({ url: CLOSED, dataDir })).rejects.toThrow(
      /Redis at REDIS_URL=redis:\/\/127.0.0.1:1 does not answer .*Start it, or fix REDIS_URL/,
    );
    expect(existsSync(join(dataDir, 'redis'))).toBe(false);
  });

  it('uses the default local Redis when nothing is configured and it answers', async () => {
    const resolved = await resolveRedis({ url: undefined, dataDir: tempDir(), defaultUrl: REDIS_URL });
    expect(resolved.endpoint).toEqual({ url: REDIS_URL });
  });

  it('starts a private redis-server with AOF under the data directory when none answers, and reuses it', async () => {
    const dataDir = tempDir();
    const resolved = await resolveRedis({ url: undefined, dataDir, defaultUrl: CLOSED });
    try {
      expect(resolved.server?.pid).toBeGreaterThan(0);
      expect(resolved.endpoint).toEqual({ path: join(dataDir, 'redis', 'redis.sock') });
      const client = createRedis(resolved.endpoint);
      await client.set('k', 'v');
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      client.disconnect();
      expect((statSync(join(dataDir, 'redis')).mode & 0o777).toString(8)).toBe('700');

      // A second process (or a restart after a crash) finds the running one instead of starting another.
      const again = await resolveRedis({ url: undefined, dataDir, defaultUrl: CLOSED });
      expect(again.server).toBeUndefined();
      expect(again.endpoint).toEqual(resolved.endpoint);
    } finally {
      await resolved.server?.stop();
    }
    expect(readFileSync(join(dataDir, 'redis', 'redis.log'), 'utf8')).toMatch(/ready to accept connections/i);
    expect(existsSync(join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
  });

  it("runs the private redis-server in a process group of its own, so a terminal's Ctrl-C leaves it to Herald", async () => {
    const resolved = await resolveRedis({ url: undefined, dataDir: tempDir(), defaultUrl: CLOSED });
    try {
      const pid = resolved.server?.pid as number;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 5 (the 3rd after the command name): the process group id.
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      expect(group).toBe(pid);
      expect(group).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[2]));
    } finally {
      await resolved.server?.stop();
    }
  });

  it('names both fixes when no Redis answers and redis-server is not installed', async () => {
    const error = await resolveRedis({
      url: undefined,
      dataDir: tempDir(),
      defaultUrl: CLOSED,
      redisServer: 'no-such-redis-server',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toMatch(/set REDIS_URL=redis:\/\/host:port/);
    expect((error as Error).message).toMatch(/install redis-server/);
  });
});
