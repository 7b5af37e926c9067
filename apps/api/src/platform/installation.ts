import { randomUUID } from 'node:crypto';
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

/**
 * Claims a key prefix on a Redis for an installation, or refuses with a sentence if another
 * installation claimed it first. A derived prefix is unique anyway; this catches two installations
 * given the same HERALD_QUEUE_PREFIX, which would take each other's jobs.
 */
export async function claimPrefix(endpoint: RedisEndpoint, prefix: string, id: string): Promise<void> {
  const key = `${prefix}:installation`;
  const redis = createRedis(endpoint, { maxRetriesPerRequest: 1, connectionName: 'herald:boot' });
  redis.on('error', () => {});
  try {
    await redis.set(key, id, 'NX');
    const owner = await redis.get(key);
    if (owner && owner !== id) {
      throw new ConfigError(
        `Another Herald installation (id ${owner}) already uses the Redis key prefix ${prefix} on this Redis, ` +
          `and two installations on one prefix take each other's jobs. Leave HERALD_QUEUE_PREFIX unset (each ` +
          'installation then gets a prefix of its own) or give it another value; if that other installation is ' +
          `gone for good, delete its claim: redis-cli DEL '${key}'.`,
      );
    }
  } finally {
    redis.disconnect();
  }
}
