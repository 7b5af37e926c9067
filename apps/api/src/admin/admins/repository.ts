import type { AdminRole, PrismaClient } from '../../generated/prisma/client.js';

/** The dashboard's accounts. */
export class AdminRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Every account, oldest first. */
  list() {
    return this.prisma.admin.findMany({ orderBy: { createdAt: 'asc' } });
  }

  async emailTaken(email: string): Promise<boolean> {
    return (await this.prisma.admin.findUnique({ where: { email } })) !== null;
  }

  create(account: { email: string; passwordHash: string; role: AdminRole }) {
    return this.prisma.admin.create({ data: account });
  }

  find(id: string) {
    return this.prisma.admin.findUnique({ where: { id } });
  }

  /**
   * Deletes an account, unless it is the last owner: the owners' rows are locked first, so two
   * owners removing themselves (or each other) at once take turns, and the second finds itself
   * the last. Returns the deleted account, or why not.
   */
  deleteKeepingAnOwner(id: string) {
    return this.prisma.$transaction(async (tx) => {
      const owners = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM admins WHERE role = 'owner' ORDER BY id FOR UPDATE`;
      const account = await tx.admin.findUnique({ where: { id } });
      if (!account) return { refused: 'missing' as const };
      if (account.role === 'owner' && owners.length <= 1) return { refused: 'last-owner' as const };
      await tx.admin.delete({ where: { id } });
      return { deleted: account };
    });
  }
}
