import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Errors } from '../lib/errors.js';

/**
 * Route groups with a budget of their own per API key, so that a storm of token requests (every
 * page load of a busy site) never starves sends, and the other way round.
 */
export type ApiRateGroup = 'send' | 'tokens' | 'read';

const GROUP_WORDS: Record<ApiRateGroup, string> = {
  send: 'send requests (single or batch)',
  tokens: 'token requests',
  read: 'requests to the other /v1 routes',
};

/** Requests per minute one address may make to the demo endpoints (sessions and sends together). */
export const DEMO_PER_MINUTE = 20;
const WINDOW_MS = 60_000;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hooks for `/v1` routes, registered after `requireApiKey`: each API key gets
     * its app's budget (or HERALD_RATE_LIMIT_PER_MINUTE) per minute and group; over it, a 429
     * with `Retry-After` and `HERALD_ERR_RATE_LIMITED`.
     */
    apiRateLimit: Record<ApiRateGroup, onRequestAsyncHookHandler>;
    /** onRequest hook for the demo endpoints: DEMO_PER_MINUTE per client address. */
    demoRateLimit: onRequestAsyncHookHandler;
  }
}

type Counted = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Counted) => void;

const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { current, ttl }`;

/**
 * Fixed one-minute windows counted in Redis, so every node shares one budget per key. When Redis
 * fails or does not answer within `timeoutMs`, each node counts on its own for the next
 * `retryAfterMs` (the same limit per node): limits keep holding, requests are neither refused for
 * Redis's sake nor slowed by it.
 */
export class SharedWindowStore {
  private readonly local = new Map<string, { current: number; resetAt: number }>();
  private redisBackAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onFallback: (error: unknown) => void,
    private readonly timeoutMs = 250,
    private readonly retryAfterMs = 5000,
  ) {
    if (!(redis as unknown as Record<string, unknown>).heraldRateIncr) {
      redis.defineCommand('heraldRateIncr', { numberOfKeys: 1, lua: INCR_LUA });
    }
  }

  incr(key: string, callback: Callback, timeWindow: number): void {
    if (Date.now() < this.redisBackAt) {
      callback(null, this.countLocally(key, timeWindow));
      return;
    }
    let settled = false;
    const fallBack = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (Date.now() >= this.redisBackAt) this.onFallback(error);
      this.redisBackAt = Date.now() + this.retryAfterMs;
      callback(null, this.countLocally(key, timeWindow));
    };
    const timer = setTimeout(() => fallBack(new Error(`Redis did not answer in ${this.timeoutMs} ms`)), this.timeoutMs);
    (this.redis as unknown as { heraldRateIncr(k: string, w: number): Promise<[number, number]> })
      .heraldRateIncr(this.prefix + key, timeWindow)
      .then(([current, ttl]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        callback(null, { current, ttl });
      }, fallBack);
  }

  child(): SharedWindowStore {
    return this;
  }

  private countLocally(key: string, timeWindow: number): Counted {
    const now = Date.now();
    let entry = this.local.get(key);
    if (!entry || entry.resetAt <= now) {
      if (this.local.size >= 10_000) {
        for (const [k, e] of this.local) if (e.resetAt <= now) this.local.delete(k);
        if (this.local.size >= 10_000) this.local.clear();
      }
      entry = { current: 0, resetAt: now + timeWindow };
      this.local.set(key, entry);
    }
    entry.current++;
    return { current: entry.current, ttl: entry.resetAt - now };
  }
}

/**
 * REST rate limits with @fastify/rate-limit: per API key on `/v1` (per app, with a default from
 * config) and per address on the demo endpoints, counted in Redis under the queue prefix (so
 * installations sharing a Redis never share counters). Rejections are counted in
 * `herald_rate_limited_total{scope="rest"|"demo"}`.
 */
export default fp(
  async function rateLimits(
    fastify: FastifyInstance,
    opts: { prefix: string; defaultPerMinute: number; demoPerMinute?: number },
  ) {
    const log = fastify.log;
    const shared = new SharedWindowStore(fastify.redis, `${opts.prefix}:rate:`, (err) =>
      log.warn({ err }, 'rate limits: Redis unavailable, counting on this node alone for now'),
    );
    await fastify.register(rateLimit, {
      global: false,
      hook: 'onRequest',
      timeWindow: WINDOW_MS,
      store: class {
        constructor() {
          // biome-ignore lint/correctness/noConstructorReturn: @fastify/rate-limit takes a store class; all share one.
          return shared;
        }
      } as never,
    });

    const perMinute = async (request: FastifyRequest) => {
      const app = await fastify.apps.get(request.tenant.appId);
      return app?.rateLimitPerMinute ?? opts.defaultPerMinute;
    };
    const seconds = (ttl: number) => Math.max(1, Math.ceil(ttl / 1000));
    const group = (name: ApiRateGroup) =>
      fastify.rateLimit({
        keyGenerator: (request) => `${name}:${request.tenant.keyId}`,
        max: perMinute,
        allowList: async (request) => (await perMinute(request)) === 0,
        onExceeded: () => fastify.metrics.rateLimited.inc({ scope: 'rest' }),
        errorResponseBuilder: (_request, context) =>
          new Errors.RateLimited(
            `Too many requests with this API key: at most ${context.max} ${GROUP_WORDS[name]} a minute. ` +
              `Retry in ${seconds(context.ttl)} s (Retry-After), or ask for a higher limit for this app.`,
          ),
      }) as unknown as onRequestAsyncHookHandler;
    fastify.decorate('apiRateLimit', { send: group('send'), tokens: group('tokens'), read: group('read') });

    const demoMax = opts.demoPerMinute ?? DEMO_PER_MINUTE;
    fastify.decorate(
      'demoRateLimit',
      fastify.rateLimit({
        keyGenerator: (request) => `demo:${normalizeIP(request.ip)}`,
        max: demoMax,
        onExceeded: () => fastify.metrics.rateLimited.inc({ scope: 'demo' }),
        errorResponseBuilder: (_request, context) =>
          new Errors.RateLimited(
            `The demo allows ${demoMax} requests a minute from one address; retry in ${seconds(context.ttl)} s.`,
          ),
      }) as unknown as onRequestAsyncHookHandler,
    );
  },
  { name: 'herald-rate-limits', dependencies: ['herald-redis', 'herald-metrics', 'herald-services'] },
);
