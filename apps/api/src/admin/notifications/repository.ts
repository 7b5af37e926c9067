import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';

export interface NotificationFilter {
  appId?: string;
  status?: string;
  /** A user id one of its recipients has. */
  recipient?: string;
  from?: Date;
  to?: Date;
  /** The last row of the previous page: (createdAt, id), since one batch shares a createdAt. */
  after?: { at: Date; id: string };
  limit: number;
}

/** The notifications log as the dashboard reads it (details, recipients and cancel are log/'s). */
export class NotificationRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The app a notification belongs to, or undefined when there is no such notification. */
  async appOf(id: string): Promise<string | undefined> {
    const n = await this.prisma.notification.findUnique({ where: { id }, select: { appId: true } });
    return n?.appId;
  }

  /** Up to `limit + 1` notifications, newest first. */
  list(filter: NotificationFilter) {
    const createdAt: Prisma.DateTimeFilter = {};
    if (filter.from) createdAt.gte = filter.from;
    if (filter.to) createdAt.lte = filter.to;
    const { after } = filter;
    return this.prisma.notification.findMany({
      where: {
        ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
        ...(filter.appId ? { appId: filter.appId } : {}),
        ...(filter.status ? { status: filter.status as Prisma.EnumNotificationStatusFilter['equals'] } : {}),
        ...(filter.recipient ? { deliveries: { some: { subscriber: { externalId: filter.recipient } } } } : {}),
        ...(Object.keys(createdAt).length ? { createdAt } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit + 1,
    });
  }
}
