import { createHash } from 'node:crypto';
import type { DeliveryMode } from '@herald/protocol';
import type { CategoryRule, CategoryRules } from '../delivery/preferences.js';
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
  /** The app's categories by key: what a send may name, and what the gateway silences popups by. */
  categories: CategoryRules;
  /**
   * Whether a browser of the app's users subscribed to Web Push (when read): only then does the
   * gateway keep the acks a socket gives before its browser registers (delivery/socket-channel.ts).
   */
  hasPush: boolean;
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

/** How long an app id that was not found is answered "no such app" without a query. */
const MISSING_TTL_MS = 5000;

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
    // An app that does not exist is not looked for again for a while: tokens naming made-up apps
    // (a flood of forged receipts, say) cost no query each.
    if ((this.missing.get(appId) ?? 0) > Date.now()) return undefined;
    return this.load(appId);
  }

  /** App ids read and not found, until when that answer holds (creating the app invalidates it). */
  private readonly missing = new Map<string, number>();

  /**
   * Reads an app, once at a time per app: callers meanwhile share the read under way (the delivery
   * path peeks per socket, and must not start a query each). A read started before an
   * invalidation is not shared after it, and does not overwrite what a later read cached.
   */
  private load(appId: string): Promise<CachedApp | undefined> {
    const under = this.loading.get(appId);
    if (under) return under;
    const generation = this.generation;
    const loading = this.read(appId, generation).finally(() => {
      if (this.loading.get(appId) === loading) this.loading.delete(appId);
    });
    this.loading.set(appId, loading);
    return loading;
  }

  private readonly loading = new Map<string, Promise<CachedApp | undefined>>();
  /** Moves on at every invalidation: a read that started before one does not cache what it read. */
  private generation = 0;

  private async read(appId: string, generation: number): Promise<CachedApp | undefined> {
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
        categories: { select: { key: true, defaultMode: true, required: true } },
        pushSubscriptions: { where: { status: 'active' }, select: { id: true }, take: 1 },
      },
    });
    if (generation !== this.generation) return this.load(appId);
    if (!app) {
      this.cache.delete(appId);
      this.stale.delete(appId);
      // Bounded: made-up ids are the attacker's to choose.
      if (this.missing.size >= 10_000) this.missing.clear();
      this.missing.set(appId, Date.now() + MISSING_TTL_MS);
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
      categories: new Map(
        app.categories.map((c) => [c.key, [c.defaultMode as DeliveryMode, c.required] as CategoryRule]),
      ),
      hasPush: app.pushSubscriptions.length > 0,
      expiresAt: Date.now() + this.ttlMs,
    };
    this.cache.set(appId, entry);
    this.stale.delete(appId);
    return entry;
  }

  /**
   * The app as last read, without waiting, for the delivery path (which cannot wait per socket): an
   * entry past its time is still given, and read again in the background. Undefined for an app
   * this node has not read yet.
   */
  peek(appId: string): CachedApp | undefined {
    const hit = this.cache.get(appId) ?? this.stale.get(appId);
    if (!hit || hit.expiresAt <= Date.now()) void this.load(appId).catch(() => {});
    return hit;
  }

  /** Whether this node read the app lately and found it does not exist (answered without a read, for now). */
  knownMissing(appId: string): boolean {
    return (this.missing.get(appId) ?? 0) > Date.now();
  }

  /** The app as this node last read it, if it did: no read, now or in the background. */
  cached(appId: string): CachedApp | undefined {
    return this.cache.get(appId) ?? this.stale.get(appId);
  }

  /** Entries dropped by an invalidation, kept for `peek` until the app is read again. */
  private readonly stale = new Map<string, CachedApp>();

  invalidate(appId: string): void {
    this.drop(appId);
    this.broadcast?.(appId);
  }

  /** Called with each invalidated app id, to tell this node's sockets and the other nodes (set by the socket plugin). */
  broadcast: ((appId: string) => void) | undefined;

  /** An invalidation from another node: drop the entry without echoing it. */
  forget(appId: string): void {
    this.drop(appId);
  }

  private drop(appId: string): void {
    this.missing.delete(appId);
    const entry = this.cache.get(appId);
    this.cache.delete(appId);
    this.generation++;
    this.loading.delete(appId);
    if (entry) {
      this.stale.set(appId, entry);
      void this.load(appId).catch(() => {});
    }
  }
}
