import type { PrismaClient } from '../../generated/prisma/client.js';
import { Errors } from '../../platform/lib/errors.js';
import { unstorableText } from '../../platform/lib/text.js';

/** Where a page of subscribers ends: its last one's user id and app. */
export interface SubscriberCursor {
  userId: string;
  appId: string;
}

/** A page's `nextCursor`: its last subscriber's user id and app (read back by `subscriberCursor`). */
export const toSubscriberCursor = (s: { externalId: string; appId: string }) =>
  Buffer.from(JSON.stringify([s.externalId, s.appId])).toString('base64url');

/** The position a `nextCursor` of the subscribers list names, else a 400 HERALD_ERR_CURSOR_INVALID. */
export function subscriberCursor(cursor: string): SubscriberCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Errors.CursorInvalid();
  }
  // Two strings, as the list wrote them: text it could have stored (no NUL, no lone surrogate).
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((v) => typeof v === 'string') ||
    unstorableText(parsed) !== undefined
  ) {
    throw new Errors.CursorInvalid();
  }
  const [userId, appId] = parsed as [string, string];
  return { userId, appId };
}

/** Subscribers as the dashboard reads them: searched by user id, and one's delivery history. */
export class SubscriberRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Up to `limit + 1` subscribers by user id, then app (one user id may be in several apps), after
   * `cursor` (the previous page's last), of one app or all, whose user id contains `q`
   * (case-insensitive).
   */
  search(options: { appId?: string; q?: string; cursor?: SubscriberCursor; limit: number }) {
    const { appId, q, cursor, limit } = options;
    return this.prisma.subscriber.findMany({
      where: {
        AND: [
          appId ? { appId } : {},
          q ? { externalId: { contains: q, mode: 'insensitive' as const } } : {},
          cursor
            ? {
                OR: [{ externalId: { gt: cursor.userId } }, { externalId: cursor.userId, appId: { gt: cursor.appId } }],
              }
            : {},
        ],
      },
      orderBy: [{ externalId: 'asc' }, { appId: 'asc' }],
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
