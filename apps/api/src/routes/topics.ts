import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Errors } from '../platform/lib/errors.js';
import { CreateOnlyHeaders, createOnly, errorResponses } from '../schemas/common.js';
import {
  Deleted,
  MemberPage,
  MembersBody,
  MembershipChange,
  MembersQuery,
  TopicList,
  TopicParams,
  TopicSettings,
  TopicSummary,
  TopicsQuery,
  UserTopics,
  UserTopicsParams,
  UserTopicsQuery,
} from '../schemas/topics.js';
import { MAX_TOPICS_PER_LIST } from '../topics/repository.js';

const TAG = ['topics'];
const security = [{ apiKey: [] }];

/**
 * Topics for the integrator's backend: put users in an app's named groups and take them out.
 * Every call is idempotent, and costs a row per user named, whatever the topic's size.
 */
const topics: FastifyPluginAsyncTypebox = async (fastify) => {
  const repo = fastify.topics;

  fastify.put(
    '/v1/topics/:topic/subscribers',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Subscribe users to a topic',
        description:
          'Adds the users to the topic, creating the topic (and users Herald has not seen yet) as needed. ' +
          'Users already in it are left as they are: calling again changes nothing.',
        tags: TAG,
        security,
        params: TopicParams,
        body: MembersBody,
        response: { 200: MembershipChange, ...errorResponses(400, 401, 409, 413, 415, 429) },
      },
    },
    async (request) => repo.subscribe(request.tenant.appId, request.params.topic, request.body.userIds),
  );

  fastify.delete(
    '/v1/topics/:topic/subscribers',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Unsubscribe users from a topic',
        description:
          'Removes the users from the topic. Users not in it, or a topic that does not exist, change nothing. ' +
          'The topic stays, even when empty: delete it with `DELETE /v1/topics/{topic}`.',
        tags: TAG,
        security,
        params: TopicParams,
        body: MembersBody,
        response: { 200: MembershipChange, ...errorResponses(400, 401, 409, 413, 415, 429) },
      },
    },
    async (request) => repo.unsubscribe(request.tenant.appId, request.params.topic, request.body.userIds),
  );

  fastify.get(
    '/v1/topics',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "The app's topics, with their sizes",
        description: 'In name order; pass `nextCursor` as `cursor` for the next page.',
        tags: TAG,
        security,
        querystring: TopicsQuery,
        response: { 200: TopicList, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) =>
      repo.list(request.tenant.appId, {
        after: request.query.cursor,
        limit: request.query.limit ?? 100,
        prefix: request.query.prefix,
      }),
  );

  fastify.put(
    '/v1/topics/:topic',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Create a topic, or change its settings',
        description:
          'Settings left out keep their value (a new topic: not public). With `If-None-Match: *` it is only ' +
          'created: one that exists is left as it is, with 412 `HERALD_ERR_TOPIC_EXISTS`.',
        tags: TAG,
        security,
        params: TopicParams,
        headers: CreateOnlyHeaders,
        body: TopicSettings,
        response: { 200: TopicSummary, ...errorResponses(400, 401, 412, 413, 415, 429) },
      },
    },
    async (request) => {
      const { created: _, ...saved } = await repo.put(
        request.tenant.appId,
        request.params.topic,
        request.body,
        createOnly(request.headers),
      );
      return saved;
    },
  );

  fastify.get(
    '/v1/topics/:topic',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'One topic and its size',
        tags: TAG,
        security,
        params: TopicParams,
        response: { 200: TopicSummary, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => {
      const found = await repo.get(request.tenant.appId, request.params.topic);
      if (!found) throw new Errors.TopicNotFound(request.params.topic);
      return found;
    },
  );

  fastify.get(
    '/v1/topics/:topic/subscribers',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "A topic's subscribers",
        description: 'In user-id order; pass `nextCursor` as `cursor` for the next page.',
        tags: TAG,
        security,
        params: TopicParams,
        querystring: MembersQuery,
        response: { 200: MemberPage, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => {
      const { appId } = request.tenant;
      const { topic } = request.params;
      if (!(await repo.get(appId, topic))) throw new Errors.TopicNotFound(topic);
      const page = await repo.members(appId, topic, { after: request.query.cursor, limit: request.query.limit ?? 100 });
      return { topic, ...page };
    },
  );

  fastify.delete(
    '/v1/topics/:topic',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Delete a topic',
        description: 'Deletes the topic and every subscription to it.',
        tags: TAG,
        security,
        params: TopicParams,
        response: { 200: Deleted, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => {
      const { topic } = request.params;
      if (!(await repo.remove(request.tenant.appId, topic))) throw new Errors.TopicNotFound(topic);
      return { topic, deleted: true as const };
    },
  );

  fastify.get(
    '/v1/users/:userId/topics',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'The topics a user is in',
        description:
          'In name order, 1,000 a page unless `limit` asks for fewer; pass `nextCursor` as `cursor` for the next ' +
          'page (null: there is none). A user Herald has never seen is in none.',
        tags: TAG,
        security,
        params: UserTopicsParams,
        querystring: UserTopicsQuery,
        response: { 200: UserTopics, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => ({
      userId: request.params.userId,
      ...(await repo.topicsOf(request.tenant.appId, request.params.userId, {
        after: request.query.cursor,
        limit: request.query.limit ?? MAX_TOPICS_PER_LIST,
      })),
    }),
  );
};

export default topics;
