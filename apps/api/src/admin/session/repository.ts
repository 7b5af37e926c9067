import type { PrismaClient } from '../../generated/prisma/client.js';

/** Dashboard sessions, kept by the hash of their token, and the accounts that sign in. */
export class SessionRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** A session and its admin. */
  find(id: string) {
    return this.prisma.adminSession.findUnique({ where: { id }, include: { admin: true } });
  }

  /** Notes that a session was used (best effort: a failure only leaves an older time). */
  async touch(id: string): Promise<void> {
    await this.prisma.adminSession.update({ where: { id }, data: { lastSeenAt: new Date() } }).catch(() => {});
  }

  /** Which of these sessions still exist, with when they expire. */
  existing(ids: string[]) {
    return this.prisma.adminSession.findMany({ where: { id: { in: ids } }, select: { id: true, expiresAt: true } });
  }

  adminByEmail(email: string) {
    return this.prisma.admin.findUnique({ where: { email: email.toLowerCase() } });
  }

  /** A new session of an admin, who is recorded as having signed in now. */
  async start(session: {
    id: string;
    adminId: string;
    expiresAt: Date;
    ip: string;
    userAgent: string | null;
  }): Promise<void> {
    await this.prisma.adminSession.create({ data: session });
    await this.prisma.admin.update({ where: { id: session.adminId }, data: { lastLoginAt: new Date() } });
  }

  async end(id: string): Promise<void> {
    await this.prisma.adminSession.deleteMany({ where: { id } });
  }

  /** Ends every session of an admin. */
  async endAll(adminId: string): Promise<void> {
    await this.prisma.adminSession.deleteMany({ where: { adminId } });
  }
}
