import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedis, type RedisEndpoint } from '../lib/redis-endpoint.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Request-path Redis connection: fails fast instead of queueing commands while Redis is down. */
    redis: Redis;
    redisEndpoint: RedisEndpoint;
  }
}

export default fp(
  async function redis(fastify: FastifyInstance, opts: { endpoint: RedisEndpoint }) {
    const client = createRedis(opts.endpoint, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: 'herald:api',
    });
    client.on('error', (err) => fastify.log.warn({ err }, 'redis connection error'));
    fastify.decorate('redis', client);
    fastify.decorate<RedisEndpoint>('redisEndpoint', opts.endpoint);
    fastify.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect());
    });
  },
  { name: 'herald-redis' },
);
