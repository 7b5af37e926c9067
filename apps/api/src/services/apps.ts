import type { PrismaClient } from '../generated/prisma/client.js';

interface CachedApp {
  id: string;
  jwtSecret: string;
  /** The secret before the last rotation, while it is still honoured. */
  previousSecret: string | null;
  allowedOrigins: string[];
  /** Requests per minute per API key and route group; null: the server's default. */
  rateLimitPerMinute: number | null;
  expiresAt: number;
}

/** Tokens signed with a rotated-out secret keep working this long, so users are not cut off. */
export const ROTATION_GRACE_MS = 24 * 3600 * 1000;

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
      select: {
        id: true,
        jwtSecret: true,
        allowedOrigins: true,
        jwtSecretPrevious: true,
        jwtSecretRotatedAt: true,
        rateLimitPerMinute: true,
      },
    });
    if (!app) {
      this.cache.delete(appId);
      return undefined;
    }
    const graceful = app.jwtSecretRotatedAt && Date.now() - app.jwtSecretRotatedAt.getTime() < ROTATION_GRACE_MS;
    const entry = {
      id: app.id,
      jwtSecret: app.jwtSecret,
      previousSecret: graceful ? app.jwtSecretPrevious : null,
      allowedOrigins: app.allowedOrigins,
      rateLimitPerMinute: app.rateLimitPerMinute,
      expiresAt: Date.now() + this.ttlMs,
    };
    this.cache.set(appId, entry);
    return entry;
  }

  invalidate(appId: string): void {
    this.cache.delete(appId);
    this.broadcast?.(appId);
  }

  /** Called with each invalidated app id, to tell the other nodes (set by the socket plugin). */
  broadcast: ((appId: string) => void) | undefined;

  /** An invalidation from another node: drop the entry without echoing it. */
  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
