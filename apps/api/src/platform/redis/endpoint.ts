import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** How to reach Redis: a URL, or the unix socket of a private server under the data directory. */
export type RedisEndpoint = { url: string } | { path: string };

export interface ResolvedRedis {
  endpoint: RedisEndpoint;
  /** Set when Herald started its own redis-server; stopping it is the caller's job. */
  server?: { pid: number; stop(): Promise<void> };
  description: string;
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export function createRedis(endpoint: RedisEndpoint, options: RedisOptions = {}): Redis {
  return 'path' in endpoint ? new Redis({ ...options, path: endpoint.path }) : new Redis(endpoint.url, options);
}

export function describeEndpoint(endpoint: RedisEndpoint): string {
  if ('path' in endpoint) return `unix:${endpoint.path}`;
  const url = new URL(endpoint.url);
  if (url.password) url.password = '***';
  return url.toString();
}

/** Resolves once Redis answers PING, or rejects with the connection error. */
export async function ping(endpoint: RedisEndpoint, timeoutMs = 1500): Promise<void> {
  const client = createRedis(endpoint, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

interface ResolveOptions {
  /** `REDIS_URL` as configured; undefined means the default, with the private fallback. */
  url: string | undefined;
  dataDir: string;
  /** The redis-server executable to fall back to. */
  redisServer?: string;
  /** Where to look first when `url` is undefined (tests point this at a closed port). */
  defaultUrl?: string;
  log?: (message: string) => void;
}

/**
 * Finds Redis: `REDIS_URL` when set (it must answer); otherwise the default local server;
 * otherwise a private `redis-server` with AOF persistence under the data directory (reused if
 * an earlier run left it running); otherwise an error naming both fixes.
 */
export async function resolveRedis(options: ResolveOptions): Promise<ResolvedRedis> {
  if (options.url) {
    const endpoint = { url: options.url };
    try {
      await ping(endpoint, 3000);
    } catch (error) {
      throw new RedisUnavailableError(
        `Redis at REDIS_URL=${describeEndpoint(endpoint)} does not answer (${(error as Error).message}). ` +
          'Start it, or fix REDIS_URL.',
      );
    }
    return { endpoint, description: describeEndpoint(endpoint) };
  }

  const defaultEndpoint = { url: options.defaultUrl ?? DEFAULT_REDIS_URL };
  try {
    await ping(defaultEndpoint);
    return { endpoint: defaultEndpoint, description: describeEndpoint(defaultEndpoint) };
  } catch {
    // Fall through to the private server.
  }

  const dir = join(options.dataDir, 'redis');
  const socketPath = join(dir, 'redis.sock');
  const privateEndpoint = { path: socketPath };
  if (existsSync(socketPath)) {
    try {
      await ping(privateEndpoint);
      const pid = readPid(join(dir, 'redis.pid'));
      options.log?.(`Reusing the private Redis server at ${socketPath}${pid ? ` (pid ${pid})` : ''}.`);
      return { endpoint: privateEndpoint, description: `private redis-server at unix:${socketPath}` };
    } catch {
      rmSync(socketPath, { force: true });
    }
  }

  const bin = options.redisServer ?? 'redis-server';
  const child = await startRedisServer(bin, dir, socketPath).catch((error: Error) => {
    throw new RedisUnavailableError(
      `No Redis answers at ${describeEndpoint(defaultEndpoint)} and a private one could not be started ` +
        `(${error.message}). Either start Redis and set REDIS_URL=redis://host:port, ` +
        'or install redis-server (e.g. `apt-get install redis-server`) so Herald can run its own.',
    );
  });
  options.log?.(
    `No Redis at ${describeEndpoint(defaultEndpoint)}; started a private redis-server (pid ${child.pid}) with AOF under ${dir}.`,
  );
  return {
    endpoint: privateEndpoint,
    description: `private redis-server at unix:${socketPath}`,
    server: {
      pid: child.pid as number,
      stop: () => stopChild(child),
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

async function startRedisServer(bin: string, dir: string, socketPath: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const child = spawn(
    bin,
    [
      '--port',
      '0',
      '--unixsocket',
      socketPath,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--pidfile',
      join(dir, 'redis.pid'),
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and Redis must
    // outlive Herald's shutdown (the worker and the sockets still use it), then be stopped by it.
    { stdio: 'ignore', detached: true },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}`)));
  });
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      await sleep(50);
      if (!existsSync(socketPath)) continue;
      try {
        await ping({ path: socketPath }, 500);
        return;
      } catch {
        // not yet
      }
    }
    throw new Error('redis-server did not answer within 5 s');
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  failed.catch(() => {});
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGTERM makes redis-server flush the AOF before it exits.
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
}
