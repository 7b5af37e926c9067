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

  owners(): Promise<number> {
    return this.prisma.admin.count({ where: { role: 'owner' } });
  }

  async delete(id: string): Promise<void> {
    await this.prisma.admin.delete({ where: { id } });
  }
}
