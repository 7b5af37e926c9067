import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readInboxCursor } from '../inbox/cursor.js';
import { Errors } from '../platform/lib/errors.js';
import { errorResponses } from '../schemas/common.js';
import { InboxPage, InboxQuery, ReadBody, ReadResponse, UserParams } from '../schemas/inbox.js';

/** A user's inbox for the integrator's backend: the same data the SDK sees over the socket. */
const inbox: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get(
    '/v1/users/:userId/inbox',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "A user's inbox, newest first",
        description: 'Pass `nextCursor` as `cursor` for older entries. An unknown user has an empty inbox.',
        tags: ['inbox'],
        security: [{ apiKey: [] }],
        params: UserParams,
        querystring: InboxQuery,
        response: { 200: InboxPage, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => {
      // Checked first: a bad cursor is a 400 even for a user who has nothing yet.
      readInboxCursor(request.query.cursor);
      const subscriber = await fastify.inbox.findSubscriber(request.tenant.appId, request.params.userId);
      if (!subscriber) return { items: [], nextCursor: null, unread: 0 };
      const { ok: _ok, ...page } = await fastify.inbox.list(subscriber, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 20,
        unreadOnly: request.query.unreadOnly,
      });
      return page;
    },
  );

  fastify.post(
    '/v1/users/:userId/inbox/read',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Mark notifications read for a user',
        description:
          "`{ ids: [...] }` or `{ all: true }`. The user's open tabs and devices update their unread badge at once.",
        tags: ['inbox'],
        security: [{ apiKey: [] }],
        params: UserParams,
        body: ReadBody,
        response: { 200: ReadResponse, ...errorResponses(400, 401, 404, 413, 415, 429) },
      },
    },
    async (request) => {
      // The schema admits exactly one of the two.
      const { ids, all } = request.body;
      const subscriber = await fastify.inbox.findSubscriber(request.tenant.appId, request.params.userId);
      if (!subscriber) throw new Errors.UserNotFound(request.params.userId);
      const { changed, unread } = await fastify.inbox.markRead(subscriber, all ? 'all' : (ids ?? []));
      return { read: changed.length, unread };
    },
  );
};

export default inbox;
