import { type ClosingEvent, type ErrorReply, HandshakeErrorCode, ServerEvent } from '@herald/protocol';
import type { DefaultEventsMap as EventsMap, Namespace, Socket } from 'socket.io';
import {
  type Budget,
  BYTE_BUDGET,
  EVENT_BUDGETS,
  type EventClass,
  PENALTY_MS,
  STRIKES,
  TokenBucket,
  USER_BUDGETS,
  USER_BYTE_BUDGET,
} from './budgets.js';

const RATE_LIMITED = HandshakeErrorCode.RateLimited;

/** A user whose sockets all closed keeps their shared budget this long (no fresh burst by reconnecting). */
const GROUP_MEMORY_MS = 60_000;

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
  /** A known event's refusal once charged (a payload of the wrong shape), or none: it goes to its handler. */
  check?: (packet: unknown[]) => ErrorReply | undefined;
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
  /** An event's class by its name; a name no handler knows (or not a string) is `unknown`. */
  const classOf = (name: unknown): EventClass =>
    typeof name === 'string' && Object.hasOwn(options.classes, name)
      ? (options.classes[name] as EventClass)
      : 'unknown';
  /** The client's callback, when it waits for an answer: the packet's last argument. */
  const replyOf = (packet: unknown[]) => {
    const last = packet[packet.length - 1];
    return typeof last === 'function' ? (last as (r: ErrorReply) => void) : undefined;
  };
  /** What an event that its budgets let through meets: its check if known, else "no such event". */
  const admit = (packet: unknown[], next: (err?: Error) => void, kind = classOf(packet[0])) => {
    const name = packet[0];
    const reply = replyOf(packet);
    if (kind !== 'unknown') {
      const problem = options.check?.(packet);
      if (!problem) return next();
      reply?.(problem);
      return;
    }
    reply?.({
      ok: false,
      code: 'HERALD_ERR_UNKNOWN_EVENT',
      message:
        typeof name === 'string'
          ? `There is no ${shown(name)} event.`
          : 'There is no such event: an event is named by a string.',
    });
  };
  if (options.scale <= 0) {
    // No budgets: events are still checked, and unknown ones still answered.
    nsp.on('connection', (socket) => socket.use((packet, next) => admit(packet, next)));
    return;
  }
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
      const kind = classOf(name);
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
      if (wait === 0) return admit(packet, next, kind);
      options.onRefused();
      replyOf(packet)?.({
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
