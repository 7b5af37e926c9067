import { randomUUID } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type { PrismaClient } from '../generated/prisma/client.js';
import { ConfigError } from './config/index.js';
import { DatabaseError } from './db/database.js';
import { createRedis, type RedisEndpoint } from './redis/endpoint.js';

/**
 * This deployment's id, kept in its database: created by the first process that boots (concurrent
 * first boots agree on one, through the table's one-row primary key) and read by every later one.
 */
export async function installationId(prisma: PrismaClient): Promise<string> {
  try {
    const found = await prisma.installation.findUnique({ where: { singleton: 1 }, select: { id: true } });
    if (found) return found.id;
    // Two processes booting at once both get here: the primary key lets one insert win.
    await prisma.$executeRaw`
      INSERT INTO installation (singleton, id) VALUES (1, ${randomUUID()}) ON CONFLICT (singleton) DO NOTHING`;
    return (await prisma.installation.findUniqueOrThrow({ where: { singleton: 1 }, select: { id: true } })).id;
  } catch (error) {
    // P2021: the table does not exist, i.e. the migrations were not applied to this database.
    if ((error as { code?: string }).code === 'P2021') {
      throw new DatabaseError(
        'The database has no Herald tables yet: apply the migrations first (`npm run migrate`, or ' +
          '`node apps/api/dist/main.js migrate`), or set HERALD_AUTO_MIGRATE=true.',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The Redis key prefix of an installation: `{herald:<first 12 hex digits of its id>}`. One Redis
 * Cluster hash tag, so that a queue's keys share a slot; unique per database, so that installations
 * sharing a Redis neither take each other's jobs nor mix their counters and channels.
 */
export function installationPrefix(id: string): string {
  return `{herald:${id.replaceAll('-', '').slice(0, 12)}}`;
}

/** How often a running process claims its prefix again (and on every reconnect). */
const CLAIM_RENEW_MS = 10_000;

/**
 * Takes the claim if nobody holds it and answers who holds it now: one round trip. The claim
 * never expires: a second installation given the same prefix stays refused while the first is
 * stopped too (it would take the jobs the first left queued, and find none of their notifications).
 */
const CLAIM = `redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

type Claimer = Redis & { heraldClaim(key: string, id: string): Promise<string> };

function claimer(endpoint: RedisEndpoint, options: RedisOptions): Claimer {
  const redis = createRedis(endpoint, options);
  redis.on('error', () => {});
  redis.defineCommand('heraldClaim', { numberOfKeys: 1, lua: CLAIM });
  return redis as Claimer;
}

/**
 * The Socket.IO adapter's channels of an installation: `<prefix without braces>:socket.io#…`.
 * Its own per installation (the adapter's default, `socket.io`, would let two clustered
 * installations on one Redis exchange room emits, admin events and server-side events), and
 * without a hash tag, so that a Redis Cluster spreads the per-room channels over its shards.
 */
export const adapterChannelPrefix = (queuePrefix: string) => `${queuePrefix.replace(/[{}]/g, '')}:socket.io`;

/**
 * What an installation claims on a Redis: its key prefix, and its adapter channels, which two
 * prefixes differing only by their braces (`{a}` and `a`) would share.
 */
const claimKeys = (prefix: string) => [`${prefix}:installation`, `${adapterChannelPrefix(prefix)}:installation`];

/** The refusal for a prefix (or its channels) another installation holds, with the fix. */
function claimedBy(owner: string, prefix: string, key: string): ConfigError {
  const what =
    key === `${prefix}:installation`
      ? `the Redis key prefix ${prefix}`
      : `the Socket.IO channels of the Redis key prefix ${prefix} (${adapterChannelPrefix(prefix)}#…: prefixes that differ only by their braces share them)`;
  return new ConfigError(
    `Another Herald installation (id ${owner}) already uses ${what} on this Redis, and two installations ` +
      `on one prefix take each other's jobs and events. Leave HERALD_QUEUE_PREFIX unset (each ` +
      'installation then gets a prefix of its own) or give it another value; if that other installation is ' +
      `gone for good, delete its claim: redis-cli DEL '${key}'.`,
  );
}

/**
 * Claims a key prefix on a Redis for an installation, or refuses with a sentence if another
 * installation holds it. A derived prefix is unique anyway; this catches two installations given
 * the same HERALD_QUEUE_PREFIX, which would take each other's jobs and deliver each other's
 * notifications. Every running process keeps it (`keepPrefixClaim`).
 */
export async function claimPrefix(endpoint: RedisEndpoint, prefix: string, id: string): Promise<void> {
  const redis = claimer(endpoint, { maxRetriesPerRequest: 1, connectionName: 'herald:boot' });
  try {
    for (const key of claimKeys(prefix)) {
      const owner = await redis.heraldClaim(key, id);
      if (owner !== id) throw claimedBy(owner, prefix, key);
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Keeps a running process's claim on its prefix: claimed again every 10 s and at once whenever
 * the connection comes back, so that a Redis that restarted empty (or was flushed) has the claim
 * again before another installation given the same prefix can start. If another installation
 * holds it all the same (it started in the seconds between), `onLost` is told, once, with the
 * sentence the boot check gives: this process must stop, or both would deliver each other's
 * notifications. Returns a function that stops keeping it.
 */
export function keepPrefixClaim(
  endpoint: RedisEndpoint,
  prefix: string,
  id: string,
  onLost: (error: ConfigError) => void,
  renewMs = CLAIM_RENEW_MS,
): () => void {
  const redis = claimer(endpoint, { maxRetriesPerRequest: 1, connectionName: `herald:claim:${prefix}` });
  let lost = false;
  const renew = () => {
    for (const key of claimKeys(prefix)) {
      if (lost) return;
      redis.heraldClaim(key, id).then(
        (owner) => {
          if (owner === id || lost) return;
          lost = true;
          onLost(claimedBy(owner, prefix, key));
        },
        // Redis away: the next reconnect or tick renews it.
        () => {},
      );
    }
  };
  redis.on('ready', renew);
  const timer = setInterval(renew, renewMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    redis.disconnect();
  };
}
