import { AdminEvent, type AdminStats } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { adminNamespace } from '../../gateway/types.js';
import { QueueRepository } from '../queue/repository.js';
import { METRICS } from '../stats/repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    adminStats: () => Promise<AdminStats>;
  }
}

const PUSH_EVERY_MS = 2000;

/**
 * The dashboard's counters (presence, the last hour per minute, the queue), sent on the live
 * channel when an admin connects and every two seconds while one is watching this node; also what
 * `GET /admin/api/overview` answers.
 */
export default fp(
  async function adminStatsPush(fastify: FastifyInstance) {
    const admins = adminNamespace(fastify.io);

    const queue = new QueueRepository(fastify.notificationsQueue, fastify.prisma);
    const adminStats = async (): Promise<AdminStats> => {
      const [presence, series, queueSummary] = await Promise.all([
        fastify.stats.presence(),
        fastify.stats.series(60),
        queue.summary(),
      ]);
      const lastHour = { sent: 0, delivered: 0, displayed: 0, clicked: 0, read: 0 };
      for (const point of series) for (const m of METRICS) lastHour[m] += point[m];
      return { presence, lastHour, series, queue: queueSummary };
    };
    fastify.decorate('adminStats', adminStats);

    admins.on('connection', (socket) => {
      adminStats().then(
        (s) => socket.emit(AdminEvent.Stats, s),
        () => {},
      );
    });
    // Counters for the admins watching this node.
    const push = setInterval(() => {
      if (admins.sockets.size === 0) return;
      adminStats().then(
        (s) => admins.local.emit(AdminEvent.Stats, s),
        (err) => fastify.log.warn({ err }, 'could not compute dashboard stats'),
      );
    }, PUSH_EVERY_MS);

    fastify.addHook('onClose', async () => {
      clearInterval(push);
    });
  },
  { name: 'herald-admin-stats', dependencies: ['herald-socket', 'herald-services'] },
);
