import type { PrismaClient } from '../../generated/prisma/client.js';

/** The API keys of apps: only their prefixes and hashes are stored, never the keys. */
export class KeyRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** An app's keys, newest first. */
  list(appId: string) {
    return this.prisma.apiKey.findMany({ where: { appId }, orderBy: { createdAt: 'desc' } });
  }

  create(key: { appId: string; name: string; prefix: string; hash: string }) {
    return this.prisma.apiKey.create({ data: key });
  }

  find(id: string) {
    return this.prisma.apiKey.findUnique({ where: { id } });
  }

  revoke(id: string) {
    return this.prisma.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
  }
}
