import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AuditPage, adminSession, TimeCursor } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';

/** The audit log (who did what, and when), newest first. Viewers read it. */
const audit: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');

  fastify.get(
    '/admin/api/audit',
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        security: adminSession,
        querystring: Type.Object(
          {
            cursor: Type.Optional(TimeCursor),
            action: Type.Optional(Type.String({ maxLength: 64, description: 'Entries whose action starts with this' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuditPage, ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      fastify.audit.list({
        cursor: request.query.cursor,
        action: request.query.action,
        limit: request.query.limit ?? 50,
      }),
  );
};

export default audit;
