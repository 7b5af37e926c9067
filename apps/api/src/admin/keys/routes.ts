import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../../platform/lib/errors.js';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../../platform/lib/secrets.js';
import { adminSession } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import { AppRepository } from '../apps/repository.js';
import { AppParams } from '../apps/schemas.js';
import { KeyRepository } from './repository.js';

const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});

/** Apps' API keys: listed by prefix, created (the key shown once), revoked on every node at once. */
const keys: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const repository = new KeyRepository(fastify.prisma);
  const apps = new AppRepository(fastify.prisma);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const keyView = (k: {
    id: string;
    name: string;
    prefix: string;
    createdAt: Date;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
  }) => ({
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  });

  fastify.get(
    '/admin/api/apps/:appId/keys',
    {
      onRequest: viewer,
      schema: {
        summary: "An app's API keys (their prefixes, never the keys)",
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        response: { 200: Type.Array(KeyView), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      await apps.mustExist(request.params.appId);
      const keys = await repository.list(request.params.appId);
      return keys.map(keyView);
    },
  );

  fastify.post(
    '/admin/api/apps/:appId/keys',
    {
      onRequest: admin,
      schema: {
        summary: 'Create an API key (the key is shown once)',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false, examples: [{ name: 'Backend' }] },
        ),
        response: { 201: Type.Object({ key: KeyView, secret: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await apps.mustExist(request.params.appId);
      const secret = generateApiKey();
      const k = await repository.create({
        appId: request.params.appId,
        name: request.body.name,
        prefix: apiKeyPrefix(secret),
        hash: hashApiKey(secret),
      });
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'key.create',
        targetType: 'api_key',
        targetId: k.id,
        details: { appId: request.params.appId, name: k.name, prefix: k.prefix },
        ip: request.ip,
      });
      return reply.code(201).send({ key: keyView(k), secret });
    },
  );

  fastify.post(
    '/admin/api/keys/:keyId/revoke',
    {
      onRequest: admin,
      schema: {
        summary: 'Revoke an API key: its next call is refused',
        tags: ['admin'],
        security: adminSession,
        params: Type.Object({ keyId: Type.String({ format: 'uuid' }) }),
        response: { 200: KeyView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const key = await repository.find(request.params.keyId);
      if (!key) throw new Errors.KeyNotFound(request.params.keyId);
      const k = key.revokedAt ? key : await repository.revoke(key.id);
      // Every node drops it from its cache now: its next call is refused wherever it lands.
      fastify.forgetApiKey(k.id);
      fastify.tellNodes('herald:key-revoked', k.id);
      if (!key.revokedAt) {
        await fastify.audit.record({
          actor: request.admin.email,
          adminId: request.admin.id,
          action: 'key.revoke',
          targetType: 'api_key',
          targetId: k.id,
          details: { appId: k.appId, prefix: k.prefix },
          ip: request.ip,
        });
      }
      return keyView(k);
    },
  );
};

export default keys;
