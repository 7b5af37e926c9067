import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import type { Config } from './config/index.js';
import type { Database } from './db/database.js';
import { Errors } from './lib/errors.js';
import type { HeraldMetrics } from './lib/metrics.js';
import type { RedisEndpoint } from './lib/redis-endpoint.js';
import { unstorableText } from './lib/text.js';
import adminAuthPlugin from './plugins/admin-auth.js';
import adminSocketPlugin from './plugins/admin-socket.js';
import authPlugin from './plugins/auth.js';
import databasePlugin from './plugins/database.js';
import docsPlugin from './plugins/docs.js';
import errorsPlugin from './plugins/errors.js';
import metricsPlugin from './plugins/metrics.js';
import queuePlugin from './plugins/queue.js';
import redisPlugin from './plugins/redis.js';
import servicesPlugin from './plugins/services.js';
import socketPlugin from './plugins/socket.js';
import adminAppRoutes from './routes/admin/apps.js';
import adminOperationRoutes from './routes/admin/operations.js';
import adminSessionRoutes from './routes/admin/session.js';
import assetsRoutes from './routes/assets.js';
import demoRoutes, { DEMO_APP_ID } from './routes/demo.js';
import healthRoutes from './routes/health.js';
import inboxRoutes from './routes/inbox.js';
import notificationRoutes from './routes/notifications.js';
import tokenRoutes from './routes/tokens.js';

export interface AppOptions {
  config: Config;
  db: Database;
  redis: RedisEndpoint;
  /** The app that the demo uses and that tokens without `aud` belong to. */
  defaultAppId: string;
  /** Use the Redis adapter so that emits reach sockets on other processes. */
  clusterAdapter: boolean;
  /** The process's metrics, shared with its worker (`all` role); otherwise the app makes its own. */
  metrics?: HeraldMetrics;
  /** A pino logger to use (the process's own); otherwise one is made from the config. */
  loggerInstance?: FastifyBaseLogger;
  logger?: FastifyServerOptions['logger'];
}

/** Composes the HTTP + socket server. Only server.ts listens. */
export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    ...(opts.loggerInstance
      ? { loggerInstance: opts.loggerInstance }
      : { logger: opts.logger ?? { level: opts.config.logLevel } }),
    bodyLimit: opts.config.bodyLimit,
    trustProxy: opts.config.trustProxy,
    // Unknown properties are errors, not silently dropped: a typo must not go unnoticed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: anything else is a 415 rather than a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // Text PostgreSQL cannot store (NUL, lone surrogates) is a 400 here, not a 500 at the database.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['body', request.body],
      ['params', request.params],
      ['querystring', request.query],
    ] as const) {
      const bad = unstorableText(value);
      if (bad) {
        throw new Errors.Invalid(
          `${part}.${bad} contains a NUL character or an unpaired surrogate, which cannot be stored.`,
        );
      }
    }
  });

  // External capabilities.
  await app.register(errorsPlugin);
  await app.register(docsPlugin);
  await app.register(metricsPlugin, { metrics: opts.metrics });
  await app.register(databasePlugin, { db: opts.db });
  await app.register(redisPlugin, { endpoint: opts.redis });
  // Herald's own.
  await app.register(queuePlugin, { prefix: opts.config.queuePrefix });
  await app.register(authPlugin);
  await app.register(servicesPlugin, {
    defaultAppId: opts.defaultAppId,
    freshnessMs: opts.config.popupFreshnessSeconds * 1000,
    queuePrefix: opts.config.queuePrefix,
  });
  await app.register(socketPlugin, {
    adapter: opts.clusterAdapter,
    queuePrefix: opts.config.queuePrefix,
    ackTimeoutMs: opts.config.ackTimeoutMs,
    freshnessMs: opts.config.popupFreshnessSeconds * 1000,
  });
  await app.register(adminAuthPlugin);
  await app.register(adminSocketPlugin);
  // Routes.
  await app.register(healthRoutes);
  await app.register(notificationRoutes);
  await app.register(tokenRoutes, { defaultTtlSeconds: opts.config.tokenTtlSeconds });
  await app.register(inboxRoutes);
  await app.register(adminSessionRoutes, { queuePrefix: opts.config.queuePrefix });
  await app.register(adminAppRoutes);
  await app.register(adminOperationRoutes);
  // The demo page's visitors live in an app of their own, never in the app operators send to.
  if (opts.config.demo) await app.register(demoRoutes, { appId: DEMO_APP_ID });
  await app.register(assetsRoutes, { demo: opts.config.demo });
  return app;
}

export type HeraldApp = Awaited<ReturnType<typeof buildApp>>;
