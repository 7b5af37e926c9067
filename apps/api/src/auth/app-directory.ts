import { createHash } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';

export interface CachedApp {
  id: string;
  jwtSecret: string;
  /** A short fingerprint of `jwtSecret`: sockets remember which secret verified them by it. */
  secretId: string;
  /** The secret before the last rotation (also after its grace, to say "revoked" rather than "invalid"). */
  previousSecret: string | null;
  previousSecretId: string | null;
  /** When the previous secret stops being honoured, ms since the epoch (null: no previous secret). */
  previousUntil: number | null;
  allowedOrigins: string[];
  /** Requests per minute per API key and route group; null: the server's default. */
  rateLimitPerMinute: number | null;
  /** Click URLs must be paths or on `allowedOrigins`. */
  restrictUrls: boolean;
  expiresAt: number;
}

/** What a secret (by fingerprint) is worth now: current, honoured until a time, or no longer. */
export type SecretStanding = { kind: 'current' } | { kind: 'grace'; until: number } | { kind: 'revoked' };

/** Tokens signed with a rotated-out secret keep working this long by default, so users are not cut off. */
export const ROTATION_GRACE_S = 24 * 3600;

export const secretFingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

export function secretStanding(app: CachedApp, secretId: string, now = Date.now()): SecretStanding {
  if (secretId === app.secretId) return { kind: 'current' };
  if (secretId === app.previousSecretId && app.previousUntil !== null && app.previousUntil > now) {
    return { kind: 'grace', until: app.previousUntil };
  }
  return { kind: 'revoked' };
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
      select: {
        id: true,
        jwtSecret: true,
        allowedOrigins: true,
        jwtSecretPrevious: true,
        jwtSecretRotatedAt: true,
        rateLimitPerMinute: true,
        jwtSecretPreviousUntil: true,
        restrictUrls: true,
      },
    });
    if (!app) {
      this.cache.delete(appId);
      return undefined;
    }
    const previousUntil = app.jwtSecretPrevious ? (app.jwtSecretPreviousUntil?.getTime() ?? 0) : null;
    const entry: CachedApp = {
      id: app.id,
      jwtSecret: app.jwtSecret,
      secretId: secretFingerprint(app.jwtSecret),
      previousSecret: app.jwtSecretPrevious,
      previousSecretId: app.jwtSecretPrevious ? secretFingerprint(app.jwtSecretPrevious) : null,
      previousUntil,
      allowedOrigins: app.allowedOrigins,
      rateLimitPerMinute: app.rateLimitPerMinute,
      restrictUrls: app.restrictUrls,
      expiresAt: Date.now() + this.ttlMs,
    };
    this.cache.set(appId, entry);
    return entry;
  }

  invalidate(appId: string): void {
    this.cache.delete(appId);
    this.broadcast?.(appId);
  }

  /** Called with each invalidated app id, to tell this node's sockets and the other nodes (set by the socket plugin). */
  broadcast: ((appId: string) => void) | undefined;

  /** An invalidation from another node: drop the entry without echoing it. */
  forget(appId: string): void {
    this.cache.delete(appId);
  }
}
