import { AdminEvent } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AuditLog } from './admin/audit/repository.js';
import { deliveryStatsHook, Stats } from './admin/stats/repository.js';
import { AppDirectory } from './auth/app-directory.js';
import { UserTokens } from './auth/user-tokens.js';
import type { EndpointPolicy } from './delivery/push/endpoint.js';
import { VapidKeyStore } from './delivery/push/keys.js';
import { PushSubscriptionStore } from './delivery/push/subscriptions.js';
import { DeliveryRecorder } from './delivery/recorder.js';
import type { DispatchHandoff } from './fanout/handoff.js';
import { adminNamespace } from './gateway/types.js';
import { InboxService } from './inbox/inbox.js';
import { type AcceptedEvent, NotificationService } from './intake/notifications.js';
import { NotificationLog } from './log/notification-log.js';
import { CategoryRepository } from './preferences/categories.js';
import { PreferenceRepository } from './preferences/repository.js';
import { TopicRepository } from './topics/repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    apps: AppDirectory;
    audit: AuditLog;
    stats: Stats;
    recorder: DeliveryRecorder;
    inbox: InboxService;
    notifications: NotificationService;
    notificationLog: NotificationLog;
    topics: TopicRepository;
    categories: CategoryRepository;
    preferences: PreferenceRepository;
    userTokens: UserTokens;
    vapid: VapidKeyStore;
    pushSubscriptions: PushSubscriptionStore;
  }
}

/** Herald's domain services, built once per app over the shared clients. */
export default fp(
  async function services(
    fastify: FastifyInstance,
    opts: {
      defaultAppId: string;
      freshnessMs: number;
      queuePrefix: string;
      maxTokenLifetimeSeconds?: number;
      recorder?: DeliveryRecorder;
      /** Which push endpoints are taken: public https ones by default (private ones for tests). */
      pushPolicy?: EndpointPolicy;
      /** This process's worker's (the `all` role): what accepted sends' jobs will emit goes to it. */
      handoff?: DispatchHandoff;
    },
  ) {
    const apps = new AppDirectory(fastify.prisma);
    const stats = new Stats(fastify.redis, opts.queuePrefix);
    // One hook for acks and reads alike: one set of counters, one debounced push to admins.
    const toAdmins = deliveryStatsHook(stats, (change) => {
      if (fastify.io) adminNamespace(fastify.io).emit(AdminEvent.Deliveries, change);
    });
    const onDeliveryChange: typeof toAdmins = (event, count, notificationIds) => {
      if (event !== 'sent' && event !== 'closed' && count > 0) fastify.metrics.deliveries.inc({ event }, count);
      toAdmins(event, count, notificationIds);
    };
    const recorder =
      opts.recorder ??
      new DeliveryRecorder(fastify.sql, {
        onError: (err, event, count) => fastify.log.error({ err, event, count }, 'could not record delivery events'),
        onWritten: onDeliveryChange,
      });
    fastify.decorate('stats', stats);
    fastify.decorate(
      'audit',
      new AuditLog(fastify.prisma, (err) => fastify.log.error({ err }, 'could not write the audit log')),
    );
    fastify.decorate('apps', apps);
    fastify.decorate('topics', new TopicRepository(fastify.sql));
    fastify.decorate('categories', new CategoryRepository(fastify.sql, apps));
    fastify.decorate('preferences', new PreferenceRepository(fastify.sql));
    const vapid = new VapidKeyStore(fastify.sql);
    fastify.decorate('vapid', vapid);
    fastify.decorate(
      'pushSubscriptions',
      new PushSubscriptionStore(fastify.sql, vapid, apps, opts.pushPolicy ?? { allowPrivate: false }),
    );
    fastify.decorate('recorder', recorder);
    // The socket server is registered after the services; emit through it once it exists.
    fastify.decorate(
      'inbox',
      new InboxService(fastify.prisma, fastify.sql, () => fastify.io, opts.freshnessMs, onDeliveryChange),
    );
    const onAccepted = (accepted: AcceptedEvent[]) => {
      stats.incr('sent', accepted.length);
      for (const { source, priority } of accepted) fastify.metrics.accepted.inc({ source, priority });
      const admins = fastify.io ? adminNamespace(fastify.io) : undefined;
      for (const { item } of accepted.slice(0, 50)) admins?.emit(AdminEvent.Accepted, item);
    };
    fastify.decorate(
      'notifications',
      new NotificationService(
        fastify.prisma,
        fastify.sql,
        fastify.notificationsQueue,
        () => fastify.redis.status === 'ready',
        onAccepted,
        (err, count) =>
          fastify.log.warn(
            { err, count },
            'Redis did not take the jobs of accepted notifications in time; the housekeeping sweep will queue them',
          ),
        async (appId) => {
          const app = await apps.get(appId);
          return { clickOrigins: app?.restrictUrls ? app.allowedOrigins : null, categories: app?.categories };
        },
        opts.handoff,
      ),
    );
    fastify.decorate('notificationLog', new NotificationLog(fastify.prisma, fastify.notificationsQueue));
    fastify.decorate('userTokens', new UserTokens(fastify.jwt, apps, opts.defaultAppId, opts.maxTokenLifetimeSeconds));
    fastify.addHook('onClose', async () => {
      await recorder.flush();
      await stats.flush();
    });
  },
  { name: 'herald-services', dependencies: ['herald-database', 'herald-queue', 'herald-auth', 'herald-metrics'] },
);
