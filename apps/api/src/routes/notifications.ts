import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/common.js';
import {
  IdempotencyHeaders,
  NotificationDetails,
  NotificationParams,
  SendNotificationBody,
  SendNotificationResponse,
} from '../schemas/notifications.js';

const notifications: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.addHook('preHandler', fastify.requireApiKey);

  fastify.post(
    '/v1/notifications',
    {
      schema: {
        summary: 'Send a notification',
        description:
          'Stores the notification, queues it, and answers 202 at once; delivery to every open tab of each ' +
          'recipient follows. A repeated idempotency key (body or `Idempotency-Key` header, 24 h) returns the ' +
          'original notification instead of creating another.',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        headers: IdempotencyHeaders,
        body: SendNotificationBody,
        response: { 202: SendNotificationResponse, ...errorResponses(400, 401, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const accepted = await fastify.notifications.send(
        request.tenant.appId,
        request.body,
        request.headers['idempotency-key'],
      );
      if (accepted.replayed) reply.header('idempotent-replayed', 'true');
      else fastify.metrics.accepted.inc({ priority: request.body.priority ?? 'normal' });
      const { replayed: _replayed, ...body } = accepted;
      return reply.code(202).send(body);
    },
  );

  fastify.get(
    '/v1/notifications/:id',
    {
      schema: {
        summary: 'Get a notification and its delivery counts',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        params: NotificationParams,
        response: { 200: NotificationDetails, ...errorResponses(401, 404) },
      },
    },
    async (request) => fastify.notifications.get(request.tenant.appId, request.params.id),
  );
};

export default notifications;
