import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { keysetPage, timeCursor, toTimeCursor } from '../../platform/lib/cursor.js';

export interface AuditEntry {
  actor: string;
  adminId?: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
  ip?: string;
}

/** The audit log: who did what and when. Writing never fails the action it records. */
export class AuditLog {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.prisma.auditEvent
      .create({
        data: {
          actor: entry.actor,
          adminId: entry.adminId ?? null,
          action: entry.action,
          targetType: entry.targetType ?? null,
          targetId: entry.targetId ?? null,
          details: (entry.details ?? undefined) as Prisma.InputJsonValue | undefined,
          ip: entry.ip ?? null,
        },
      })
      .catch(this.onError);
  }

  async list(options: { cursor?: string; limit: number; action?: string }) {
    // The cursor is the last row's (createdAt, id), so rows sharing a time are not skipped.
    const after = options.cursor ? timeCursor(options.cursor) : undefined;
    const rows = await this.prisma.auditEvent.findMany({
      where: {
        ...(options.action ? { action: { startsWith: options.action } } : {}),
        ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: options.limit + 1,
    });
    const { page, nextCursor } = keysetPage(rows, options.limit, toTimeCursor);
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.createdAt.toISOString(),
        actor: r.actor,
        action: r.action,
        targetType: r.targetType,
        targetId: r.targetId,
        details: r.details,
        ip: r.ip,
      })),
      nextCursor,
    };
  }
}
