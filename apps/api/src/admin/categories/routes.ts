import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { adminSession } from '../../schemas/admin.js';
import { CreateOnlyHeaders, createOnly, errorResponses } from '../../schemas/common.js';
import {
  CategoryChange,
  CategoryDeleted,
  CategoryList,
  CategoryParams,
  StoredCategory,
} from '../../schemas/preferences.js';
import { AppRepository } from '../apps/repository.js';
import { AppParams } from '../apps/schemas.js';

const CategoryPath = Type.Object({ ...AppParams.properties, ...CategoryParams.properties });

/**
 * The dashboard's categories: an app's list (viewers), and (admins) the same changes the API
 * offers — create, change, delete — each in the audit log. The work is the `/v1` routes' own
 * repository (preferences/).
 */
const adminCategories: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const apps = new AppRepository(fastify.prisma);
  const categories = fastify.categories;

  const audit = (request: FastifyRequest, action: string, key: string, details: Record<string, unknown>) =>
    fastify.audit.record({
      actor: request.admin.email,
      adminId: request.admin.id,
      action,
      targetType: 'category',
      targetId: key,
      details,
      ip: request.ip,
    });

  fastify.get(
    '/admin/api/apps/:appId/categories',
    {
      onRequest: viewer,
      schema: {
        summary: "An app's categories",
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        response: { 200: CategoryList, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      await apps.mustExist(request.params.appId);
      return { categories: await categories.list(request.params.appId) };
    },
  );

  fastify.put(
    '/admin/api/apps/:appId/categories/:category',
    {
      onRequest: admin,
      schema: {
        summary: 'Create a category, or change it',
        tags: ['admin'],
        security: adminSession,
        params: CategoryPath,
        headers: CreateOnlyHeaders,
        body: CategoryChange,
        response: { 200: StoredCategory, ...errorResponses(400, 401, 403, 404, 409, 412) },
      },
    },
    async (request) => {
      const { appId, category } = request.params;
      await apps.mustExist(appId);
      const saved = await categories.put(appId, category, request.body, createOnly(request.headers));
      await audit(request, saved.created ? 'category.create' : 'category.update', category, { appId, ...request.body });
      const { created: _, ...categorySaved } = saved;
      return categorySaved;
    },
  );

  fastify.delete(
    '/admin/api/apps/:appId/categories/:category',
    {
      onRequest: admin,
      schema: {
        summary: 'Delete a category',
        tags: ['admin'],
        security: adminSession,
        params: CategoryPath,
        response: { 200: CategoryDeleted, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { appId, category } = request.params;
      await apps.mustExist(appId);
      await categories.delete(appId, category);
      await audit(request, 'category.delete', category, { appId });
      return { category, deleted: true as const };
    },
  );
};

export default adminCategories;
