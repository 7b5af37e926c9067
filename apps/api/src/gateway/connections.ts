import { appRoom, ClientEvent, type ErrorReply, type LifecycleReply, topicRoom, userRoom } from '@herald/protocol';
import { TokenError, type UserTokens } from '../auth/user-tokens.js';
import { type CategoryRules, silencedFor } from '../delivery/preferences.js';
import type { VapidKeyStore } from '../delivery/push/keys.js';
import type { PushSubscriptionStore } from '../delivery/push/subscriptions.js';
import type { DeliveryEvent, DeliveryRecorder } from '../delivery/recorder.js';
import type { InboxService, Subscriber } from '../inbox/inbox.js';
import { intOrNull, MAX_SEQ, streamCursors } from '../platform/lib/cursor.js';
import { isUuid } from '../platform/lib/text.js';
import type { CategoryRepository } from '../preferences/categories.js';
import type { PreferenceRepository } from '../preferences/repository.js';
import type { TopicRepository } from '../topics/repository.js';
import { acceptedBefore, catchUp } from './catch-up.js';
import { watchCredentials } from './credentials.js';
import { tokenFailureCode } from './handshake.js';
import { handlePreferences } from './preferences.js';
import { handlePush } from './push.js';
import { handleTopics } from './topics.js';
import type { GatewayServer } from './types.js';

interface GatewayDeps {
  recorder: DeliveryRecorder;
  inbox: InboxService;
  tokens: UserTokens;
  topics: TopicRepository;
  preferences: PreferenceRepository;
  categories: CategoryRepository;
  vapid: VapidKeyStore;
  pushSubscriptions: PushSubscriptionStore;
  /** An app's categories, without waiting: users' preferences silence popups by them. */
  rules: (appId: string) => CategoryRules | undefined;
  /** Whether an app has Web Push subscriptions, without waiting: only then are early acks kept. */
  pushApp?: (appId: string) => boolean;
  ackTimeoutMs: number;
  log: { error(obj: object, msg: string): void };
  /** Each ack's latency in seconds (metrics). */
  observeAck?: (seconds: number) => void;
  /** How many notifications each catch-up on connect sent (metrics). */
  onCaughtUp?: (count: number) => void;
}

const MAX_IDS = 500;

/**
 * Catch-ups one user may run at once on a node; the sockets after those wait their turn (their
 * live notifications held meanwhile, as during any catch-up). Each catch-up reads a page of the
 * user's missed notifications and waits for its acks: a client opening sockets by the hundred for
 * one user (and never acking) would otherwise keep the database busy for everyone else.
 */
export const MAX_CATCH_UPS_PER_USER = 2;

/** Turns to run a catch-up, per user: at most `MAX_CATCH_UPS_PER_USER` at once, the others in order. */
class CatchUpTurns {
  private readonly users = new Map<string, { running: number; waiting: Array<() => void> }>();

  async take(who: string): Promise<void> {
    const user = this.users.get(who) ?? { running: 0, waiting: [] };
    this.users.set(who, user);
    if (user.running < MAX_CATCH_UPS_PER_USER) {
      user.running++;
      return;
    }
    await new Promise<void>((resolve) => user.waiting.push(resolve));
  }

  /** Hands the turn to the next socket waiting, if any. */
  give(who: string): void {
    const user = this.users.get(who);
    if (!user) return;
    const next = user.waiting.shift();
    if (next) next();
    else if (--user.running === 0) this.users.delete(who);
  }
}

const invalid = (message: string): ErrorReply => ({ ok: false, code: 'HERALD_ERR_VALIDATION', message });

/**
 * Every payload of the protocol is an object, or nothing (`null` too) for a request that takes
 * none: anything else (a string, a number, an array) is refused, not read as an empty request.
 * Checked once the event has been charged to the socket's budget, so that a flood of them is
 * cut off like any other.
 */
export function payloadProblem(packet: unknown[]): ErrorReply | undefined {
  const payload = typeof packet[1] === 'function' ? undefined : packet[1];
  if (payload === undefined || payload === null || (typeof payload === 'object' && !Array.isArray(payload))) return;
  const kind = Array.isArray(payload) ? 'an array' : `a ${typeof payload}`;
  return invalid(`"${String(packet[0]).slice(0, 40)}" takes an object (or nothing), not ${kind}.`);
}

/**
 * Wires authenticated sockets: joins the user's room, closes the socket when its token expires,
 * and answers the client's requests (sync, inbox, lifecycle reports). Every request with a reply
 * callback gets `{ ok: false, code, message }` for bad input, never silence.
 */
export function handleConnections(io: GatewayServer, deps: GatewayDeps): void {
  const turns = new CatchUpTurns();
  io.on('connection', (socket) => {
    // The handshake's HTTP request (and its TCP socket object) is not needed once authenticated:
    // drop it to keep memory per connection low. (Not earlier: the handshake reads its headers.)
    (socket.conn as unknown as { request: unknown }).request = null;
    const subscriber: Subscriber = {
      id: socket.data.subscriberId,
      appId: socket.data.appId,
      externalId: socket.data.userId,
    };
    // Live notifications for this socket wait until catch-up has sent what it missed.
    socket.data.catchUp = { held: [], upTo: 0, streams: {}, seq: socket.data.since ?? 0 };
    // Its user's room, the app's (broadcasts) and its topics' (topic sends), before catch-up reads
    // anything: a notification is either in what catch-up reads or emitted to a room it is in.
    socket.join([
      userRoom(socket.data.appId, socket.data.userId),
      appRoom(socket.data.appId),
      ...[...socket.data.topics.keys()].map((topic) => topicRoom(socket.data.appId, topic)),
    ]);
    const who = `${subscriber.appId}\u0000${subscriber.externalId}`;
    void turns
      .take(who)
      .then(async () => {
        try {
          // A socket that closed while it waited has nothing to catch up on.
          if (socket.connected) await catchUp(socket, subscriber, deps);
        } finally {
          turns.give(who);
        }
      })
      .catch((error) => deps.log.error({ err: error }, 'catch-up failed'));
    const rearm = watchCredentials(socket);

    // Every request is one payload and a callback. Sent with none (`emit('push:key', cb)`) or with
    // more than one, the callback would not be where the handler looks, and nothing would answer:
    // it gets the first payload (or none) and its callback. (Then the socket's budgets, which also
    // refuse a payload that is not an object: `payloadProblem`.)
    socket.use((packet, next) => {
      const last = packet[packet.length - 1];
      if (typeof last === 'function' && packet.length !== 3) {
        packet.splice(1, packet.length - 1, packet.length > 2 ? packet[1] : undefined, last);
      }
      next();
    });

    /**
     * Runs a request handler; a failure is answered instead of dropped: a coded refusal (a 4xx of
     * `Errors`, as REST would answer it) with its code and sentence, anything else logged and
     * answered HERALD_ERR_INTERNAL.
     */
    const answer = <R>(reply: ((r: R | ErrorReply) => void) | undefined, work: () => Promise<R | ErrorReply>) => {
      work().then(
        (r) => (typeof reply === 'function' ? reply(r) : undefined),
        (err: unknown) => {
          const refusal = err as { statusCode?: number; code?: string; message?: string };
          if (refusal.statusCode && refusal.statusCode < 500 && refusal.code && refusal.message) {
            if (typeof reply === 'function') reply({ ok: false, code: refusal.code, message: refusal.message });
            return;
          }
          deps.log.error({ err, userId: socket.data.userId }, 'socket request failed');
          if (typeof reply === 'function')
            reply({ ok: false, code: 'HERALD_ERR_INTERNAL', message: 'The server could not answer; try again.' });
        },
      );
    };

    const report = (event: DeliveryEvent) => (payload: unknown, reply?: (r: LifecycleReply) => void) => {
      const id = (payload as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string' || !isUuid(id)) {
        if (typeof reply === 'function') reply(invalid(`"${event}" needs { id: <notification id> }.`));
        return;
      }
      deps.recorder.record(event, id, subscriber.id);
      if (typeof reply === 'function') reply({ ok: true });
    };
    socket.on(ClientEvent.Displayed, report('displayed'));
    socket.on(ClientEvent.Clicked, report('clicked'));
    socket.on(ClientEvent.Closed, report('closed'));

    // A long-lived socket swaps in a fresh token before the old one expires, without reconnecting.
    socket.on(ClientEvent.AuthRefresh, (request, reply) =>
      answer(reply, async () => {
        const token = (request as { token?: unknown } | undefined)?.token;
        if (typeof token !== 'string' || token.length === 0) {
          return {
            ok: false as const,
            code: tokenFailureCode('missing'),
            message: '"auth:refresh" needs { token: "<user JWT>" }.',
          };
        }
        try {
          const claims = await deps.tokens.verify(token, socket.data.appId);
          if (claims.appId !== socket.data.appId || claims.userId !== socket.data.userId) {
            return {
              ok: false as const,
              code: 'HERALD_ERR_TOKEN_INVALID',
              message: 'The new token is for another user or app.',
            };
          }
          socket.data.exp = claims.exp;
          socket.data.secretId = claims.secretId;
          socket.data.validUntil = claims.validUntil;
          socket.data.topicGrants = claims.topics;
          rearm();
          return { ok: true as const, exp: claims.exp };
        } catch (error) {
          if (error instanceof TokenError) {
            return { ok: false as const, code: tokenFailureCode(error.reason), message: error.message };
          }
          throw error;
        }
      }),
    );

    socket.on(ClientEvent.Read, (request, reply) =>
      answer(reply, async () => {
        const r = (request ?? {}) as { id?: unknown; ids?: unknown };
        const ids = Array.isArray(r.ids) ? r.ids : r.id !== undefined ? [r.id] : [];
        if (ids.length === 0 || ids.length > MAX_IDS || !ids.every((id) => typeof id === 'string' && isUuid(id))) {
          return invalid(`"read" needs { id } or { ids: [...] } with 1 to ${MAX_IDS} notification ids.`);
        }
        const { unread } = await deps.inbox.markRead(subscriber, ids as string[]);
        return { ok: true as const, unread };
      }),
    );

    socket.on(ClientEvent.ReadAll, (_request, reply) =>
      answer(reply, async () => ({ ok: true as const, unread: (await deps.inbox.markRead(subscriber, 'all')).unread })),
    );

    socket.on(ClientEvent.Sync, (request, reply) =>
      answer(reply, async () => {
        const r = (request ?? {}) as { since?: unknown; limit?: unknown; streams?: unknown };
        const since = intOrNull(r.since, 0, MAX_SEQ);
        const limit = intOrNull(r.limit, 1, 200);
        const streams = streamCursors(r.streams);
        if (since === undefined || limit === undefined || streams === undefined) {
          return invalid(
            '"sync" needs { since: <sequence number or null>, streams?: { <topic or *>: <stream.seq> }, limit?: 1..200 }.',
          );
        }
        const page = await deps.inbox.sync(subscriber, since, limit ?? 100, { streams });
        // What the user would not want popping up is marked so, as on the live path; what was
        // accepted before this connection is a replay, as in catch-up (one accepted since may be
        // answered here before its live copy comes: it is news).
        const rules = deps.rules(socket.data.appId);
        const connectedAt = socket.handshake.issued;
        for (const n of page.notifications) {
          if (!n.silent && silencedFor(socket.data.preferences, rules, n)) n.silent = true;
          if (acceptedBefore(n, connectedAt)) n.replay = true;
        }
        return page;
      }),
    );

    socket.on(ClientEvent.InboxList, (request, reply) =>
      answer(reply, async () => {
        const r = (request ?? {}) as { cursor?: unknown; limit?: unknown; unreadOnly?: unknown };
        const limit = intOrNull(r.limit, 1, 100);
        const cursor = r.cursor ?? null;
        if ((cursor !== null && (typeof cursor !== 'string' || cursor.length > 8192)) || limit === undefined) {
          return invalid('"inbox:list" needs { cursor?: <nextCursor>, limit?: 1..100, unreadOnly?: boolean }.');
        }
        return deps.inbox.list(subscriber, { cursor, limit: limit ?? 20, unreadOnly: r.unreadOnly === true });
      }),
    );

    socket.on(ClientEvent.InboxUnread, (_request, reply) =>
      answer(reply, async () => ({ ok: true as const, unread: await deps.inbox.unread(subscriber) })),
    );

    handleTopics(socket, deps.topics, answer);
    handlePreferences(socket, deps, answer);
    handlePush(socket, deps, answer);
  });
}
