import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { Prisma } from '../../generated/prisma/client.js';
import { queryTime, timeCursor } from '../../lib/cursor.js';
import { Errors, fromRedis } from '../../lib/errors.js';
import { hashPassword } from '../../lib/secrets.js';
import { isUuid } from '../../lib/text.js';
import {
  AdminView,
  AuditPage,
  adminSession,
  CreatedAdmin,
  Ok,
  Overview,
  QueueHealth,
  SubscriberDetails,
  SubscribersPage,
  TimeCursor,
} from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import {
  CancelResponse,
  NotificationDetails,
  NotificationParams,
  NotificationStatus,
  RecipientsPage,
  RecipientsQuery,
  SendNotificationBody,
  SendNotificationResponse,
} from '../../schemas/notifications.js';

const Listed = Type.Object({
  id: Type.String(),
  appId: Type.String(),
  title: Type.String(),
  status: Type.String(),
  priority: Type.String(),
  target: Type.Unknown(),
  recipients: Type.Integer(),
  createdAt: Type.String(),
  sendAt: Type.Union([Type.String(), Type.Null()]),
});

/**
 * The dashboard's API: overview counters, the notifications log and composer, subscribers,
 * queue health, the audit log and admin accounts. Viewers read; admins also act; owners manage admins.
 */
const operations: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const owner = fastify.requireAdmin('owner');
  const iso = (d: Date | null) => d?.toISOString() ?? null;

  const appOf = async (id: string) => {
    if (!isUuid(id)) throw new Errors.NotificationNotFound(id);
    const n = await fastify.prisma.notification.findUnique({ where: { id }, select: { appId: true } });
    if (!n) throw new Errors.NotificationNotFound(id);
    return n.appId;
  };

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
            status: Type.Optional(NotificationStatus),
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
      const createdAt: Prisma.DateTimeFilter = {};
      if (q.from) createdAt.gte = queryTime(q.from, 'from');
      if (q.to) createdAt.lte = queryTime(q.to, 'to');
      // The cursor is the last row's (createdAt, id): one batch shares a createdAt.
      const after = q.cursor ? timeCursor(q.cursor) : undefined;
      const rows = await fastify.prisma.notification.findMany({
        where: {
          ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
          ...(q.appId ? { appId: q.appId } : {}),
          ...(q.status ? { status: q.status as Prisma.EnumNotificationStatusFilter['equals'] } : {}),
          ...(q.recipient ? { deliveries: { some: { subscriber: { externalId: q.recipient } } } } : {}),
          ...(Object.keys(createdAt).length ? { createdAt } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((n) => ({
          id: n.id,
          appId: n.appId,
          title: n.title,
          status: n.status,
          priority: n.priority,
          target: n.target,
          recipients: n.recipientCount,
          createdAt: n.createdAt.toISOString(),
          sendAt: iso(n.sendAt),
        })),
        nextCursor: rows.length > limit && last ? `${last.createdAt.toISOString()}|${last.id}` : null,
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
        body: Type.Object(
          { appId: Type.String({ minLength: 1, maxLength: 64 }), ...SendNotificationBody.properties },
          {
            additionalProperties: false,
            examples: [{ appId: 'default', to: { userId: 'alice' }, title: 'Hello from the dashboard' }],
          },
        ),
        response: { 202: SendNotificationResponse, ...errorResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const { appId, ...body } = request.body as { appId: string } & Static<typeof SendNotificationBody>;
      if (!(await fastify.prisma.app.findUnique({ where: { id: appId }, select: { id: true } })))
        throw new Errors.AppNotFound(appId);
      const { replayed: _r, ...accepted } = await fastify.notifications.send(appId, body, undefined, 'dashboard');
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'notification.send',
        targetType: 'notification',
        targetId: accepted.id,
        details: { appId, to: body.to, title: body.title },
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
      return { ...(await fastify.notifications.get(appId, request.params.id)), appId };
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
      fastify.notifications.recipients(await appOf(request.params.id), request.params.id, {
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
      const result = await fastify.notifications.cancel(await appOf(request.params.id), request.params.id);
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

  fastify.get(
    '/admin/api/subscribers',
    {
      onRequest: viewer,
      schema: {
        summary: 'Search subscribers, with who is online now',
        tags: ['admin'],
        security: adminSession,
        querystring: Type.Object(
          {
            appId: Type.Optional(Type.String({ maxLength: 64 })),
            q: Type.Optional(Type.String({ maxLength: 256 })),
            cursor: Type.Optional(Type.String({ maxLength: 256, description: 'nextCursor of the previous page' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: SubscribersPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const rows = await fastify.prisma.subscriber.findMany({
        where: {
          ...(q.appId ? { appId: q.appId } : {}),
          ...(q.q ? { externalId: { contains: q.q, mode: 'insensitive' as const } } : {}),
          ...(q.cursor
            ? { externalId: { gt: q.cursor, ...(q.q ? { contains: q.q, mode: 'insensitive' as const } : {}) } }
            : {}),
        },
        orderBy: { externalId: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      const byApp = new Map<string, string[]>();
      for (const s of page) byApp.set(s.appId, [...(byApp.get(s.appId) ?? []), s.externalId]);
      const online = new Set<string>();
      for (const [appId, ids] of byApp)
        for (const id of await fastify.stats.online(appId, ids)) online.add(`${appId}:${id}`);
      return {
        items: page.map((s) => ({
          id: s.id,
          appId: s.appId,
          userId: s.externalId,
          online: online.has(`${s.appId}:${s.externalId}`),
          lastSeq: s.lastSeq,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: iso(s.lastSeenAt),
        })),
        nextCursor: rows.length > limit ? (page.at(-1)?.externalId ?? null) : null,
      };
    },
  );

  fastify.get(
    '/admin/api/subscribers/:id',
    {
      onRequest: viewer,
      schema: {
        summary: "A subscriber's inbox and delivery history",
        tags: ['admin'],
        security: adminSession,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: SubscriberDetails, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const s = await fastify.prisma.subscriber.findUnique({ where: { id: request.params.id } });
      if (!s) throw new Errors.SubscriberNotFound(request.params.id);
      const subscriber = { id: s.id, appId: s.appId, externalId: s.externalId };
      const [inbox, history, online] = await Promise.all([
        fastify.inbox.list(subscriber, { limit: 20 }),
        fastify.prisma.delivery.findMany({
          where: { subscriberId: s.id },
          orderBy: { seq: 'desc' },
          take: 50,
          include: { notification: { select: { title: true } } },
        }),
        fastify.stats.online(s.appId, [s.externalId]),
      ]);
      return {
        id: s.id,
        appId: s.appId,
        userId: s.externalId,
        online: online.size > 0,
        lastSeq: s.lastSeq,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: iso(s.lastSeenAt),
        unread: inbox.unread,
        inbox: inbox.items,
        history: history.map((d) => ({
          notificationId: d.notificationId,
          title: d.notification.title,
          seq: d.seq,
          status: d.status,
          queuedAt: d.createdAt.toISOString(),
          deliveredAt: iso(d.deliveredAt),
          displayedAt: iso(d.displayedAt),
          clickedAt: iso(d.clickedAt),
          readAt: iso(d.readAt),
        })),
      };
    },
  );

  fastify.get(
    '/admin/api/queue',
    {
      onRequest: viewer,
      schema: {
        summary: 'Queue counts and failed jobs',
        description: 'Kept in Redis: a 503 HERALD_ERR_REDIS_UNAVAILABLE while Redis is down or does not answer.',
        tags: ['admin'],
        security: adminSession,
        response: { 200: QueueHealth, ...errorResponses(401, 503) },
      },
    },
    async () => {
      const queue = fastify.notificationsQueue;
      const [counts, failed] = await fromRedis(
        Promise.all([
          queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
          queue.getFailed(0, 49),
        ]),
      );
      return {
        counts,
        failed: failed.map((j) => ({
          id: j.id,
          name: j.name,
          notificationId: j.data && 'notificationId' in j.data ? j.data.notificationId : j.data?.notificationIds?.[0],
          failedReason: j.failedReason,
          attemptsMade: j.attemptsMade,
          failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
        })),
      };
    },
  );

  const JobParams = Type.Object({ jobId: Type.String({ minLength: 1, maxLength: 100 }) });
  const job = async (jobId: string) => {
    const j = await fromRedis(fastify.notificationsQueue.getJob(jobId));
    if (!j) throw new Errors.JobNotFound(jobId);
    return j;
  };
  fastify.post(
    '/admin/api/queue/jobs/:jobId/retry',
    {
      onRequest: admin,
      schema: {
        summary: 'Retry a failed job',
        tags: ['admin'],
        security: adminSession,
        params: JobParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const j = await job(request.params.jobId);
      const state = await fromRedis(j.getState());
      if (state !== 'failed') throw new Errors.JobConflict(request.params.jobId, state, 'retried');
      // A failed notification goes back to queued so the worker takes it again.
      await fastify.prisma.notification.updateMany({
        where: {
          id: { in: 'notificationIds' in j.data ? j.data.notificationIds : [j.data.notificationId] },
          status: 'failed',
        },
        data: { status: 'queued', failureReason: null },
      });
      await fromRedis(j.retry('failed'));
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'queue.retry',
        targetType: 'job',
        targetId: request.params.jobId,
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );
  fastify.delete(
    '/admin/api/queue/jobs/:jobId',
    {
      onRequest: admin,
      schema: {
        summary: 'Remove a job that is not running',
        tags: ['admin'],
        security: adminSession,
        params: JobParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const j = await job(request.params.jobId);
      const state = await fromRedis(j.getState());
      if (state === 'active') throw new Errors.JobConflict(request.params.jobId, state, 'removed');
      await fromRedis(j.remove());
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'queue.remove',
        targetType: 'job',
        targetId: request.params.jobId,
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );

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

  const AdminBody = Type.Object(
    {
      email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 }),
      password: Type.String({ minLength: 10, maxLength: 1024 }),
      role: Type.Enum(['owner', 'admin', 'viewer']),
    },
    {
      additionalProperties: false,
      examples: [{ email: 'ops@example.com', password: 'a long passphrase', role: 'viewer' }],
    },
  );
  fastify.get(
    '/admin/api/admins',
    {
      onRequest: viewer,
      schema: {
        summary: 'Dashboard accounts and their roles',
        tags: ['admin'],
        security: adminSession,
        response: { 200: Type.Array(AdminView), ...errorResponses(401) },
      },
    },
    async () => {
      const admins = await fastify.prisma.admin.findMany({ orderBy: { createdAt: 'asc' } });
      return admins.map((a) => ({
        id: a.id,
        email: a.email,
        role: a.role,
        createdAt: a.createdAt.toISOString(),
        lastLoginAt: iso(a.lastLoginAt),
      }));
    },
  );
  fastify.post(
    '/admin/api/admins',
    {
      onRequest: owner,
      schema: {
        summary: 'Add an admin (owners only)',
        tags: ['admin'],
        security: adminSession,
        body: AdminBody,
        response: { 201: CreatedAdmin, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const email = request.body.email.toLowerCase();
      if (await fastify.prisma.admin.findUnique({ where: { email } })) throw new Errors.AdminExists(email);
      const a = await fastify.prisma.admin.create({
        data: {
          email,
          passwordHash: await hashPassword(request.body.password),
          role: request.body.role as 'owner' | 'admin' | 'viewer',
        },
      });
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'admin.create',
        targetType: 'admin',
        targetId: a.id,
        details: { email, role: a.role },
        ip: request.ip,
      });
      return reply.code(201).send({ id: a.id, email: a.email, role: a.role });
    },
  );
  fastify.delete(
    '/admin/api/admins/:id',
    {
      onRequest: owner,
      schema: {
        tags: ['admin'],
        security: adminSession,
        summary: 'Remove an admin (owners only; never the last owner)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const a = await fastify.prisma.admin.findUnique({ where: { id: request.params.id } });
      if (!a) throw new Errors.AdminNotFound(request.params.id);
      if (a.role === 'owner' && (await fastify.prisma.admin.count({ where: { role: 'owner' } })) <= 1)
        throw new Errors.LastOwner();
      // Its sessions end first, and with them its live dashboard channels on every node.
      await fastify.adminSessions.endAll(a.id);
      await fastify.prisma.admin.delete({ where: { id: a.id } });
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'admin.delete',
        targetType: 'admin',
        targetId: a.id,
        details: { email: a.email },
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );
};

export default operations;
