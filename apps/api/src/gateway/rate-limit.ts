import { ClientEvent, type ClosingEvent, type ErrorReply, HandshakeErrorCode, ServerEvent } from '@herald/protocol';
import type { DefaultEventsMap as EventsMap, Namespace, Socket } from 'socket.io';

/** A token bucket's size: `burst` events at once, refilled at `perSecond`. */
export interface Budget {
  burst: number;
  perSecond: number;
}

/**
 * What one socket may send, per class of event. Sized for the SDK with room to spare: it syncs on
 * connect (one page per 100 missed notifications), every 60 s and 3 s after live notifications;
 * the inbox widget lists a page when opened and per "Load more"; reports are one per popup event;
 * a token refresh comes once per token lifetime. A hostile client gets the burst answered, then
 * one refusal per event (no database work), then the socket is cut (see `STRIKES`).
 */
export const EVENT_BUDGETS = {
  /** Database reads: `sync`, `inbox:list`, `inbox:unread`. */
  query: { burst: 60, perSecond: 2 },
  /** Database writes: `read`, `read:all`. */
  write: { burst: 30, perSecond: 1 },
  /**
   * Lifecycle reports (`displayed`, `clicked`, `closed`): batched writes, cheap each. Up to three
   * per popup, sent without waiting for an answer, so generous: a backend that pops up several
   * notifications a second for one user must not get that user's socket closed.
   */
  report: { burst: 200, perSecond: 20 },
  /** `auth:refresh`: a JWT verification; even a 4-second token refreshes less often than this. */
  auth: { burst: 5, perSecond: 0.5 },
  /** Names no handler knows: dropped; a client waiting for an answer is told so. */
  unknown: { burst: 10, perSecond: 0.5 },
} as const satisfies Record<string, Budget>;
export type EventClass = keyof typeof EVENT_BUDGETS;

/**
 * What all sockets of one user on one node may send together, for the classes that cost database
 * work: without it, a client could open hundreds of sockets and spend each one's burst. Roomy
 * enough for ten tabs that each catch up on a backlog of thousands.
 */
export const USER_BUDGETS: Partial<Record<EventClass, Budget>> = {
  query: { burst: 300, perSecond: 20 },
  write: { burst: 150, perSecond: 5 },
  report: { burst: 1000, perSecond: 100 },
};

/**
 * What one socket may send in bytes (its packets as they arrive, before they are parsed), and all
 * sockets of one user on one node together. Parsing is the cost an event's budget cannot see: a
 * client sending 50 KB packets is refused per event, but each one was read and parsed first. The
 * SDK sends a few KB a minute (a sync's cursors, at most ~50 KB for a user in a thousand topics,
 * acks and reports); past either budget the socket is closed as for flooding with events.
 */
export const BYTE_BUDGET: Budget = { burst: 1024 * 1024, perSecond: 64 * 1024 };
export const USER_BYTE_BUDGET: Budget = { burst: 4 * 1024 * 1024, perSecond: 256 * 1024 };

/** A user whose sockets all closed keeps their shared budget this long (no fresh burst by reconnecting). */
const GROUP_MEMORY_MS = 60_000;

/** The end-user namespace's events by class; any other name is `unknown`. */
export const USER_EVENT_CLASSES: Readonly<Record<string, EventClass>> = {
  [ClientEvent.Sync]: 'query',
  [ClientEvent.InboxList]: 'query',
  [ClientEvent.InboxUnread]: 'query',
  [ClientEvent.Read]: 'write',
  [ClientEvent.ReadAll]: 'write',
  [ClientEvent.Displayed]: 'report',
  [ClientEvent.Clicked]: 'report',
  [ClientEvent.Closed]: 'report',
  [ClientEvent.AuthRefresh]: 'auth',
  [ClientEvent.Subscribe]: 'write',
  [ClientEvent.Unsubscribe]: 'write',
  [ClientEvent.Topics]: 'query',
  [ClientEvent.PreferencesGet]: 'query',
  [ClientEvent.PreferencesSet]: 'write',
  [ClientEvent.PushKey]: 'query',
  [ClientEvent.PushSubscribe]: 'write',
  [ClientEvent.PushUnsubscribe]: 'write',
};

/** Rows one query token pays for: a page of up to 25 costs one token, a page of 100 four. */
const ROWS_PER_TOKEN = 25;
/** The largest page an event takes (`sync`'s; `inbox:list` takes 100), and the one asked without a `limit`. */
const MAX_PAGE = 200;
const DEFAULT_PAGE = 100;

/**
 * What an event costs in tokens of its class: a page costs by its size (`limit`, at most 200: eight
 * tokens), so large pages do not buy many times the database work of small ones; anything else
 * costs one.
 */
export function userEventCost(name: unknown, args: readonly unknown[]): number {
  if (name !== ClientEvent.Sync && name !== ClientEvent.InboxList) return 1;
  const limit = (args[0] as { limit?: unknown } | null | undefined)?.limit;
  const rows =
    typeof limit === 'number' && Number.isFinite(limit) ? Math.min(Math.max(limit, 1), MAX_PAGE) : DEFAULT_PAGE;
  return Math.ceil(rows / ROWS_PER_TOKEN);
}

/**
 * Refusals one socket may collect: every refused event takes one of these, and a socket that runs
 * out (50 refusals faster than one a second) is closed with `closing { code: HERALD_ERR_RATE_LIMITED }`.
 * A well-behaved client that brushes a limit now and then never gets near it.
 */
export const STRIKES: Budget = { burst: 50, perSecond: 1 };

/** How long a user whose socket was cut for flooding is refused when connecting again (per node). */
export const PENALTY_MS = 30_000;

const RATE_LIMITED = HandshakeErrorCode.RateLimited;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly budget: Budget,
    now = Date.now(),
  ) {
    this.tokens = budget.burst;
    this.last = now;
  }

  /** Takes `cost` tokens: 0 when granted, otherwise how many milliseconds until they are there. */
  take(cost = 1, now = Date.now()): number {
    const { burst, perSecond } = this.budget;
    this.tokens = Math.min(burst, this.tokens + ((now - this.last) / 1000) * perSecond);
    this.last = now;
    const need = Math.min(cost, burst);
    if (this.tokens >= need) {
      this.tokens -= need;
      return 0;
    }
    return perSecond > 0 ? Math.ceil(((need - this.tokens) / perSecond) * 1000) : Number.MAX_SAFE_INTEGER;
  }
}

/** Users recently cut for flooding, refused at the handshake until their time is up. */
export class PenaltyBox {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  add(key: string, ms: number, now = Date.now()): void {
    if (this.until.size >= this.maxEntries) {
      for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
      // Still full of live entries: forget the oldest rather than grow without bound.
      if (this.until.size >= this.maxEntries) this.until.delete(this.until.keys().next().value as string);
    }
    this.until.set(key, now + ms);
  }

  /** Milliseconds left for `key`, 0 when it may connect. */
  remaining(key: string, now = Date.now()): number {
    const t = this.until.get(key);
    if (t === undefined) return 0;
    if (t <= now) {
      this.until.delete(key);
      return 0;
    }
    return t - now;
  }
}

/** A socket of any namespace whose server may tell it it is `closing`, with its own data. */
type LimitedSocket<D> = Socket<EventsMap, { [ServerEvent.Closing]: (event: ClosingEvent) => void }, EventsMap, D>;

export interface EventLimitOptions<D = unknown> {
  /** Event name → class; names not listed are `unknown`. */
  classes: Readonly<Record<string, EventClass>>;
  /** Multiplies every budget (HERALD_SOCKET_RATE_SCALE); 0 turns the limits off. */
  scale: number;
  /** Called once per refused event (the Prometheus counter). */
  onRefused: () => void;
  /** Called when a socket is cut for flooding, before it is disconnected. */
  onCut?: (socket: LimitedSocket<D>) => void;
  /** Tokens an event costs (default one). */
  costOf?: (name: unknown, args: readonly unknown[]) => number;
  /** Sockets with the same group (a user) share `USER_BUDGETS` on top of their own budgets. */
  groupOf?: (socket: LimitedSocket<D>) => string;
}

interface Group {
  buckets: Partial<Record<EventClass | 'bytes', TokenBucket>>;
  sockets: number;
  idleSince: number;
}

const scaled = (budget: Budget, scale: number): Budget => ({
  burst: budget.burst * scale,
  perSecond: budget.perSecond * scale,
});

const shown = (name: unknown) => (typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : 'this');

/**
 * Puts a token bucket per event class on every socket of `nsp` (a `socket.use()` middleware, so it
 * runs before any handler). Over budget, an event is answered `{ ok: false, code:
 * 'HERALD_ERR_RATE_LIMITED', message, retryAfterMs }` and never reaches its handler; a socket that
 * keeps going is closed (`STRIKES`). Unknown event names are dropped here.
 */
export function limitEvents<D>(
  nsp: Namespace<EventsMap, { [ServerEvent.Closing]: (event: ClosingEvent) => void }, EventsMap, D>,
  options: EventLimitOptions<D>,
): void {
  if (options.scale <= 0) return;
  const budgets = Object.fromEntries(
    Object.entries(EVENT_BUDGETS).map(([k, b]) => [k, scaled(b, options.scale)]),
  ) as Record<EventClass, Budget>;
  const groupBudgets = Object.fromEntries(
    Object.entries(USER_BUDGETS).map(([k, b]) => [k, scaled(b, options.scale)]),
  ) as Partial<Record<EventClass, Budget>>;
  const strikes = scaled(STRIKES, options.scale);
  const bytes = scaled(BYTE_BUDGET, options.scale);
  const groupBytes = scaled(USER_BYTE_BUDGET, options.scale);
  const groups = new Map<string, Group>();
  let connections = 0;

  /** The user's shared budgets, kept a while after their last socket closed. */
  const join = (socket: LimitedSocket<D>): Group | undefined => {
    if (!options.groupOf) return undefined;
    if (++connections % 256 === 0) {
      const now = Date.now();
      for (const [k, g] of groups) if (g.sockets === 0 && now - g.idleSince > GROUP_MEMORY_MS) groups.delete(k);
    }
    const key = options.groupOf(socket);
    const group = groups.get(key) ?? { buckets: {}, sockets: 0, idleSince: 0 };
    groups.set(key, group);
    group.sockets++;
    socket.once('disconnect', () => {
      if (--group.sockets === 0) group.idleSince = Date.now();
    });
    return group;
  };

  nsp.on('connection', (socket) => {
    const buckets: Partial<Record<EventClass, TokenBucket>> = {};
    const group = join(socket);
    let refusals: TokenBucket | undefined;
    let cut = false;
    const cutOff = (message: string) => {
      cut = true;
      options.onCut?.(socket);
      const closing: ClosingEvent = { code: RATE_LIMITED, message, reconnect: true, retryAfterMs: PENALTY_MS };
      socket.emit(ServerEvent.Closing, closing);
      socket.disconnect(true);
    };
    // Counted as each packet arrives, before it is parsed: the packet that goes over is still
    // parsed, but its connection is closed and what it asks is not done.
    const sent = new TokenBucket(bytes);
    socket.conn.on('packet', (p: { data?: unknown }) => {
      if (cut) return;
      const size = typeof p.data === 'string' ? p.data.length : ((p.data as Uint8Array | undefined)?.byteLength ?? 0);
      if (size === 0) return;
      let wait = sent.take(size);
      if (wait === 0 && group) {
        const shared = group.buckets.bytes ?? new TokenBucket(groupBytes);
        group.buckets.bytes = shared;
        wait = shared.take(size);
      }
      if (wait === 0) return;
      options.onRefused();
      cutOff('This connection sent far more data than allowed and was closed.');
    });
    socket.use((packet, next) => {
      if (cut) return;
      const name = packet[0];
      const kind: EventClass =
        typeof name === 'string' && Object.hasOwn(options.classes, name)
          ? (options.classes[name] as EventClass)
          : 'unknown';
      const last = packet[packet.length - 1];
      const reply = typeof last === 'function' ? (last as (r: ErrorReply) => void) : undefined;
      const bucket = buckets[kind] ?? new TokenBucket(budgets[kind]);
      buckets[kind] = bucket;
      const cost = options.costOf?.(name, packet.slice(1)) ?? 1;
      let wait = bucket.take(cost);
      const shared = groupBudgets[kind];
      if (wait === 0 && group && shared) {
        const groupBucket = group.buckets[kind] ?? new TokenBucket(shared);
        group.buckets[kind] = groupBucket;
        wait = groupBucket.take(cost);
      }
      if (wait === 0) {
        if (kind !== 'unknown') return next();
        reply?.({
          ok: false,
          code: 'HERALD_ERR_UNKNOWN_EVENT',
          message:
            typeof name === 'string'
              ? `There is no ${shown(name)} event.`
              : 'There is no such event: an event is named by a string.',
        });
        return;
      }
      options.onRefused();
      reply?.({
        ok: false,
        code: RATE_LIMITED,
        message: `Too many ${shown(name)} requests from this connection or user; retry in ${wait} ms.`,
        retryAfterMs: wait,
      });
      refusals ??= new TokenBucket(strikes);
      if (refusals.take() === 0) return;
      cutOff('This connection sent far more requests than allowed and was closed.');
    });
  });
}

/** An error for `next()` in `io.use()`: the client's `connect_error` gets its code and wait. */
export function rateLimitedHandshake(retryAfterMs: number): Error & { data: { code: string; retryAfterMs: number } } {
  return Object.assign(
    new Error(
      `This user's connection was closed for flooding the server; retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
    ),
    { data: { code: RATE_LIMITED, retryAfterMs } },
  );
}
