import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createNotificationsQueue, type NotificationsQueue } from './notifications.js';

declare module 'fastify' {
  interface FastifyInstance {
    notificationsQueue: NotificationsQueue;
  }
}

/** The producer side of the notifications queue. */
export default fp(
  async function queue(fastify: FastifyInstance, opts: { prefix: string }) {
    const q = createNotificationsQueue(fastify.redis, opts.prefix);
    q.on('error', (err) => fastify.log.warn({ err }, 'queue error'));
    fastify.decorate('notificationsQueue', q);
    fastify.addHook('onClose', async () => {
      await q.close();
    });
  },
  { name: 'herald-queue', dependencies: ['herald-redis'] },
);
