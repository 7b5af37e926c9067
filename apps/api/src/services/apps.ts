import type { PrismaClient } from '../generated/prisma/client.js';

interface CachedApp {
  id: string;
  jwtSecret: string;
  allowedOrigins: string[];
  expiresAt: number;
}

/**
 * Reads apps (tenants) with a short in-memory cache: every socket handshake needs its app's JWT
 * secret, and a reconnect storm must not become a query storm.
 */
export class AppDirectory {
  private readonly cache = new Map<string, CachedApp>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs = 10_000,
  ) {}

  async get(appId: string): Promise<CachedApp | undefined> {
    const hit = this.cache.get(appId);
    if (hit && hit.expiresAt > Date.now()) return hit;
    const app = await this.prisma.app.findUnique({
      where: { id: appId },
      select: { id: true, jwtSecret: true, allowedOrigins: true },
    });
    if (!app) {
      this.cache.delete(appId);
      return undefined;
    }
    const entry = { ...app, expiresAt: Date.now() + this.ttlMs };
    this.cache.set(appId, entry);
    return entry;
  }

  invalidate(appId: string): void {
    this.cache.delete(appId);
  }
}
