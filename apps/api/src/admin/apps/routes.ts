// Past 300 lines: one plugin holds an app's routes, which share its view and its repository.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { ROTATION_GRACE_S } from '../../auth/app-directory.js';
import { Errors } from '../../platform/lib/errors.js';
import { apiKeyPrefix, generateApiKey, hashApiKey, randomToken } from '../../platform/lib/secrets.js';
import { removeJobs } from '../../queue/notifications.js';
import { adminSession, Ok } from '../../schemas/admin.js';
import { errorResponses, refusedWith } from '../../schemas/common.js';
import { DEFAULT_APP_ID } from '../bootstrap.js';
import { AppRepository } from './repository.js';
import { AppParams, AppView, Origin, RateLimit, RestrictUrls } from './schemas.js';

/** The longest a rotated-out secret may stay accepted. */
const MAX_GRACE_S = 7 * 24 * 3600;

/** Apps (tenants): their JWT secrets, allowed SDK origins, URL policy and rate limit. Their API keys are in admin/keys. */
const apps: FastifyPluginAsyncTypebox<{ defaultRateLimitPerMinute: number }> = async (fastify, opts) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const repository = new AppRepository(fastify.prisma);
  const view = async (id?: string) => {
    const rows = await repository.list(id);
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
      vapidPublicKey: a.vapidPublicKey,
      vapidRotatedAt: iso(a.vapidRotatedAt),
      pushSubscriptions: a._count.pushSubscriptions,
    }));
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
              Type.String({
                pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
                description: 'lowercase letters, digits, dashes',
                ...refusedWith({
                  pattern: {
                    code: 'HERALD_ERR_VALIDATION',
                    message:
                      'is not an app id: 2 to 63 lowercase letters, digits and dashes, starting with a letter or digit',
                  },
                }),
              }),
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
      if (await repository.exists(id)) throw new Errors.AppExists(id);
      const jwtSecret = randomToken(32);
      const key = generateApiKey();
      await repository.create(
        {
          id,
          name: request.body.name,
          jwtSecret,
          allowedOrigins: request.body.allowedOrigins ?? [],
          rateLimitPerMinute: request.body.rateLimitPerMinute ?? null,
          restrictUrls: request.body.restrictUrls ?? false,
        },
        { name: 'Default key', prefix: apiKeyPrefix(key), hash: hashApiKey(key) },
      );
      // On every node: an id looked for before it existed is not "no such app" any more.
      fastify.apps.invalidate(id);
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
      await repository.mustExist(request.params.appId);
      await repository.update(request.params.appId, request.body);
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

  fastify.delete(
    '/admin/api/apps/:appId',
    {
      onRequest: admin,
      schema: {
        summary: 'Delete an app, with its keys, users and every notification of it',
        description:
          'Everything of the app goes, at once and for good: its API keys (calls with them get 401), its users, ' +
          "topics, categories and push subscriptions, its notifications and their deliveries (a scheduled send's " +
          "job leaves the queue too). Its users' sockets " +
          'are closed on every node with `closing` `HERALD_ERR_APP_UNKNOWN`. The default app cannot be deleted ' +
          '(409 `HERALD_ERR_APP_DEFAULT`): every start makes it again.',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        response: { 200: Ok, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { appId } = request.params;
      if (appId === DEFAULT_APP_ID) throw new Errors.DefaultApp();
      const gone = await repository.delete(appId);
      if (!gone) throw new Errors.AppNotFound(appId);
      // Every node forgets it and its keys (a cached key would still name it), and closes its
      // sockets of it (gateway/credentials.ts).
      for (const keyId of gone.keyIds) {
        fastify.forgetApiKey(keyId);
        fastify.tellNodes('herald:key-revoked', keyId);
      }
      fastify.apps.invalidate(appId);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'app.delete',
        targetType: 'app',
        targetId: appId,
        details: { name: gone.name, subscribers: gone.subscribers },
        ip: request.ip,
      });
      // Its scheduled sends' delayed jobs would wait in the queue (and its counts) until due.
      await removeJobs(fastify.notificationsQueue, gone.waiting);
      return { ok: true as const };
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
      const app = await repository.find(request.params.appId);
      if (!app) throw new Errors.AppNotFound(request.params.appId);
      const graceSeconds = request.query.graceSeconds ?? ROTATION_GRACE_S;
      const jwtSecret = randomToken(32);
      const now = new Date();
      const previousValidUntil = new Date(now.getTime() + graceSeconds * 1000);
      await repository.rotateSecret(app.id, {
        jwtSecret,
        previous: app.jwtSecret,
        rotatedAt: now,
        previousUntil: previousValidUntil,
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
    '/admin/api/apps/:appId/rotate-push-key',
    {
      onRequest: admin,
      schema: {
        summary: "Rotate an app's VAPID key pair (Web Push)",
        description:
          'A new key pair; push services refuse pushes signed with it for subscriptions made with the old one, so ' +
          'every such subscription is marked for re-subscription and gets no push until its browser subscribes ' +
          'again — which the SDK does on its next connect (at once for a connected one that registers). The ' +
          'private key is never shown.',
        tags: ['admin'],
        security: adminSession,
        params: AppParams,
        response: {
          200: Type.Object({
            vapidPublicKey: Type.String(),
            marked: Type.Integer({ description: 'Subscriptions marked for re-subscription' }),
          }),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      const rotated = await fastify.vapid.rotate(request.params.appId);
      if (!rotated) throw new Errors.AppNotFound(request.params.appId);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'app.rotate_push_key',
        targetType: 'app',
        targetId: request.params.appId,
        details: { marked: rotated.marked },
        ip: request.ip,
      });
      return { vapidPublicKey: rotated.publicKey, marked: rotated.marked };
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
      const app = await repository.find(request.params.appId);
      if (!app) throw new Errors.AppNotFound(request.params.appId);
      const now = new Date();
      if (app.jwtSecretPrevious && (app.jwtSecretPreviousUntil?.getTime() ?? 0) > now.getTime()) {
        await repository.endPreviousSecret(app.id, now);
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
};

export default apps;
