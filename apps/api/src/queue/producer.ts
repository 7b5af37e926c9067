import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createNotificationsQueue, type NotificationsQueue } from './notifications.js';
import { createPushQueue, type PushJobData } from './push-jobs.js';

declare module 'fastify' {
  interface FastifyInstance {
    notificationsQueue: NotificationsQueue;
    /** Web Push's queue, read for its metrics (the worker fills it). */
    pushQueue: Queue<PushJobData>;
  }
}

/** The producer side of the notifications queue, and a handle on the push queue. */
export default fp(
  async function queue(fastify: FastifyInstance, opts: { prefix: string }) {
    const q = createNotificationsQueue(fastify.redis, opts.prefix);
    q.on('error', (err) => fastify.log.warn({ err }, 'queue error'));
    fastify.decorate('notificationsQueue', q);
    const push = createPushQueue(fastify.redis, opts.prefix);
    push.on('error', (err) => fastify.log.warn({ err }, 'push queue error'));
    fastify.decorate('pushQueue', push);
    fastify.addHook('onClose', async () => {
      await Promise.all([q.close(), push.close()]);
    });
  },
  { name: 'herald-queue', dependencies: ['herald-redis'] },
);
