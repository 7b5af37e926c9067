import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotificationStatus, Priority } from '@herald/protocol/schema';
import Type, { type Static } from 'typebox';
import { ACCEPT_FANOUT_MAX, streamsOf } from '../../fanout/rule.js';
import { distinctTarget } from '../../intake/prepare.js';
import { audienceSize } from '../../intake/streams.js';
import type { Sql } from '../../platform/db/database.js';
import { keysetPage, queryTime, timeCursor, toTimeCursor } from '../../platform/lib/cursor.js';
import { Errors } from '../../platform/lib/errors.js';
import { isUuid } from '../../platform/lib/text.js';
import { adminSession, TimeCursor } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import {
  CancelResponse,
  MAX_TOPICS_PER_SEND,
  NotificationDetails,
  NotificationParams,
  RecipientsPage,
  RecipientsQuery,
  SendNotificationBody,
  SendNotificationResponse,
  Target,
} from '../../schemas/notifications.js';
import { AppRepository } from '../apps/repository.js';
import { NotificationRepository } from './repository.js';

const Listed = Type.Object({
  id: Type.String(),
  appId: Type.String(),
  title: Type.String(),
  status: NotificationStatus,
  priority: Priority,
  target: Target,
  recipients: Type.Integer(),
  createdAt: Type.String(),
  sendAt: Type.Union([Type.String(), Type.Null()]),
});

/** How many users a send's `to` reaches now, as the composer shows it before sending. */
async function audienceOf(sql: Sql, appId: string, target: Target): Promise<number> {
  const to = distinctTarget(target);
  const streams = streamsOf(to);
  if (streams.length > 0) return audienceSize(sql, appId, streams);
  return to.userIds?.length ?? 1;
}

const AudienceQuery = Type.Object(
  {
    topics: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1100, description: 'Comma-separated topic names (up to 10)' }),
    ),
    broadcast: Type.Optional(Type.Boolean({ description: 'Everyone the app knows' })),
  },
  { additionalProperties: false },
);

/** The dashboard's notifications log, composer, funnel, recipients and cancel. Viewers read; admins also act. */
const adminNotifications: FastifyPluginAsyncTypebox<{ confirmSendAbove: number }> = async (fastify, opts) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const iso = (d: Date | null) => d?.toISOString() ?? null;

  const repository = new NotificationRepository(fastify.prisma);
  const apps = new AppRepository(fastify.prisma);

  const appOf = async (id: string) => {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const appId = await repository.appOf(id);
    if (!appId) throw new Errors.NotificationNotFound(id);
    return appId;
  };

  fastify.get(
    '/admin/api/notifications',
    {
      onRequest: viewer,
      schema: {
        summary: 'The notifications log, newest first',
        tags: ['admin'],
        security: adminSession,
        querystring: Type.Object(
          {
            appId: Type.Optional(Type.String({ maxLength: 64 })),
            status: Type.Optional(
              Type.Unsafe<NotificationStatus>({
                ...NotificationStatus,
                description:
                  `The status the list shows: \`queued\` includes an immediate send to at most ${ACCEPT_FANOUT_MAX} users ` +
                  'whose job has not emitted it yet (stored as dispatched by its accept), which `dispatched` leaves out',
              }),
            ),
            recipient: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            cursor: Type.Optional(TimeCursor),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(Listed), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const from = q.from ? queryTime(q.from, 'from') : undefined;
      const to = q.to ? queryTime(q.to, 'to') : undefined;
      const after = q.cursor ? timeCursor(q.cursor) : undefined;
      const rows = await repository.list({
        appId: q.appId,
        status: q.status,
        recipient: q.recipient,
        from,
        to,
        after,
        limit,
      });
      const { page, nextCursor } = keysetPage(rows, limit, toTimeCursor);
      return {
        items: page.map((n) => ({
          id: n.id,
          appId: n.appId,
          title: n.title,
          status: n.status,
          priority: n.priority,
          target: n.target as Target,
          recipients: n.recipientCount,
          createdAt: n.createdAt.toISOString(),
          sendAt: iso(n.sendAt),
        })),
        nextCursor,
      };
    },
  );

  fastify.get(
    '/admin/api/apps/:appId/audience',
    {
      onRequest: viewer,
      schema: {
        summary: 'How many users a topic send or broadcast would reach now',
        description:
          'The composer shows it before sending; a send to more than `confirmAbove` users needs `confirmRecipients`.',
        tags: ['admin'],
        security: adminSession,
        params: Type.Object({ appId: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: AudienceQuery,
        response: {
          200: Type.Object({ recipients: Type.Integer(), confirmAbove: Type.Integer() }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      await apps.mustExist(request.params.appId);
      const topics =
        request.query.topics
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean) ?? [];
      const to: Target = request.query.broadcast ? { broadcast: true } : { topics };
      if (!request.query.broadcast && (topics.length === 0 || topics.length > MAX_TOPICS_PER_SEND)) {
        throw new Errors.Invalid(
          `querystring.topics must name 1 to ${MAX_TOPICS_PER_SEND} topics, or ask for broadcast=true.`,
        );
      }
      return {
        recipients: await audienceOf(fastify.sql, request.params.appId, to),
        confirmAbove: opts.confirmSendAbove,
      };
    },
  );

  fastify.post(
    '/admin/api/notifications',
    {
      onRequest: admin,
      schema: {
        summary: 'Send from the composer',
        tags: ['admin'],
        security: adminSession,
        description:
          `A send to more users than HERALD_CONFIRM_SEND_ABOVE (the audience route's \`confirmAbove\`) is refused with 409 ` +
          '`HERALD_ERR_CONFIRMATION_REQUIRED` unless `confirmRecipients` is at least its audience: the admin saw the number.',
        body: Type.Object(
          {
            appId: Type.String({ minLength: 1, maxLength: 64 }),
            ...SendNotificationBody.properties,
            confirmRecipients: Type.Optional(
              Type.Integer({ minimum: 0, description: 'The audience the admin confirmed (see the audience route)' }),
            ),
          },
          {
            additionalProperties: false,
            examples: [{ appId: 'default', to: { userId: 'alice' }, title: 'Hello from the dashboard' }],
          },
        ),
        response: { 202: SendNotificationResponse, ...errorResponses(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { appId, confirmRecipients, ...body } = request.body as {
        appId: string;
        confirmRecipients?: number;
      } & Static<typeof SendNotificationBody>;
      await apps.mustExist(appId);
      // The composer used to send to everyone in an app with one click: a large audience is said
      // out loud first, and sent only once the admin confirmed that number (or more).
      const audience = await audienceOf(fastify.sql, appId, body.to);
      if (audience > opts.confirmSendAbove && (confirmRecipients ?? -1) < audience) {
        throw new Errors.ConfirmationRequired(audience, opts.confirmSendAbove, audience);
      }
      const { replayed: _r, ...accepted } = await fastify.notifications.send(appId, body, undefined, 'dashboard');
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'notification.send',
        targetType: 'notification',
        targetId: accepted.id,
        details: { appId, to: body.to, title: body.title, ...(body.category ? { category: body.category } : {}) },
        ip: request.ip,
      });
      return reply.code(202).send(accepted);
    },
  );

  fastify.get(
    '/admin/api/notifications/:id',
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        security: adminSession,
        params: NotificationParams,
        response: {
          200: Type.Intersect([NotificationDetails, Type.Object({ appId: Type.String() })]),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const appId = await appOf(request.params.id);
      return { ...(await fastify.notificationLog.get(appId, request.params.id)), appId };
    },
  );

  fastify.get(
    '/admin/api/notifications/:id/recipients',
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        security: adminSession,
        params: NotificationParams,
        querystring: RecipientsQuery,
        response: { 200: RecipientsPage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      fastify.notificationLog.recipients(await appOf(request.params.id), request.params.id, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 100,
        status: request.query.status,
      }),
  );

  fastify.post(
    '/admin/api/notifications/:id/cancel',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        security: adminSession,
        params: NotificationParams,
        response: { 200: CancelResponse, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const result = await fastify.notificationLog.cancel(await appOf(request.params.id), request.params.id);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'notification.cancel',
        targetType: 'notification',
        targetId: request.params.id,
        ip: request.ip,
      });
      return result;
    },
  );
};

export default adminNotifications;
