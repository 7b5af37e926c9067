import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotificationStatus } from '@herald/protocol/schema';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { Errors } from '../../platform/lib/errors.js';
import { adminSession } from '../../schemas/admin.js';
import { CreateOnlyHeaders, createOnly, errorResponses } from '../../schemas/common.js';
import {
  MemberPage,
  MembersBody,
  MembershipChange,
  MembersQuery,
  TopicList,
  TopicName,
  TopicSettings,
  TopicSummary,
  TopicsQuery,
} from '../../schemas/topics.js';
import { AppRepository } from '../apps/repository.js';
import { AppParams } from '../apps/schemas.js';

const TopicPath = Type.Object({ appId: AppParams.properties.appId, topic: TopicName });

/**
 * The dashboard's topics: an app's topics with their sizes, one topic's members, and (admins) the
 * same changes the API offers — add and remove users, make a topic public, delete it — each in the
 * audit log. The work is the `/v1` routes' own repository (topics/).
 */
const adminTopics: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const apps = new AppRepository(fastify.prisma);
  const topics = fastify.topics;

  const audit = (request: FastifyRequest, action: string, topic: string, details: Record<string, unknown>) =>
    fastify.audit.record({
      actor: request.admin.email,
      adminId: request.admin.id,
      action,
      targetType: 'topic',
      targetId: topic,
      details,
      ip: request.ip,
    });

  fastify.get(
    '/admin/api/apps/:appId/topics',
    {
      onRequest: viewer,
      schema: {
        summary: "An app's topics, with their sizes",
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        querystring: TopicsQuery,
        response: { 200: TopicList, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      await apps.mustExist(request.params.appId);
      const q = request.query;
      return topics.list(request.params.appId, { after: q.cursor, limit: q.limit ?? 100, prefix: q.prefix });
    },
  );

  fastify.get(
    '/admin/api/apps/:appId/topics/:topic',
    {
      onRequest: viewer,
      schema: {
        summary: 'One topic, a page of its members, and its latest sends',
        tags: ['admin'],
        security: adminSession,
        params: TopicPath,
        querystring: MembersQuery,
        response: {
          200: Type.Object({
            topic: TopicSummary,
            members: MemberPage,
            recentSends: Type.Array(
              Type.Object({
                id: Type.String(),
                title: Type.String(),
                status: NotificationStatus,
                recipients: Type.Integer({ description: 'Its users when it was accepted' }),
                createdAt: Type.String(),
                sendAt: Type.Union([Type.String(), Type.Null()]),
              }),
              { description: 'The latest 20 sends to the topic, newest first' },
            ),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (request) => {
      const { appId, topic } = request.params;
      const found = await topics.get(appId, topic);
      if (!found) throw new Errors.TopicNotFound(topic);
      const page = await topics.members(appId, topic, {
        after: request.query.cursor,
        limit: request.query.limit ?? 100,
      });
      return { topic: found, members: { topic, ...page }, recentSends: await topics.recentSends(appId, topic, 20) };
    },
  );

  fastify.patch(
    '/admin/api/apps/:appId/topics/:topic',
    {
      onRequest: admin,
      schema: {
        summary: 'Create a topic, or change whether users may subscribe themselves',
        tags: ['admin'],
        security: adminSession,
        params: TopicPath,
        headers: CreateOnlyHeaders,
        body: TopicSettings,
        response: { 200: TopicSummary, ...errorResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request) => {
      const { appId, topic } = request.params;
      await apps.mustExist(appId);
      const saved = await topics.put(appId, topic, request.body, createOnly(request.headers));
      await audit(request, saved.created ? 'topic.create' : 'topic.update', topic, { appId, ...request.body });
      const { created: _, ...topicSaved } = saved;
      return topicSaved;
    },
  );

  for (const [path, subscribe] of [
    ['/admin/api/apps/:appId/topics/:topic/subscribers', true],
    ['/admin/api/apps/:appId/topics/:topic/subscribers/remove', false],
  ] as const) {
    fastify.post(
      path,
      {
        onRequest: admin,
        schema: {
          summary: subscribe ? 'Add users to a topic' : 'Take users out of a topic',
          tags: ['admin'],
          security: adminSession,
          params: TopicPath,
          body: MembersBody,
          response: { 200: MembershipChange, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { appId, topic } = request.params;
        await apps.mustExist(appId);
        const { userIds } = request.body;
        const change = subscribe
          ? await topics.subscribe(appId, topic, userIds)
          : await topics.unsubscribe(appId, topic, userIds);
        await audit(request, subscribe ? 'topic.subscribe' : 'topic.unsubscribe', topic, {
          appId,
          userIds: userIds.slice(0, 20),
          users: userIds.length,
          changed: change.changed,
        });
        return change;
      },
    );
  }

  fastify.delete(
    '/admin/api/apps/:appId/topics/:topic',
    {
      onRequest: admin,
      schema: {
        summary: 'Delete a topic and its subscriptions',
        tags: ['admin'],
        security: adminSession,
        params: TopicPath,
        response: {
          200: Type.Object({ topic: Type.String(), deleted: Type.Literal(true) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { appId, topic } = request.params;
      if (!(await topics.remove(appId, topic))) throw new Errors.TopicNotFound(topic);
      await audit(request, 'topic.delete', topic, { appId });
      return { topic, deleted: true as const };
    },
  );
};

export default adminTopics;
