import type { NotificationStatus, Priority } from '@herald/protocol';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { SHOWN_STATUS, showsAs } from '../../queue/outbox.js';

export interface NotificationFilter {
  appId?: string;
  /** As the list shows it (`SHOWN_STATUS`), not as stored. */
  status?: NotificationStatus;
  /** A user id one of its recipients has. */
  recipient?: string;
  from?: Date;
  to?: Date;
  /** The last row of the previous page: (createdAt, id), since one batch shares a createdAt. */
  after?: { at: Date; id: string };
  limit: number;
}

/** A notification in the log, with the status the API shows for it. */
export interface ListedRow {
  id: string;
  appId: string;
  title: string;
  status: NotificationStatus;
  priority: Priority;
  target: unknown;
  recipientCount: number;
  createdAt: Date;
  sendAt: Date | null;
}

/** Times as text cast to `timestamp`: the columns hold UTC without a zone, and drivers differ on Dates. */
const timestamp = (time: Date) => Prisma.sql`${time.toISOString()}::timestamp`;

/** The filter's conditions on the notification `n`, ANDed. */
function conditions(filter: NotificationFilter): Prisma.Sql[] {
  const { after } = filter;
  return [
    ...(after ? [Prisma.sql`(n.created_at, n.id) < (${timestamp(after.at)}, ${after.id}::uuid)`] : []),
    ...(filter.appId ? [Prisma.sql`n.app_id = ${filter.appId}`] : []),
    ...(filter.recipient
      ? [
          Prisma.sql`EXISTS (SELECT 1 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
                              WHERE d.notification_id = n.id AND s.external_id = ${filter.recipient})`,
        ]
      : []),
    ...(filter.from ? [Prisma.sql`n.created_at >= ${timestamp(filter.from)}`] : []),
    ...(filter.to ? [Prisma.sql`n.created_at <= ${timestamp(filter.to)}`] : []),
  ];
}

const where = (all: Prisma.Sql[]) => (all.length > 0 ? Prisma.sql`WHERE ${Prisma.join(all, ' AND ')}` : Prisma.empty);

/** The notifications log as the dashboard reads it (details, recipients and cancel are log/'s). */
export class NotificationRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** The app a notification belongs to, or undefined when there is no such notification. */
  async appOf(id: string): Promise<string | undefined> {
    const n = await this.prisma.notification.findUnique({ where: { id }, select: { appId: true } });
    return n?.appId;
  }

  /**
   * Up to `limit + 1` notifications, newest first. The status is computed and filtered in this one
   * statement: a send whose job reads it between two queries could otherwise be listed as one
   * status under a filter for the other. A filter that is two conditions (`showsAs`) reads a page
   * of each and keeps the newest.
   */
  list(filter: NotificationFilter): Promise<ListedRow[]> {
    const page = (status: Prisma.Sql | null) => Prisma.sql`
      SELECT n.id::text AS id, n.app_id AS "appId", n.title, ${SHOWN_STATUS} AS status, n.priority,
             n.target, n.recipient_count AS "recipientCount", n.created_at AS "createdAt", n.send_at AS "sendAt"
        FROM notifications n
       ${where([...conditions(filter), ...(status ? [status] : [])])}
       ORDER BY n.created_at DESC, n.id DESC
       LIMIT ${filter.limit + 1}`;
    const parts = filter.status ? showsAs(filter.status) : [null];
    if (parts.length === 1) return this.prisma.$queryRaw<ListedRow[]>(page(parts[0] ?? null));
    const pages = Prisma.join(
      parts.map((s) => Prisma.sql`(${page(s)})`),
      ' UNION ALL ',
    );
    return this.prisma.$queryRaw<ListedRow[]>`
      SELECT * FROM (${pages}) p ORDER BY "createdAt" DESC, id::uuid DESC LIMIT ${filter.limit + 1}`;
  }
}
