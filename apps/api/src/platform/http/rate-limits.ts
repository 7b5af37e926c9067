import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { MAX_USERS_PER_SEND } from '../../schemas/notifications.js';
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
/** Push receipts and renewals one address may post a minute, unless they name their browser (routes/push.ts). */
export const PUSH_PER_MINUTE = 600;
/**
 * Receipts one browser may post a minute. A receipt Herald signed names its browser, and is
 * counted by browser instead of by address: a broadcast's receipts from a crowd behind one NAT
 * all count (three at most per push: displayed, clicked, closed).
 */
export const PUSH_PER_BROWSER_PER_MINUTE = 300;
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
    /**
     * A hook limiting the service worker's posts: per browser where `browserOf` names the one a
     * signed token says the request is from (PUSH_PER_BROWSER_PER_MINUTE), per address otherwise
     * (PUSH_PER_MINUTE).
     */
    pushRateLimit: (browserOf?: (request: FastifyRequest) => string | undefined) => onRequestAsyncHookHandler;
    /**
     * Spends `recipients` of the API key's budget for this second (HERALD_RECIPIENTS_PER_SECOND),
     * overdrawing it if the request names more than is left (the key then waits until the
     * overdraft is paid back); with nothing left, throws a 429 `HERALD_ERR_RATE_LIMITED` (with
     * `Retry-After`) and spends nothing. What a send then did not store (it failed, or it was a
     * replay of an idempotency key) is given back with `refund`.
     */
    spendRecipients: (request: FastifyRequest, reply: FastifyReply, recipients: number) => Promise<Spent>;
  }
}

type Counted = { current: number; ttl: number };

/** Recipients a request spent; `refund` gives back those of what it did not store (all by default). */
export interface Spent {
  refund(recipients?: number): Promise<void>;
}
const NOTHING_SPENT: Spent = { refund: async () => {} };
type Callback = (error: Error | null, result?: Counted) => void;

const INCR_LUA = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { current, ttl }`;

// Spends ARGV[2] of a window's budget ARGV[3] if any of it is left: { spent so far, ms left, 1 if
// taken }. A cost past the budget is taken whole, and the window lasts as many windows as the
// spending fills (`overdrawn`), so the key pays it back before it spends again.
const SPEND_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = window end
if current >= max then return { current, ttl, 0 } end
current = redis.call('INCRBY', KEYS[1], tonumber(ARGV[2]))
ttl = ttl + window * (math.ceil(current / max) - 1)
redis.call('PEXPIRE', KEYS[1], ttl)
return { current, ttl, 1 }`;

// Gives back ARGV[2] of what was spent in the key's window (never below nothing), and the windows
// an overdraft added that it no longer needs: { spent now }. A window that ran out meanwhile is
// left as it is.
const REFUND_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if current <= 0 or ttl < 0 then return { current } end
local window = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
local after = current - math.min(tonumber(ARGV[2]), current)
local unneeded = math.max(math.ceil(current / max), 1) - math.max(math.ceil(after / max), 1)
redis.call('DECRBY', KEYS[1], current - after)
if unneeded > 0 then redis.call('PEXPIRE', KEYS[1], math.max(ttl - unneeded * window, 1)) end
return { after }`;

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
      redis.defineCommand('heraldRateSpend', { numberOfKeys: 1, lua: SPEND_LUA });
      redis.defineCommand('heraldRateRefund', { numberOfKeys: 1, lua: REFUND_LUA });
    }
  }

  /**
   * Spends `cost` of `max` in the current window of `key` if any of the window's budget is left
   * (else nothing): a weighted count, for budgets measured in recipients rather than requests. A
   * cost past what is left is taken whole and overdraws the key: its window lasts as many windows
   * as it spent budgets, so a send larger than a window's budget goes through once and the key's
   * average stays within `max` a window. Same fallback as `incr`.
   */
  async spend(key: string, cost: number, max: number, timeWindow: number): Promise<Counted & { taken: boolean }> {
    return this.redisOrLocal(
      async () => {
        const [current, ttl, taken] = await (
          this.redis as unknown as {
            heraldRateSpend(k: string, w: number, c: number, m: number): Promise<[number, number, number]>;
          }
        ).heraldRateSpend(this.prefix + key, timeWindow, cost, max);
        return { current, ttl, taken: taken === 1 };
      },
      () => {
        const entry = this.window(key, timeWindow);
        const taken = entry.current < max;
        if (taken) {
          entry.current += cost;
          entry.resetAt += timeWindow * (Math.ceil(entry.current / max) - 1);
        }
        return { current: entry.current, ttl: entry.resetAt - Date.now(), taken };
      },
    );
  }

  /**
   * Gives back `cost` of what `spend` took in the current window of `key`, and the windows of
   * overdraft it no longer needs, where the store counts now (Redis, or this node while Redis
   * fails); a window that ran out meanwhile has nothing to give back.
   */
  async refund(key: string, cost: number, max: number, timeWindow: number): Promise<void> {
    await this.redisOrLocal(
      async () => {
        await (
          this.redis as unknown as { heraldRateRefund(k: string, w: number, c: number, m: number): Promise<[number]> }
        ).heraldRateRefund(this.prefix + key, timeWindow, cost, max);
      },
      () => {
        const entry = this.local.get(key);
        if (!entry || entry.resetAt <= Date.now() || entry.current <= 0) return;
        const after = entry.current - Math.min(cost, entry.current);
        const windows = (n: number) => Math.max(Math.ceil(n / max), 1);
        entry.resetAt -= timeWindow * (windows(entry.current) - windows(after));
        entry.current = after;
      },
    );
  }

  incr(key: string, callback: Callback, timeWindow: number): void {
    void this.redisOrLocal(
      async () => {
        const [current, ttl] = await (
          this.redis as unknown as { heraldRateIncr(k: string, w: number): Promise<[number, number]> }
        ).heraldRateIncr(this.prefix + key, timeWindow);
        return { current, ttl };
      },
      () => this.countLocally(key, timeWindow),
    ).then((counted) => callback(null, counted));
  }

  /** Asks Redis, unless it failed lately; when it fails or is slow, counts on this node for a while. */
  private async redisOrLocal<T>(ask: () => Promise<T>, local: () => T): Promise<T> {
    if (Date.now() >= this.redisBackAt) {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          ask(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Redis did not answer in ${this.timeoutMs} ms`)), this.timeoutMs);
          }),
        ]);
      } catch (error) {
        if (Date.now() >= this.redisBackAt) this.onFallback(error);
        this.redisBackAt = Date.now() + this.retryAfterMs;
      } finally {
        clearTimeout(timer);
      }
    }
    return local();
  }

  child(): SharedWindowStore {
    return this;
  }

  private countLocally(key: string, timeWindow: number): Counted {
    const entry = this.window(key, timeWindow);
    entry.current++;
    return { current: entry.current, ttl: entry.resetAt - Date.now() };
  }

  private window(key: string, timeWindow: number): { current: number; resetAt: number } {
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
    return entry;
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
    opts: { prefix: string; defaultPerMinute: number; recipientsPerSecond: number; demoPerMinute?: number },
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

    // Requests are not the whole cost of a send: a batch of 500 items naming 100 users each writes
    // 50,000 delivery rows. The recipients a key names are counted per second, so that no key's
    // sends can hold the database (and everyone else) for long. One send may name more than a
    // second's budget (a list of 10,000 users): it overdraws the key, which then waits it out.
    const recipientsMax = opts.recipientsPerSecond;
    fastify.decorate('spendRecipients', async (request: FastifyRequest, reply: FastifyReply, recipients: number) => {
      if (recipientsMax === 0 || recipients === 0 || (await perMinute(request)) === 0) return NOTHING_SPENT;
      // One request overdraws by at most what one send may name: a batch of 500 items naming 100
      // users each (50,000 rows in one statement) is split, as before.
      const overdraft = Math.max(recipientsMax, MAX_USERS_PER_SEND);
      if (recipients > overdraft) {
        fastify.metrics.rateLimited.inc({ scope: 'rest' });
        throw new Errors.RateLimited(
          `This request names ${recipients} recipients; one request may name at most ${overdraft} ` +
            '(each user of a userIds list counts, a broadcast counts one). Split it into smaller requests.',
        );
      }
      const key = `recipients:${request.tenant.keyId}`;
      const spent = await shared.spend(key, recipients, recipientsMax, 1000);
      if (spent.taken) {
        let left = recipients;
        return {
          // Never more than was spent, however often it is called; a refund that fails costs the
          // request nothing (the key waits as if it had not been given back).
          refund: async (count = left) => {
            const back = Math.min(count, left);
            if (back <= 0) return;
            left -= back;
            await shared.refund(key, back, recipientsMax, 1000).catch((err) => {
              log.warn({ err }, 'rate limits: could not give back unspent recipients');
            });
          },
        };
      }
      fastify.metrics.rateLimited.inc({ scope: 'rest' });
      reply.header('retry-after', seconds(spent.ttl));
      throw new Errors.RateLimited(
        `Too many recipients with this API key: at most ${recipientsMax} a second on average (each user of a ` +
          `userIds list counts, a broadcast counts one). Retry in ${seconds(spent.ttl)} s (Retry-After).`,
      );
    });

    // Service workers report on pushes from the site's visitors' addresses, with no credentials
    // but a signed token: a bound per browser (or per address, for posts naming none) keeps a
    // flood from costing more than a few writes.
    fastify.decorate(
      'pushRateLimit',
      (browserOf?: (request: FastifyRequest) => string | undefined) =>
        fastify.rateLimit({
          keyGenerator: (request) => {
            const browser = browserOf?.(request);
            return browser ? `push:browser:${browser}` : `push:${normalizeIP(request.ip)}`;
          },
          max: (_request, key) => (key.startsWith('push:browser:') ? PUSH_PER_BROWSER_PER_MINUTE : PUSH_PER_MINUTE),
          onExceeded: () => fastify.metrics.rateLimited.inc({ scope: 'rest' }),
          errorResponseBuilder: (request, context) =>
            new Errors.RateLimited(
              `At most ${context.max} push reports a minute come from one ${browserOf?.(request) ? 'browser' : 'address'}; ` +
                `retry in ${seconds(context.ttl)} s.`,
            ),
        }) as unknown as onRequestAsyncHookHandler,
    );

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
