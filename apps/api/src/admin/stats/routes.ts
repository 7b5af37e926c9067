import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fromRedis } from '../../platform/lib/errors.js';
import { adminSession, Overview } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';

/** The dashboard's overview: counters, presence and the last hour per minute (see admin/socket/stats.ts). */
const adminOverview: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');

  fastify.get(
    '/admin/api/overview',
    {
      onRequest: viewer,
      schema: {
        summary: 'Counters, presence and the last hour per minute',
        description: 'Kept in Redis: a 503 HERALD_ERR_REDIS_UNAVAILABLE while Redis is down or does not answer.',
        tags: ['admin'],
        security: adminSession,
        response: { 200: Overview, ...errorResponses(401, 503) },
      },
    },
    async () => fromRedis(fastify.adminStats()),
  );
};

export default adminOverview;
