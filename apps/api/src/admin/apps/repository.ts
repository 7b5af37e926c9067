import { newAppVapidKeys } from '../../delivery/push/keys.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { Errors } from '../../platform/lib/errors.js';

/** What an operator may change on an app. */
export interface AppChanges {
  name?: string;
  allowedOrigins?: string[];
  rateLimitPerMinute?: number | null;
  restrictUrls?: boolean;
}

/**
 * How many of a deleted app's waiting jobs (a scheduled send's delayed job, by its notification's
 * id) are removed from the queue with it. Any beyond that run when due and end with nothing to do.
 */
export const WAITING_JOBS = 10_000;

/** The apps (tenants) as the dashboard reads and changes them. */
export class AppRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Every app (or the one with this id), oldest first, with its live keys and subscribers counted. */
  list(id?: string) {
    return this.prisma.app.findMany({
      where: id ? { id } : {},
      orderBy: { createdAt: 'asc' },
      include: {
        _count: {
          select: {
            apiKeys: { where: { revokedAt: null } },
            subscribers: true,
            pushSubscriptions: { where: { status: 'active' } },
          },
        },
      },
    });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.prisma.app.findUnique({ where: { id }, select: { id: true } })) !== null;
  }

  /** Throws 404 HERALD_ERR_APP_NOT_FOUND unless the app exists. */
  async mustExist(id: string): Promise<void> {
    if (!(await this.exists(id))) throw new Errors.AppNotFound(id);
  }

  find(id: string) {
    return this.prisma.app.findUnique({ where: { id } });
  }

  /** A new app and its first API key, in one statement. */
  async create(
    app: AppChanges & { id: string; name: string; jwtSecret: string },
    key: { name: string; prefix: string; hash: string },
  ): Promise<void> {
    await this.prisma.app.create({ data: { ...app, ...newAppVapidKeys(), apiKeys: { create: key } } });
  }

  /**
   * Deletes the app with everything of it, in one transaction (the app held alone, then one
   * DELETE): its keys, users, topics, categories, streams and push subscriptions by foreign key;
   * its notifications, and its users' deliveries and stream entries, by the statement triggers of
   * the cascade_by_trigger and streams migrations.
   * Returns what it had (its API keys' ids among it, and the ids of up to `WAITING_JOBS` of its
   * notifications whose job may still be waiting: scheduled ones first, then queued, and those
   * processing, whose job may wait for a retry), or null when there was no such app.
   */
  async delete(id: string): Promise<{ name: string; subscribers: number; keyIds: string[]; waiting: string[] } | null> {
    const [, rows] = await this.prisma.$transaction([
      // First the app alone (migration app_hold): sends under way finish, later ones wait, then find no app.
      this.prisma.$executeRaw`SELECT herald_hold_app_alone(${id})`,
      this.prisma.$queryRaw<
        Array<{ name: string; subscribers: number; keyIds: string[] | null; waiting: string[] | null }>
      >`
        WITH keys AS (SELECT id FROM api_keys WHERE app_id = ${id}),
             waiting AS (
               SELECT id::text FROM notifications
                WHERE app_id = ${id} AND status IN ('scheduled', 'queued', 'processing')
                ORDER BY status = 'scheduled' DESC LIMIT ${WAITING_JOBS})
        DELETE FROM apps WHERE id = ${id}
        RETURNING name, subscriber_count AS subscribers, (SELECT array_agg(id) FROM keys) AS "keyIds",
                  (SELECT array_agg(id) FROM waiting) AS waiting`,
    ]);
    const gone = rows[0];
    return gone ? { ...gone, keyIds: gone.keyIds ?? [], waiting: gone.waiting ?? [] } : null;
  }

  async update(id: string, changes: AppChanges): Promise<void> {
    await this.prisma.app.update({ where: { id }, data: changes });
  }

  /** A new JWT secret; the one it replaces stays accepted until `previousUntil`. */
  async rotateSecret(
    id: string,
    secrets: { jwtSecret: string; previous: string; rotatedAt: Date; previousUntil: Date },
  ): Promise<void> {
    await this.prisma.app.update({
      where: { id },
      data: {
        jwtSecret: secrets.jwtSecret,
        jwtSecretPrevious: secrets.previous,
        jwtSecretRotatedAt: secrets.rotatedAt,
        jwtSecretPreviousUntil: secrets.previousUntil,
      },
    });
  }

  /** The rotated-out secret is refused from `at` on. */
  async endPreviousSecret(id: string, at: Date): Promise<void> {
    await this.prisma.app.update({ where: { id }, data: { jwtSecretPreviousUntil: at } });
  }
}
