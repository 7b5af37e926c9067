import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { addressKey, MissBudget } from '../platform/http/connection-limits.js';
import { Errors } from '../platform/lib/errors.js';
import { hashApiKey } from '../platform/lib/secrets.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for server-to-server routes: `Authorization: Bearer <API key>`. */
    requireApiKey: (request: FastifyRequest) => Promise<void>;
    /** Drops a revoked key from this node's cache. */
    forgetApiKey: (keyId: string) => void;
  }
  interface FastifyRequest {
    /** The app (tenant) the request's API key belongs to. */
    tenant: { appId: string; keyId: string };
  }
}

/** New unknown API keys one address may present per minute, on each node, before it waits out the minute. */
export const MAX_UNKNOWN_KEYS_PER_MINUTE = 30;

/**
 * Authentication: API keys for integrators' backends, and @fastify/jwt for user tokens. JWTs
 * are always signed and verified with an explicit per-app key and HS256 only.
 */
export default fp(
  async function auth(fastify: FastifyInstance) {
    await fastify.register(fastifyJwt, {
      // Never used directly: every sign/verify call passes its app's secret as `key`.
      secret: (_request, _token, callback) => callback(new Error('per-app secret required'), undefined),
      sign: { algorithm: 'HS256' },
      verify: { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] },
    });

    fastify.decorateRequest('tenant', null as unknown as FastifyRequest['tenant']);
    const lastUse = new Map<string, number>();
    // Valid keys are remembered for a minute, so a busy backend does not cost a query per call.
    // Revoking a key drops it from every node's cache at once (see `forgetApiKey`).
    const known = new Map<string, { id: string; appId: string; revokedAt: Date | null; until: number }>();
    const revoked = new Set<string>();
    // Keys that do not exist are remembered for half a minute too: a client hammering Herald with a
    // wrong key (or guessing) then costs a hash and a map lookup per request, not a query.
    const unknownKeys = new Map<string, number>();
    fastify.decorate('forgetApiKey', (keyId: string) => {
      // Only lookups already under way need it: bounded like the caches.
      if (revoked.size > 10_000) revoked.clear();
      revoked.add(keyId);
      for (const [hash, k] of known) if (k.id === keyId) known.delete(hash);
    });
    // Each new unknown key costs a query: an address that presents too many in a minute (guessing,
    // or flooding with random keys) is refused without one until the minute ends. A key this node
    // knows is valid still works from there.
    const misses = new MissBudget(MAX_UNKNOWN_KEYS_PER_MINUTE);
    fastify.decorate('requireApiKey', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
      if (!match?.[1]) throw new Errors.ApiKeyMissing();
      const hash = hashApiKey(match[1]);
      const now = Date.now();
      if ((unknownKeys.get(hash) ?? 0) > now) throw new Errors.ApiKeyInvalid();
      let key = known.get(hash);
      if (!key || key.until < now) {
        const address = addressKey(request.ip);
        const seconds = misses.waitSeconds(address, now);
        if (seconds > 0) {
          fastify.metrics.rateLimited.inc({ scope: 'api-key' });
          throw Object.assign(new Errors.ApiKeyGuessing(seconds), { retryAfterSeconds: seconds });
        }
        const row = await fastify.prisma.apiKey.findUnique({
          where: { hash },
          select: { id: true, appId: true, revokedAt: true },
        });
        key = row ? { ...row, until: Date.now() + 60_000 } : undefined;
        // A lookup that started before a revocation must not put the key back in the cache.
        if (key && !key.revokedAt && !revoked.has(key.id)) {
          if (known.size > 10_000) known.clear();
          known.set(hash, key);
        }
        if (!row) misses.missed(address, now);
      }
      if (!key) {
        if (unknownKeys.size > 10_000) unknownKeys.clear();
        unknownKeys.set(hash, Date.now() + 30_000);
        throw new Errors.ApiKeyInvalid();
      }
      if (key.revokedAt) throw new Errors.ApiKeyRevoked(key.revokedAt.toISOString());
      request.tenant = { appId: key.appId, keyId: key.id };
      // "Last used" for the dashboard, written at most once a minute per key.
      const last = lastUse.get(key.id) ?? 0;
      if (Date.now() - last > 60_000) {
        lastUse.set(key.id, Date.now());
        fastify.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
      }
    });
  },
  { name: 'herald-auth', dependencies: ['herald-database', 'herald-metrics'] },
);
