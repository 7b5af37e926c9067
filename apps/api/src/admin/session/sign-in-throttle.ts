// Hand-written, not @fastify/rate-limit: its stores cannot free a key, which a successful sign-in must.
// And it has one store per registration, the /v1 one, which counts on each node while Redis fails,
// where sign-in must fail closed (503) instead.
import type { Redis } from 'ioredis';
import { Errors } from '../../platform/lib/errors.js';

/** After this many sign-in attempts for one email from one address, wait out the window. */
export const MAX_SIGN_IN_ATTEMPTS = 10;
export const SIGN_IN_WINDOW_S = 15 * 60;

// Counts the attempt and reads the window in one step, so concurrent guesses each take a slot:
// checking first and counting after the password check let 200 simultaneous guesses all through.
const RESERVE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

/**
 * Sign-in throttling, shared by every node through Redis: each attempt for one email from one
 * address takes a slot before its password is checked; past the limit the password is not checked
 * at all until the window ends; a successful sign-in frees the slots. It fails closed: without
 * Redis, nobody can make unthrottled guesses, so sign-in answers 503.
 */
export class SignInThrottle {
  /**
   * `redis` is the request path's client (platform/redis/plugin.ts): no offline queue and a
   * command timeout (HERALD_REDIS_TIMEOUT_MS), so a Redis that is down or frozen refuses sign-in
   * at once or within that time, instead of holding the request.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly max = MAX_SIGN_IN_ATTEMPTS,
    private readonly windowS = SIGN_IN_WINDOW_S,
  ) {}

  private key(ip: string, email: string): string {
    return `${this.prefix}:sign-in-attempts:${ip}:${email.toLowerCase()}`;
  }

  /** Takes a slot for this attempt, or throws: 429 past the limit, 503 when Redis does not answer. */
  async reserve(ip: string, email: string): Promise<void> {
    let reply: [number, number];
    try {
      reply = (await this.redis.eval(RESERVE, 1, this.key(ip, email), this.windowS)) as [number, number];
    } catch {
      throw new Errors.SignInUnavailable();
    }
    const [attempts, ttl] = reply;
    if (attempts > this.max) {
      // The error handler turns `retryAfterSeconds` into a Retry-After header.
      throw Object.assign(new Errors.SignInThrottled(Math.max(1, Math.ceil(ttl / 60))), {
        retryAfterSeconds: Math.max(1, ttl),
      });
    }
  }

  /** A successful sign-in: the address may try again at once (best effort). */
  async reset(ip: string, email: string): Promise<void> {
    await this.redis.del(this.key(ip, email)).catch(() => 0);
  }
}
