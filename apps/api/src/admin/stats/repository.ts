import type { Redis } from 'ioredis';
import type { DeliveryEvent } from '../../delivery/recorder.js';

export const METRICS = ['sent', 'delivered', 'displayed', 'clicked', 'read'] as const;
export type Metric = (typeof METRICS)[number];

export interface MinutePoint {
  /** Start of the minute, ms since the epoch. */
  t: number;
  sent: number;
  delivered: number;
  displayed: number;
  clicked: number;
  read: number;
}

export interface Presence {
  sockets: number;
  users: number;
  nodes: number;
}

const BUCKET_TTL_S = 3 * 3600;
const NODE_STALE_MS = 10_000;

/**
 * Platform counters for the dashboard, shared by every process through Redis: per-minute buckets
 * per metric (INCRBY, batched once a second), and each socket node's connection counts.
 */
export class Stats {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(metric: Metric, minute: number): string {
    return `${this.prefix}:stats:${metric}:${minute}`;
  }

  incr(metric: Metric, by = 1): void {
    if (by <= 0) return;
    const key = this.key(metric, Math.floor(Date.now() / 60_000));
    this.pending.set(key, (this.pending.get(key) ?? 0) + by);
    this.timer ??= setTimeout(() => void this.flush(), 1000);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [key, n] of batch) pipeline.incrby(key, n).expire(key, BUCKET_TTL_S);
    // Counters are best effort: a Redis outage loses a second of dashboard numbers, never a notification.
    await pipeline.exec().catch(() => {});
  }

  /** The last `minutes` minutes, oldest first, one point per minute. */
  async series(minutes = 60): Promise<MinutePoint[]> {
    const now = Math.floor(Date.now() / 60_000);
    const mins = Array.from({ length: minutes }, (_, i) => now - minutes + 1 + i);
    const keys = METRICS.flatMap((m) => mins.map((min) => this.key(m, min)));
    const values = await this.redis.mget(keys);
    return mins.map((min, i) => {
      const point: MinutePoint = { t: min * 60_000, sent: 0, delivered: 0, displayed: 0, clicked: 0, read: 0 };
      METRICS.forEach((m, j) => {
        point[m] = Number(values[j * minutes + i] ?? 0);
      });
      return point;
    });
  }

  /** Records this node's connection counts (called every few seconds by socket nodes). */
  async reportNode(nodeId: string, presence: { sockets: number; users: number }): Promise<void> {
    await this.redis
      .hset(`${this.prefix}:presence`, nodeId, JSON.stringify({ ...presence, ts: Date.now() }))
      .catch(() => {});
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.redis.hdel(`${this.prefix}:presence`, nodeId).catch(() => {});
  }

  /** Connections across all live nodes (a node that stopped reporting drops out after 10 s). */
  async presence(): Promise<Presence> {
    const all = await this.redis.hgetall(`${this.prefix}:presence`);
    let sockets = 0;
    let users = 0;
    let nodes = 0;
    for (const raw of Object.values(all)) {
      const p = JSON.parse(raw) as { sockets: number; users: number; ts: number };
      if (Date.now() - p.ts > NODE_STALE_MS) continue;
      sockets += p.sockets;
      users += p.users;
      nodes++;
    }
    return { sockets, users, nodes };
  }

  /** Marks users online (score = last seen); a user is online while seen in the last 15 s. */
  async touchOnline(appId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const now = Date.now();
    const key = `${this.prefix}:online:${appId}`;
    const args = userIds.flatMap((u) => [now, u]);
    await this.redis
      .pipeline()
      .zadd(key, ...args)
      .zremrangebyscore(key, 0, now - 60_000)
      .expire(key, 3600)
      .exec()
      .catch(() => {});
  }

  async dropOnline(appId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.redis.zrem(`${this.prefix}:online:${appId}`, ...userIds).catch(() => {});
  }

  /**
   * Which of these users are online now. Best effort, like the writes: with Redis away nobody
   * shows as online, rather than the subscriber pages (read from PostgreSQL) failing with it.
   */
  async online(appId: string, userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const scores = await this.redis
      .zmscore(`${this.prefix}:online:${appId}`, ...userIds)
      .catch(() => [] as Array<string | null>);
    const since = Date.now() - 15_000;
    return new Set(userIds.filter((_, i) => Number(scores[i] ?? 0) > since));
  }
}

/**
 * Counts delivery state changes for the dashboard, and tells signed-in admins which notifications
 * changed (at most twice a second), so open views refresh without polling.
 */
export function deliveryStatsHook(stats: Stats, tellAdmins: (change: { ids: string[] }) => void) {
  let changed = new Set<string>();
  let scheduled = false;
  return (event: DeliveryEvent, count: number, notificationIds: string[]) => {
    if (event !== 'sent' && event !== 'closed') stats.incr(event, count);
    if (count === 0) return;
    for (const id of notificationIds) changed.add(id);
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      const ids = [...changed].slice(0, 200);
      changed = new Set();
      tellAdmins({ ids });
    }, 500);
  };
}
