import type { Redis } from 'ioredis';

/**
 * The counters behind Herald's REST rate limits (rate-limits.ts): fixed windows in Redis, shared
 * by every node, with weighted spends (recipients) that can be given back, and a per-node fallback
 * while Redis fails. @fastify/rate-limit takes it as its store.
 */

export type Counted = { current: number; ttl: number };

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
