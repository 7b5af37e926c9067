// The socket budgets: what each event class, user and connection may spend, what an event
// costs, and the token bucket and penalty box that keep count (rate-limit.ts applies them).
import { ClientEvent } from '@herald/protocol';

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
