import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { MAX_USERS_PER_SEND } from '../../schemas/notifications.js';
import { Errors } from '../lib/errors.js';
import { SharedWindowStore } from './shared-window-store.js';

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

/** Recipients a request spent; `refund` gives back those of what it did not store (all by default). */
export interface Spent {
  refund(recipients?: number): Promise<void>;
}
const NOTHING_SPENT: Spent = { refund: async () => {} };
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
