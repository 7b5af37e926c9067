import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions, LogController } from 'fastify';
import adminAccountRoutes from './admin/admins/routes.js';
import adminAppRoutes from './admin/apps/routes.js';
import adminAuditRoutes from './admin/audit/routes.js';
import adminCategoryRoutes from './admin/categories/routes.js';
import adminKeyRoutes from './admin/keys/routes.js';
import adminNotificationRoutes from './admin/notifications/routes.js';
import adminQueueRoutes from './admin/queue/routes.js';
import adminAuthPlugin, { SESSION_COOKIE } from './admin/session/admin-auth.js';
import adminSessionRoutes from './admin/session/routes.js';
import adminChannelPlugin from './admin/socket/channel.js';
import adminPresencePlugin from './admin/socket/presence.js';
import adminStatsPlugin from './admin/socket/stats.js';
import adminOverviewRoutes from './admin/stats/routes.js';
import adminSubscriberRoutes from './admin/subscribers/routes.js';
import adminTopicRoutes from './admin/topics/routes.js';
import authPlugin from './auth/api-keys.js';
import type { DispatchHandoff } from './fanout/handoff.js';
import socketLimitsPlugin from './gateway/socket-limits.js';
import socketPlugin from './gateway/socket-server.js';
import type { ResolvedConfig } from './platform/config/index.js';
import type { Database } from './platform/db/database.js';
import databasePlugin from './platform/db/plugin.js';
import connectionLimitsPlugin from './platform/http/connection-limits.js';
import docsPlugin from './platform/http/docs.js';
import errorsPlugin, { clientErrorHandler, frameworkErrors } from './platform/http/errors.js';
import hostCheckPlugin from './platform/http/host-check.js';
import inputPlugin, { exactBodies } from './platform/http/input.js';
import rateLimitsPlugin from './platform/http/rate-limits.js';
import securityHeadersPlugin from './platform/http/security-headers.js';
import { errorAnnotations } from './platform/http/validation-errors.js';
import { Errors } from './platform/lib/errors.js';
import type { HeraldMetrics } from './platform/metrics/metrics.js';
import metricsPlugin from './platform/metrics/plugin.js';
import type { RedisEndpoint } from './platform/redis/endpoint.js';
import redisPlugin from './platform/redis/plugin.js';
import queuePlugin from './queue/producer.js';
import assetsRoutes, { servedPages } from './routes/assets.js';
import demoRoutes, { DEMO_APP_ID } from './routes/demo.js';
import healthRoutes, { READY_TIMEOUT_MS } from './routes/health.js';
import inboxRoutes from './routes/inbox.js';
import notificationRoutes from './routes/notifications.js';
import preferenceRoutes from './routes/preferences.js';
import pushRoutes, { pushCors } from './routes/push.js';
import tokenRoutes from './routes/tokens.js';
import topicRoutes from './routes/topics.js';
import servicesPlugin from './services.js';

export interface AppOptions {
  /** The queue prefix settled (given, or derived from the installation id): it names every Redis key and channel. */
  config: ResolvedConfig;
  db: Database;
  redis: RedisEndpoint;
  /** The app that the demo uses and that tokens without `aud` belong to. */
  defaultAppId: string;
  /** Use the Redis adapter so that emits reach sockets on other processes. */
  clusterAdapter: boolean;
  /** The process's metrics, shared with its worker (`all` role); otherwise the app makes its own. */
  metrics?: HeraldMetrics;
  /** Shared with this process's worker (the `all` role): see fanout/handoff.ts. */
  handoff?: DispatchHandoff;
  /** A pino logger to use (the process's own); otherwise one is made from the config. */
  loggerInstance?: FastifyBaseLogger;
  logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** From now on, new HTTP requests are refused with 503 HERALD_ERR_SHUTTING_DOWN (shutdown has begun). */
    stopAccepting(): void;
  }
}

/** Longer than any request line Node's HTTP parser accepts (16 KB by default). */
const MAX_URL_LENGTH = 65_536;

/** Composes the HTTP + socket server. Only server.ts listens. */
export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    ...(opts.loggerInstance
      ? { loggerInstance: opts.loggerInstance }
      : { logger: opts.logger ?? { level: opts.config.logLevel } }),
    // One line per request, when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.config.bodyLimit,
    trustProxy: opts.config.trustProxy,
    // Path parameters are limited by each route's schema (a 4xx in Herald's format, after the
    // credentials are checked), not cut short by the router: it takes any path Node accepts.
    routerOptions: { maxParamLength: MAX_URL_LENGTH },
    frameworkErrors,
    clientErrorHandler,
    ajv: {
      // Unknown properties are errors, not silently dropped: a typo must not go unnoticed.
      // `verbose` hands the failing schema to the error handler, for its `x-herald-error` sentences.
      customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false, verbose: true },
      plugins: [errorAnnotations],
    },
    schemaController: { compilersFactory: { buildValidator: exactBodies() } },
    // A client that stalls (slowloris: headers or a body a byte at a time, or nothing at all) is
    // cut off here instead of holding a file descriptor for ever. Node checks these deadlines
    // every second. WebSockets leave the HTTP server's timeouts behind when they upgrade, and
    // long-polling requests are complete once their headers arrive, so neither is affected; the
    // idle timeout stays above the 25 s a long-polling response may wait.
    connectionTimeout: opts.config.idleTimeoutMs,
    keepAliveTimeout: opts.config.keepAliveTimeoutMs,
    requestTimeout: opts.config.requestTimeoutMs,
    http: {
      headersTimeout: opts.config.headersTimeoutMs,
      requestTimeout: opts.config.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    // Requests that arrive while the server closes are refused below, in Herald's format (Fastify's
    // own 503 has no code and no sentence).
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Once stopping has begun (SIGTERM: `stopAccepting`, before the worker stops; or the server's
  // close): new requests get a 503 saying so, nothing is stored, and their keep-alive connections
  // are closed, /readyz included, so that a load balancer moves on; requests under way finish.
  let closing = false;
  app.decorate('stopAccepting', () => {
    closing = true;
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close').header('retry-after', '1');
    throw new Errors.ShuttingDown();
  });

  // The access log: one line per answered request (Fastify's own two per request are off, above).
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request answered',
    );
  });

  // External capabilities.
  await app.register(errorsPlugin);
  await app.register(inputPlugin);
  await app.register(hostCheckPlugin, { host: opts.config.host, publicUrl: opts.config.publicUrl });
  await app.register(securityHeadersPlugin, { pages: servedPages() });
  await app.register(docsPlugin, { sessionCookie: SESSION_COOKIE });
  await app.register(metricsPlugin, { metrics: opts.metrics });
  await app.register(connectionLimitsPlugin, {
    maxPerAddress: opts.config.maxConnectionsPerAddress,
    trustProxy: opts.config.trustProxy,
  });
  await app.register(databasePlugin, { db: opts.db });
  await app.register(redisPlugin, { endpoint: opts.redis, commandTimeoutMs: opts.config.redisTimeoutMs });
  // Herald's own.
  await app.register(queuePlugin, { prefix: opts.config.queuePrefix });
  await app.register(authPlugin);
  await app.register(servicesPlugin, {
    defaultAppId: opts.defaultAppId,
    freshnessMs: opts.config.popupFreshnessSeconds * 1000,
    queuePrefix: opts.config.queuePrefix,
    maxTokenLifetimeSeconds: opts.config.maxTokenLifetimeSeconds,
    pushPolicy: { allowPrivate: opts.config.push.allowPrivate, hosts: opts.config.push.hosts },
    handoff: opts.handoff,
  });
  await app.register(socketPlugin, {
    adapter: opts.clusterAdapter,
    queuePrefix: opts.config.queuePrefix,
    ackTimeoutMs: opts.config.ackTimeoutMs,
    freshnessMs: opts.config.popupFreshnessSeconds * 1000,
    trustProxy: opts.config.trustProxy,
  });
  await app.register(socketLimitsPlugin, { scale: opts.config.socketRateScale });
  await app.register(rateLimitsPlugin, {
    prefix: opts.config.queuePrefix,
    defaultPerMinute: opts.config.rateLimitPerMinute,
    recipientsPerSecond: opts.config.recipientsPerSecond,
  });
  await app.register(adminAuthPlugin, { publicUrl: opts.config.publicUrl });
  await app.register(adminChannelPlugin, { publicUrl: opts.config.publicUrl, cluster: opts.clusterAdapter });
  await app.register(adminStatsPlugin);
  await app.register(adminPresencePlugin);
  // Routes.
  await app.register(healthRoutes, { timeoutMs: Math.min(opts.config.redisTimeoutMs, READY_TIMEOUT_MS) });
  await app.register(pushCors);
  await app.register(pushRoutes);
  // The integrator's API, `/v1`: the API key is checked before anything else (a caller without a
  // valid key learns nothing about the schema), once for all of its routes.
  await app.register(async (v1) => {
    v1.addHook('onRequest', v1.requireApiKey);
    await v1.register(notificationRoutes);
    await v1.register(tokenRoutes, { defaultTtlSeconds: opts.config.tokenTtlSeconds });
    await v1.register(inboxRoutes);
    await v1.register(topicRoutes);
    await v1.register(preferenceRoutes);
  });
  await app.register(adminSessionRoutes, { queuePrefix: opts.config.queuePrefix });
  await app.register(adminAppRoutes, { defaultRateLimitPerMinute: opts.config.rateLimitPerMinute });
  await app.register(adminKeyRoutes);
  await app.register(adminOverviewRoutes);
  await app.register(adminNotificationRoutes, { confirmSendAbove: opts.config.confirmSendAbove });
  await app.register(adminSubscriberRoutes);
  await app.register(adminTopicRoutes);
  await app.register(adminCategoryRoutes);
  await app.register(adminQueueRoutes);
  await app.register(adminAuditRoutes);
  await app.register(adminAccountRoutes);
  // The demo page's visitors live in an app of their own, never in the app operators send to.
  if (opts.config.demo) await app.register(demoRoutes, { appId: DEMO_APP_ID });
  await app.register(assetsRoutes, { demo: opts.config.demo });
  return app;
}

export type HeraldApp = Awaited<ReturnType<typeof buildApp>>;
