// Hand-written, not @fastify/rate-limit: its stores cannot free a key, which a successful sign-in must.
// And it has one store per registration, the /v1 one, which counts on each node while Redis fails,
// where sign-in must fail closed (503) instead.

import type { Redis } from 'ioredis';
import { addressKey } from '../../platform/http/connection-limits.js';
import { Errors } from '../../platform/lib/errors.js';

/** After this many sign-in attempts for one email from one address, wait out the window. */
export const MAX_SIGN_IN_ATTEMPTS = 10;
/** After this many passwords checked and found wrong from one address, whatever the emails, wait out the window. */
export const MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS = 30;
export const SIGN_IN_WINDOW_S = 15 * 60;

// Counts the attempt and reads the window in one step, so concurrent guesses each take a slot:
// checking first and counting after the password check let 200 simultaneous guesses all through.
// KEYS[1] counts the email from the address, KEYS[2] the address; an attempt the first refuses
// does not count against the second, and one the second refuses gives the first its slot back.
// Returns {refused by: 0 none, 1 email, 2 address; seconds left of that window}.
const RESERVE = `
local function take(key, window)
  local n = redis.call('INCR', key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, window)
    ttl = window
  end
  return n, ttl
end
local window = tonumber(ARGV[1])
local n, ttl = take(KEYS[1], window)
if n > tonumber(ARGV[2]) then return {1, ttl} end
local m, ttl2 = take(KEYS[2], window)
if m > tonumber(ARGV[3]) then
  redis.call('DECR', KEYS[1])
  return {2, ttl2}
end
return {0, 0}
`;

// A successful sign-in: the email's slots from the address are free, and its own attempt is not a failure.
const RELEASE = `
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('DECR', KEYS[2]) end
return 1
`;

/**
 * Sign-in throttling, shared by every node through Redis: each attempt for one email from one
 * address takes a slot before its password is checked, and so does each attempt from the address
 * whatever the email (a different made-up email each time gets no more password checks); past
 * either limit the password is not checked at all until the window ends; a successful sign-in
 * frees the email's slots and its own. It fails closed: without Redis, nobody can make
 * unthrottled guesses, so sign-in answers 503.
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
    private readonly maxPerAddress = MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS,
  ) {}

  private keys(ip: string, email: string): [string, string] {
    const address = addressKey(ip);
    return [
      `${this.prefix}:sign-in-attempts:${address}:${email.toLowerCase()}`,
      `${this.prefix}:sign-in-attempts:${address}`,
    ];
  }

  /** Takes a slot for this attempt, or throws: 429 past a limit, 503 when Redis does not answer. */
  async reserve(ip: string, email: string): Promise<void> {
    let reply: [number, number];
    try {
      reply = (await this.redis.eval(
        RESERVE,
        2,
        ...this.keys(ip, email),
        this.windowS,
        this.max,
        this.maxPerAddress,
      )) as [number, number];
    } catch {
      throw new Errors.SignInUnavailable();
    }
    const [refusedBy, ttl] = reply;
    if (refusedBy === 0) return;
    const minutes = Math.max(1, Math.ceil(ttl / 60));
    // The error handler turns `retryAfterSeconds` into a Retry-After header.
    throw Object.assign(
      refusedBy === 1 ? new Errors.SignInThrottled(minutes) : new Errors.SignInAddressThrottled(minutes),
      { retryAfterSeconds: Math.max(1, ttl) },
    );
  }

  /** A successful sign-in: the address may try again at once (best effort). */
  async reset(ip: string, email: string): Promise<void> {
    await this.redis.eval(RELEASE, 2, ...this.keys(ip, email)).catch(() => 0);
  }
}
