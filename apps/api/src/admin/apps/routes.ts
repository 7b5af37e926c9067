import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { ROTATION_GRACE_S } from '../../auth/app-directory.js';
import { Errors } from '../../platform/lib/errors.js';
import { apiKeyPrefix, generateApiKey, hashApiKey, randomToken } from '../../platform/lib/secrets.js';
import { adminSession } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';

/** The longest a rotated-out secret may stay accepted. */
const MAX_GRACE_S = 7 * 24 * 3600;

const Origin = Type.String({
  pattern: '^https?://[^/\\s]+$',
  maxLength: 300,
  description: 'e.g. https://shop.example.com',
});
// One schema with two types, not a union: with type coercion on, a union would turn null into 0
// (trying the integer first) or 0 into null (trying null first).
const RateLimit = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 0,
  maximum: 10_000_000,
  description:
    'Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); ' +
    "null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit.",
});
const RestrictUrls = Type.Boolean({
  description:
    "When true, a notification's click `url` must be a path or on one of the app's allowed origins (an open " +
    'redirect from popups and the inbox otherwise).',
});
const AppView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  allowedOrigins: Type.Array(Type.String()),
  rateLimitPerMinute: RateLimit,
  /** What null stands for on this server. */
  defaultRateLimitPerMinute: Type.Integer({ description: "The server's default (0: no limit)." }),
  restrictUrls: Type.Boolean({ description: "Click URLs must be paths or on one of the app's allowed origins" }),
  createdAt: Type.String(),
  secretRotatedAt: Type.Union([Type.String(), Type.Null()]),
  previousSecretValidUntil: Type.Union([Type.String(), Type.Null()], {
    description: 'Until when tokens signed with the rotated-out secret are accepted; null when none are',
  }),
  keys: Type.Integer(),
  subscribers: Type.Integer(),
});
const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  createdAt: Type.String(),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
const AppParams = Type.Object({ appId: Type.String({ minLength: 1, maxLength: 64 }) });

/** Apps (tenants), their API keys, JWT secrets and allowed SDK origins. */
const apps: FastifyPluginAsyncTypebox<{ defaultRateLimitPerMinute: number }> = async (fastify, opts) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
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

  const view = async (id?: string) => {
    const rows = await fastify.prisma.app.findMany({
      where: id ? { id } : {},
      orderBy: { createdAt: 'asc' },
      include: { _count: { select: { apiKeys: { where: { revokedAt: null } }, subscribers: true } } },
    });
    return rows.map((a) => ({
      id: a.id,
      name: a.name,
      allowedOrigins: a.allowedOrigins,
      rateLimitPerMinute: a.rateLimitPerMinute,
      defaultRateLimitPerMinute: opts.defaultRateLimitPerMinute,
      restrictUrls: a.restrictUrls,
      createdAt: a.createdAt.toISOString(),
      secretRotatedAt: iso(a.jwtSecretRotatedAt),
      previousSecretValidUntil:
        a.jwtSecretPrevious && a.jwtSecretPreviousUntil && a.jwtSecretPreviousUntil.getTime() > Date.now()
          ? a.jwtSecretPreviousUntil.toISOString()
          : null,
      keys: a._count.apiKeys,
      subscribers: a._count.subscribers,
    }));
  };
  const mustExist = async (appId: string) => {
    const app = await fastify.prisma.app.findUnique({ where: { id: appId }, select: { id: true } });
    if (!app) throw new Errors.AppNotFound(appId);
  };

  fastify.get(
    '/admin/api/apps',
    {
      onRequest: viewer,
      schema: {
        summary: 'Apps (tenants)',
        tags: ['admin'],
        security: adminSession,
        response: { 200: Type.Array(AppView), ...errorResponses(401) },
      },
    },
    async () => view(),
  );

  fastify.post(
    '/admin/api/apps',
    {
      onRequest: admin,
      schema: {
        summary: 'Create an app, with its JWT secret and first API key (both shown once)',
        tags: ['admin'],
        security: adminSession,
        body: Type.Object(
          {
            id: Type.Optional(
              Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'lowercase letters, digits, dashes' }),
            ),
            name: Type.String({ minLength: 1, maxLength: 100 }),
            allowedOrigins: Type.Optional(Type.Array(Origin, { maxItems: 50, uniqueItems: true })),
            rateLimitPerMinute: Type.Optional(RateLimit),
            restrictUrls: Type.Optional(RestrictUrls),
          },
          { additionalProperties: false, examples: [{ name: 'Shop', allowedOrigins: ['https://shop.example'] }] },
        ),
        response: {
          201: Type.Object({ app: AppView, jwtSecret: Type.String(), apiKey: Type.String() }),
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const id =
        request.body.id ??
        `app-${randomToken(6)
          .toLowerCase()
          .replace(/[^a-z0-9]/g, 'x')}`;
      if (await fastify.prisma.app.findUnique({ where: { id } })) throw new Errors.AppExists(id);
      const jwtSecret = randomToken(32);
      const key = generateApiKey();
      await fastify.prisma.app.create({
        data: {
          id,
          name: request.body.name,
          jwtSecret,
          allowedOrigins: request.body.allowedOrigins ?? [],
          rateLimitPerMinute: request.body.rateLimitPerMinute ?? null,
          restrictUrls: request.body.restrictUrls ?? false,
          apiKeys: { create: { name: 'Default key', prefix: apiKeyPrefix(key), hash: hashApiKey(key) } },
        },
      });
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'app.create',
        targetType: 'app',
        targetId: id,
        details: { name: request.body.name },
        ip: request.ip,
      });
      const [app] = await view(id);
      return reply.code(201).send({ app: app as Static<typeof AppView>, jwtSecret, apiKey: key });
    },
  );

  fastify.patch(
    '/admin/api/apps/:appId',
    {
      onRequest: admin,
      schema: {
        summary: 'Rename an app or set the origins allowed to embed the SDK',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            allowedOrigins: Type.Optional(Type.Array(Origin, { maxItems: 50, uniqueItems: true })),
            rateLimitPerMinute: Type.Optional(RateLimit),
            restrictUrls: Type.Optional(RestrictUrls),
          },
          { additionalProperties: false, examples: [{ allowedOrigins: ['https://shop.example'] }] },
        ),
        response: { 200: AppView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await mustExist(request.params.appId);
      await fastify.prisma.app.update({ where: { id: request.params.appId }, data: request.body });
      fastify.apps.invalidate(request.params.appId);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'app.update',
        targetType: 'app',
        targetId: request.params.appId,
        details: request.body,
        ip: request.ip,
      });
      return (await view(request.params.appId))[0] as Static<typeof AppView>;
    },
  );

  fastify.post(
    '/admin/api/apps/:appId/rotate-secret',
    {
      onRequest: admin,
      schema: {
        summary: "Rotate an app's JWT secret",
        description:
          'Tokens signed with the previous secret stay valid for `graceSeconds` (24 hours by default), so users are ' +
          'not cut off; sockets opened with them are closed when the grace ends, unless they refresh their token ' +
          'first. `graceSeconds=0` cuts them all at once (a leaked secret).',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        querystring: Type.Object(
          {
            graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_S, default: ROTATION_GRACE_S })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ jwtSecret: Type.String(), previousValidUntil: Type.String() }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const app = await fastify.prisma.app.findUnique({ where: { id: request.params.appId } });
      if (!app) throw new Errors.AppNotFound(request.params.appId);
      const graceSeconds = request.query.graceSeconds ?? ROTATION_GRACE_S;
      const jwtSecret = randomToken(32);
      const now = new Date();
      const previousValidUntil = new Date(now.getTime() + graceSeconds * 1000);
      await fastify.prisma.app.update({
        where: { id: app.id },
        data: {
          jwtSecret,
          jwtSecretPrevious: app.jwtSecret,
          jwtSecretRotatedAt: now,
          jwtSecretPreviousUntil: previousValidUntil,
        },
      });
      // Every node drops its cached copy and holds its sockets of this app to the new secret.
      fastify.apps.invalidate(app.id);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'app.rotate_secret',
        targetType: 'app',
        targetId: app.id,
        details: { graceSeconds },
        ip: request.ip,
      });
      return { jwtSecret, previousValidUntil: previousValidUntil.toISOString() };
    },
  );

  fastify.post(
    '/admin/api/apps/:appId/revoke-previous-secret',
    {
      onRequest: admin,
      schema: {
        summary: 'End the grace of the rotated-out JWT secret now',
        description:
          'Tokens signed with the previous secret are refused from now on, and every socket opened with one is ' +
          'closed with `closing` `HERALD_ERR_TOKEN_REVOKED`, on every node.',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        response: { 200: AppView, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const app = await fastify.prisma.app.findUnique({ where: { id: request.params.appId } });
      if (!app) throw new Errors.AppNotFound(request.params.appId);
      const now = new Date();
      if (app.jwtSecretPrevious && (app.jwtSecretPreviousUntil?.getTime() ?? 0) > now.getTime()) {
        await fastify.prisma.app.update({ where: { id: app.id }, data: { jwtSecretPreviousUntil: now } });
        await fastify.audit.record({
          actor: request.admin.email,
          adminId: request.admin.id,
          action: 'app.revoke_previous_secret',
          targetType: 'app',
          targetId: app.id,
          ip: request.ip,
        });
      }
      fastify.apps.invalidate(app.id);
      return (await view(app.id))[0] as Static<typeof AppView>;
    },
  );

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
      await mustExist(request.params.appId);
      const keys = await fastify.prisma.apiKey.findMany({
        where: { appId: request.params.appId },
        orderBy: { createdAt: 'desc' },
      });
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
      await mustExist(request.params.appId);
      const secret = generateApiKey();
      const k = await fastify.prisma.apiKey.create({
        data: {
          appId: request.params.appId,
          name: request.body.name,
          prefix: apiKeyPrefix(secret),
          hash: hashApiKey(secret),
        },
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
      const key = await fastify.prisma.apiKey.findUnique({ where: { id: request.params.keyId } });
      if (!key) throw new Errors.KeyNotFound(request.params.keyId);
      const k = key.revokedAt
        ? key
        : await fastify.prisma.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
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

export default apps;
