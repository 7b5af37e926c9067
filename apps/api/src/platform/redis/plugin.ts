import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { createRedis, type RedisEndpoint } from './endpoint.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Request-path Redis connection: fails fast instead of queueing commands while Redis is down,
     * and gives up on a command that gets no answer within the configured timeout.
     */
    redis: Redis;
    redisEndpoint: RedisEndpoint;
  }
}

export default fp(
  async function redis(fastify: FastifyInstance, opts: { endpoint: RedisEndpoint; commandTimeoutMs?: number }) {
    const client = createRedis(opts.endpoint, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A frozen Redis (stopped, swapping, a network partition) keeps the connection open but
      // never answers: without a bound, every send and dashboard read would wait for TCP to give up.
      commandTimeout: opts.commandTimeoutMs ?? 2000,
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
