import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppDirectory } from '../services/apps.js';
import { DeliveryRecorder } from '../services/delivery-recorder.js';
import { InboxService } from '../services/inbox.js';
import { NotificationService } from '../services/notifications.js';
import { UserTokens } from '../services/user-tokens.js';

declare module 'fastify' {
  interface FastifyInstance {
    apps: AppDirectory;
    recorder: DeliveryRecorder;
    inbox: InboxService;
    notifications: NotificationService;
    userTokens: UserTokens;
  }
}

/** Herald's domain services, built once per app over the shared clients. */
export default fp(
  async function services(
    fastify: FastifyInstance,
    opts: { defaultAppId: string; freshnessMs: number; recorder?: DeliveryRecorder },
  ) {
    const apps = new AppDirectory(fastify.prisma);
    const recorder =
      opts.recorder ??
      new DeliveryRecorder(fastify.prisma, {
        onError: (err, event, count) => fastify.log.error({ err, event, count }, 'could not record delivery events'),
      });
    fastify.decorate('apps', apps);
    fastify.decorate('recorder', recorder);
    // The socket server is registered after the services; emit through it once it exists.
    fastify.decorate('inbox', new InboxService(fastify.prisma, () => fastify.io, opts.freshnessMs));
    fastify.decorate(
      'notifications',
      new NotificationService(fastify.prisma, fastify.notificationsQueue, () => fastify.redis.status === 'ready'),
    );
    fastify.decorate('userTokens', new UserTokens(fastify.jwt, apps, opts.defaultAppId));
    fastify.addHook('onClose', async () => {
      await recorder.flush();
    });
  },
  { name: 'herald-services', dependencies: ['herald-database', 'herald-queue', 'herald-auth'] },
);
