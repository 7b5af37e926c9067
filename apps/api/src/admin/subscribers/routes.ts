import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { keysetPage } from '../../platform/lib/cursor.js';
import { Errors } from '../../platform/lib/errors.js';
import { adminSession, SubscriberDetails, SubscribersPage } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import { SubscriberRepository, subscriberCursor, toSubscriberCursor } from './repository.js';

/** The dashboard's subscribers: the list with presence, and one subscriber's devices and deliveries (read only). */
const adminSubscribers: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const repository = new SubscriberRepository(fastify.prisma);
  const iso = (d: Date | null) => d?.toISOString() ?? null;

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
            cursor: Type.Optional(Type.String({ maxLength: 4096, description: 'nextCursor of the previous page' })),
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
      const cursor = q.cursor === undefined ? undefined : subscriberCursor(q.cursor);
      const rows = await repository.search({ appId: q.appId, q: q.q, cursor, limit });
      const { page, nextCursor } = keysetPage(rows, limit, toSubscriberCursor);
      const byApp = new Map<string, string[]>();
      for (const s of page) byApp.set(s.appId, [...(byApp.get(s.appId) ?? []), s.externalId]);
      const online = new Set<string>();
      for (const [appId, ids] of byApp)
        for (const id of await fastify.stats.online(appId, ids)) online.add(`${appId}:${id}`);
      const sizes = await Promise.all(page.map((s) => fastify.inbox.size(s)));
      return {
        items: page.map((s, i) => ({
          id: s.id,
          appId: s.appId,
          userId: s.externalId,
          online: online.has(`${s.appId}:${s.externalId}`),
          lastSeq: s.lastSeq,
          notifications: sizes[i] ?? { count: 0, more: false },
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: iso(s.lastSeenAt),
        })),
        nextCursor,
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
      const s = await repository.find(request.params.id);
      if (!s) throw new Errors.SubscriberNotFound(request.params.id);
      const subscriber = { id: s.id, appId: s.appId, externalId: s.externalId };
      const [inbox, history, online, browsers, size, preferences] = await Promise.all([
        fastify.inbox.list(subscriber, { limit: 20 }),
        repository.history(s.id),
        fastify.stats.online(s.appId, [s.externalId]),
        fastify.prisma.pushSubscription.findMany({ where: { subscriberId: s.id }, orderBy: { updatedAt: 'desc' } }),
        fastify.inbox.size(s),
        // As the user's own reads show them: a required category's old `off` as the `inbox` it is.
        fastify.preferences.get(s.appId, s.externalId),
      ]);
      return {
        id: s.id,
        appId: s.appId,
        userId: s.externalId,
        online: online.size > 0,
        lastSeq: s.lastSeq,
        notifications: size,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: iso(s.lastSeenAt),
        unread: inbox.unread,
        preferences,
        browsers: browsers.map((b) => ({
          id: b.id,
          status: b.status as 'active' | 'resubscribe',
          pushService: hostOf(b.endpoint),
          userAgent: b.userAgent,
          origin: b.origin,
          createdAt: b.createdAt.toISOString(),
          updatedAt: b.updatedAt.toISOString(),
          lastSuccessAt: iso(b.lastSuccessAt),
          lastError: b.lastError,
        })),
        inbox: inbox.items,
        history: history.map((d) => ({
          notificationId: d.notificationId,
          title: d.notification.title,
          seq: d.seq,
          status: d.status,
          // A topic send's or broadcast's receipt (no `seq`) is written when something first
          // happened to it for the user: it was theirs from when it went out.
          queuedAt: (d.seq === null
            ? (d.notification.dispatchedAt ?? d.notification.createdAt)
            : d.createdAt
          ).toISOString(),
          deliveredAt: iso(d.deliveredAt),
          displayedAt: iso(d.displayedAt),
          clickedAt: iso(d.clickedAt),
          readAt: iso(d.readAt),
        })),
      };
    },
  );
};

/** An endpoint's host: enough to tell the push service apart, without the browser's capability URL. */
function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '';
  }
}

export default adminSubscribers;
