import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Accepted } from '../intake/notifications.js';
import type { Spent } from '../platform/http/rate-limits.js';
import { describeValidation } from '../platform/http/validation-errors.js';
import { errorResponses } from '../schemas/common.js';
import {
  BatchBody,
  BatchResponse,
  CancelResponse,
  IdempotencyHeaders,
  type ItemError,
  NotificationDetails,
  NotificationParams,
  RecipientsPage,
  RecipientsQuery,
  SendNotificationBody,
  SendNotificationResponse,
} from '../schemas/notifications.js';

/**
 * What a send costs against the recipients-per-second budget: each user it names (once, however
 * often it is named); a topic send or a broadcast, one (it is stored once, whatever its audience).
 * Read before validation (batch items are checked one by one later), so bounded by the schema's
 * 10,000 userIds.
 */
const recipientsOf = (item: unknown): number => {
  const ids = (item as { to?: { userIds?: unknown } } | null)?.to?.userIds;
  return Array.isArray(ids) ? Math.min(Math.max(new Set(ids).size, 1), 10_000) : 1;
};

const notifications: FastifyPluginAsyncTypebox = async (fastify) => {
  /**
   * A send refused for its key's recipients budget: the originals, if all it does is repeat
   * accepted sends (a replay stores nothing, so it costs nothing), else null (the 429 stands).
   */
  const originalsOverBudget = async (
    error: unknown,
    appId: string,
    sends: Array<[body: SendNotificationBody, headerKey?: string]>,
  ): Promise<Array<Omit<Accepted, 'replayed'>> | null> => {
    if ((error as { statusCode?: number }).statusCode !== 429) return null;
    const originals: Array<Omit<Accepted, 'replayed'>> = [];
    for (const [body, key] of sends) {
      const original = await fastify.notifications.replayOf(appId, body, key);
      if (!original) return null;
      const { replayed: _replayed, ...rest } = original;
      originals.push(rest);
    }
    return originals;
  };

  fastify.post(
    '/v1/notifications',
    {
      onRequest: fastify.apiRateLimit.send,
      schema: {
        summary: 'Send a notification',
        description:
          'Stores the notification, queues it, and answers 202 at once; delivery to every open tab of each ' +
          'recipient follows. A repeated idempotency key (body or `Idempotency-Key` header, 24 h) returns the ' +
          'original notification instead of creating another. A 202 means it is stored and will be sent; with ' +
          '`queueDelayed: true` Redis did not take its job in time and the housekeeping sweep queues it (do not ' +
          'send it again). A 503 `HERALD_ERR_QUEUE_UNAVAILABLE` means nothing was stored: retry it. A send to a ' +
          'topic that does not exist is a 404 `HERALD_ERR_TOPIC_NOT_FOUND`; `recipients` of a topic send or ' +
          'broadcast counts its users when it is accepted.',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        headers: IdempotencyHeaders,
        body: SendNotificationBody,
        response: { 202: SendNotificationResponse, ...errorResponses(400, 401, 404, 413, 415, 422, 429, 503) },
      },
    },
    async (request, reply) => {
      const { appId } = request.tenant;
      const key = request.headers['idempotency-key'];
      let spent: Spent;
      try {
        spent = await fastify.spendRecipients(request, reply, recipientsOf(request.body));
      } catch (error) {
        const [original] = (await originalsOverBudget(error, appId, [[request.body, key]])) ?? [];
        if (!original) throw error;
        reply.removeHeader('retry-after');
        return reply.header('idempotent-replayed', 'true').code(202).send(original);
      }
      // A send that stores nothing (refused, failed, or a replay of its idempotency key) costs no budget.
      const accepted = await fastify.notifications.send(appId, request.body, key).catch(async (error) => {
        await spent.refund();
        throw error;
      });
      if (accepted.replayed) {
        await spent.refund();
        reply.header('idempotent-replayed', 'true');
      }
      const { replayed: _replayed, ...body } = accepted;
      return reply.code(202).send(body);
    },
  );

  fastify.post(
    '/v1/notifications/batch',
    {
      onRequest: fastify.apiRateLimit.send,
      schema: {
        summary: 'Send many notifications in one request',
        description:
          'Up to 500 notifications, stored with one INSERT and queued with one Redis round trip. The response has ' +
          'one result per item, in order: the accepted notification (with `queueDelayed: true` if Redis did not ' +
          'take it in time), or the error that refused that item alone (an item that does not match the schema ' +
          'of POST /v1/notifications included). Only a malformed envelope (not `{ "notifications": [ 1 to 500 ' +
          'objects ] }`) is refused as a whole, with a 400; a 503 means no item was stored, and so does a 404 ' +
          '(`HERALD_ERR_APP_NOT_FOUND`: the app was deleted while the batch was on its way). ' +
          "A batch counts as one request against the API key's send rate limit, and each recipient its items " +
          'name against its recipients-per-second budget (over it, a 429 and nothing is stored).',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        body: BatchBody,
        response: { 202: BatchResponse, ...errorResponses(400, 401, 404, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      // The budget first, counted on the raw items: a refused batch costs its parse and nothing
      // more. What the items that stored nothing spent is given back once they are answered.
      const { appId } = request.tenant;
      const costs = request.body.notifications.map(recipientsOf);
      // Each item is checked as POST /v1/notifications checks its body (the same validator, which
      // takes JSON as typed): a bad one becomes that item's error result.
      const validate = request.compileValidationSchema(SendNotificationBody, 'body');
      let spent: Spent;
      try {
        spent = await fastify.spendRecipients(
          request,
          reply,
          costs.reduce((n, c) => n + c, 0),
        );
      } catch (error) {
        const valid = request.body.notifications.every((item) => validate(item));
        const sends = request.body.notifications.map((item): [SendNotificationBody] => [item as SendNotificationBody]);
        const originals = valid ? await originalsOverBudget(error, appId, sends) : null;
        if (!originals) throw error;
        reply.removeHeader('retry-after');
        return reply.code(202).send({ accepted: originals.length, results: originals });
      }
      const items = request.body.notifications.map((item, i): SendNotificationBody | { error: ItemError } => {
        if (validate(item)) return item as SendNotificationBody;
        const { code, message, details } = describeValidation(validate.errors ?? [], `notifications[${i}]`);
        return { error: { statusCode: 400, code, message, details } };
      });
      const results = await fastify.notifications.sendMany(appId, items).catch(async (error) => {
        await spent.refund();
        throw error;
      });
      // What an item that stored nothing spent (its error, or a replay) is given back.
      await spent.refund(costs.reduce((n, c, i) => ('error' in results[i] || results[i].replayed ? n + c : n), 0));
      let accepted = 0;
      const body = results.map((r) => {
        if ('error' in r) return r;
        accepted++;
        const { replayed: _replayed, ...rest } = r;
        return rest;
      });
      return reply.code(202).send({ accepted, results: body });
    },
  );

  fastify.post(
    '/v1/notifications/:id/cancel',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Cancel what has not been delivered yet',
        description:
          'A scheduled or queued notification is cancelled entirely. Once it went out, every delivery that no ' +
          'device of its user has acknowledged yet is cancelled, so catch-up never sends it; those already on ' +
          'their way to an open socket at that moment may still arrive. `cancelled` says how many recipients ' +
          'this request stopped. Cancelling twice is not an error; 409 `HERALD_ERR_NOT_CANCELLABLE` when nothing ' +
          'is left to cancel (every recipient received it, or it expired).',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        params: NotificationParams,
        response: { 200: CancelResponse, ...errorResponses(400, 401, 404, 409, 429) },
      },
    },
    async (request) => fastify.notificationLog.cancel(request.tenant.appId, request.params.id),
  );

  fastify.get(
    '/v1/notifications/:id/recipients',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "Each recipient's delivery state and timeline",
        description:
          'In user-id order, a page at a time. A send to users lists its users: each with their delivery, or, ' +
          "pushed to before any device said anything, their pushes' status; before it went out (scheduled, or " +
          "waiting for its fan-out), `queued` with `seq` null, or the notification's ending. A topic send or broadcast lists its " +
          'audience when it was accepted (the members of its topics then, or every user the app knew): each ' +
          "member's receipt once something happened to it for them, else `queued` (no device of theirs has it " +
          "yet), `skipped` with the reason when the member's preferences turn it off, or the notification's " +
          'ending (`cancelled`, `expired`). With a `status` filter, a page reads at most 20,000 members of a ' +
          'topic send or broadcast: one that stopped there may hold fewer than `limit`, even none, and its ' +
          '`nextCursor` goes on after the last member it read.',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        params: NotificationParams,
        querystring: RecipientsQuery,
        response: { 200: RecipientsPage, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) =>
      fastify.notificationLog.recipients(request.tenant.appId, request.params.id, {
        cursor: request.query.cursor,
        limit: request.query.limit ?? 100,
        status: request.query.status,
      }),
  );

  fastify.get(
    '/v1/notifications/:id',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Get a notification and its delivery counts',
        tags: ['notifications'],
        security: [{ apiKey: [] }],
        params: NotificationParams,
        response: { 200: NotificationDetails, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => fastify.notificationLog.get(request.tenant.appId, request.params.id),
  );
};

export default notifications;
