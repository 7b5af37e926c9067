import type { PrismaClient } from '../../generated/prisma/client.js';

/** Subscribers as the dashboard reads them: searched by user id, and one's delivery history. */
export class SubscriberRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Up to `limit + 1` subscribers by user id, after `cursor` (the last user id of the previous
   * page), of one app or all, whose user id contains `q` (case-insensitive).
   */
  search(options: { appId?: string; q?: string; cursor?: string; limit: number }) {
    const { appId, q, cursor, limit } = options;
    return this.prisma.subscriber.findMany({
      where: {
        ...(appId ? { appId } : {}),
        ...(q ? { externalId: { contains: q, mode: 'insensitive' as const } } : {}),
        ...(cursor ? { externalId: { gt: cursor, ...(q ? { contains: q, mode: 'insensitive' as const } : {}) } } : {}),
      },
      orderBy: { externalId: 'asc' },
      take: limit + 1,
    });
  }

  find(id: string) {
    return this.prisma.subscriber.findUnique({ where: { id } });
  }

  /**
   * A subscriber's last 50 deliveries, with their notifications' titles: newest first by accept
   * time, as the notifications log (a topic send's or broadcast's receipt has no `seq`, so `seq`
   * cannot order them among the direct sends).
   */
  history(subscriberId: string) {
    return this.prisma.delivery.findMany({
      where: { subscriberId },
      orderBy: [{ notification: { createdAt: 'desc' } }, { notificationId: 'desc' }],
      take: 50,
      include: { notification: { select: { title: true, createdAt: true, dispatchedAt: true } } },
    });
  }
}
