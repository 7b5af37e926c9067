import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MAX_PREFERENCE_KEYS } from '@herald/protocol/schema';
import { MAX_PREFERENCES_BYTES } from '../preferences/repository.js';
import { CreateOnlyHeaders, createOnly, errorResponses } from '../schemas/common.js';
import {
  CategoryChange,
  CategoryDeleted,
  CategoryList,
  CategoryParams,
  Preferences,
  PreferencesPatch,
  StoredCategory,
  UserParams,
} from '../schemas/preferences.js';

const security = [{ apiKey: [] }];

/**
 * Categories and preferences for the integrator's backend: define the kinds of notifications an
 * app sends (each with a default and whether users may turn it off), and read or change a user's
 * choices — the same ones the user makes in the SDK's preferences panel.
 */
const preferences: FastifyPluginAsyncTypebox = async (fastify) => {
  const categories = fastify.categories;
  const users = fastify.preferences;

  fastify.get(
    '/v1/categories',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "The app's categories",
        description: 'In key order.',
        tags: ['preferences'],
        security,
        response: { 200: CategoryList, ...errorResponses(401, 429) },
      },
    },
    async (request) => ({ categories: await categories.list(request.tenant.appId) }),
  );

  fastify.put(
    '/v1/categories/:category',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Create a category, or change it',
        description:
          'Fields left out keep their value; a new category is named by its key, pops up by default and is not ' +
          'required. A send names it in `category`; at most 100 per app. With `If-None-Match: *` it is only ' +
          'created: one that exists is left as it is, with 412 `HERALD_ERR_CATEGORY_EXISTS`.',
        tags: ['preferences'],
        security,
        params: CategoryParams,
        headers: CreateOnlyHeaders,
        body: CategoryChange,
        response: { 200: StoredCategory, ...errorResponses(400, 401, 409, 412, 413, 415, 429) },
      },
    },
    async (request) => {
      const { created: _, ...saved } = await categories.put(
        request.tenant.appId,
        request.params.category,
        request.body,
        createOnly(request.headers),
      );
      return saved;
    },
  );

  fastify.delete(
    '/v1/categories/:category',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: 'Delete a category',
        description:
          "Notifications that named it keep its key and count as uncategorised from now on; users' choices for it are kept, unused.",
        tags: ['preferences'],
        security,
        params: CategoryParams,
        response: { 200: CategoryDeleted, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (request) => {
      await categories.delete(request.tenant.appId, request.params.category);
      return { category: request.params.category, deleted: true as const };
    },
  );

  fastify.get(
    '/v1/users/:userId/preferences',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "A user's preferences",
        description:
          'A user Herald has not seen has made no choice: every default applies. A user holds at most ' +
          `${MAX_PREFERENCES_BYTES / 1024} KB of choices (see the PATCH).`,
        tags: ['preferences'],
        security,
        params: UserParams,
        response: { 200: Preferences, ...errorResponses(400, 401, 429) },
      },
    },
    async (request) => users.get(request.tenant.appId, request.params.userId),
  );

  fastify.patch(
    '/v1/users/:userId/preferences',
    {
      onRequest: fastify.apiRateLimit.read,
      schema: {
        summary: "Change a user's preferences",
        description:
          'Per category and per topic: `popup`, `inbox` (no popup) or `off`; `null` forgets a choice (the default ' +
          'applies again). Keys left out stay as they are. `quietHours` replaces the quiet hours (`null`: none). ' +
          "A required category cannot be turned off. The user's open devices follow at once. A change names at " +
          `most ${MAX_PREFERENCE_KEYS} categories and ${MAX_PREFERENCE_KEYS} topics, and a user's stored choices ` +
          `(categories, topics and quiet hours together) hold at most ${MAX_PREFERENCES_BYTES / 1024} KB, some ` +
          '1,000 topic choices: a change that would grow them past it is refused whole with 400 ' +
          '`HERALD_ERR_PREFERENCES_TOO_LARGE` (forget choices with `null` to make room).',
        tags: ['preferences'],
        security,
        params: UserParams,
        body: PreferencesPatch,
        response: { 200: Preferences, ...errorResponses(400, 401, 404, 413, 415, 429) },
      },
    },
    async (request) => users.patch(request.tenant.appId, request.params.userId, request.body),
  );
};

export default preferences;
