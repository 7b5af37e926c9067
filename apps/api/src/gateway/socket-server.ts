import type { ClientToServerEvents, ServerToClientEvents } from '@herald/protocol';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Server, type ServerOptions } from 'socket.io';
import {
  type Deliver,
  deliveriesChannel,
  localDelivery,
  resendQueued,
  subscribeDeliveries,
} from '../delivery/socket-channel.js';
import { clientAddress } from '../platform/http/connection-limits.js';
import { adapterChannelPrefix } from '../platform/installation.js';
import { createRedis, type RedisEndpoint } from '../platform/redis/endpoint.js';
import { handleConnections } from './connections.js';
import { recheckSockets } from './credentials.js';
import { authenticateHandshake } from './handshake.js';
import { applyPreferences } from './preferences.js';
import { applyPushKey } from './push.js';
import { resendStreams } from './resend-streams.js';
import { SubscriberRegistry } from './subscribers.js';
import { applyMembership } from './topic-rooms.js';
import type { GatewayServer, InterServerEvents, SocketData } from './types.js';

/** How often each node of a cluster rechecks its sockets' credentials against the apps' current secrets. */
const RECHECK_EVERY_MS = 60_000;

/** What one node tells the others (a no-op without a cluster adapter). */
export type NodeEvent = Exclude<
  keyof InterServerEvents,
  'herald:admin-sessions-ended' | 'herald:topic-members' | 'herald:preferences' | 'herald:push-key'
>;

declare module 'fastify' {
  interface FastifyInstance {
    io: GatewayServer;
    /** Emits a dispatched batch to this node's sockets and records their acks (see delivery/socket-channel.ts). */
    deliverLocally: Deliver;
    /** Tells the other nodes about a change (an app's id, a revoked key's id). */
    tellNodes: (event: NodeEvent, id: string) => void;
  }
}

export const SOCKET_OPTIONS: Partial<ServerOptions> = {
  path: '/socket.io',
  serveClient: false,
  // Small frames: compression costs CPU and ~300 KB of memory per socket for little gain.
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  // Long-polling is cross-origin from integrators' pages; the JWT, not cookies, authenticates.
  cors: { origin: true, credentials: false },
  // Herald replays from PostgreSQL instead: that survives process and Redis crashes.
  connectionStateRecovery: undefined,
};

/**
 * The sharded Redis adapter: a per-user emit goes only to nodes that host that user's room.
 * Returns the adapter factory and a function closing its two connections.
 */
export function shardedAdapter(endpoint: RedisEndpoint, name: string, queuePrefix: string) {
  const pub: Redis = createRedis(endpoint, { connectionName: `herald:${name}:pub` });
  const sub: Redis = pub.duplicate({ connectionName: `herald:${name}:sub` });
  for (const c of [pub, sub]) c.on('error', () => {});
  return {
    adapter: createShardedAdapter(pub, sub, {
      subscriptionMode: 'dynamic',
      channelPrefix: adapterChannelPrefix(queuePrefix),
    }),
    async close() {
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
    },
  };
}

/** Socket.IO attached to Fastify's HTTP server, authenticating every handshake. */
export default fp(
  async function socket(
    fastify: FastifyInstance,
    opts: {
      adapter: boolean;
      queuePrefix: string;
      ackTimeoutMs: number;
      freshnessMs: number;
      /** HERALD_TRUST_PROXY: whose X-Forwarded-For a handshake's address is read from. */
      trustProxy: boolean | string;
    },
  ) {
    const cluster = opts.adapter ? shardedAdapter(fastify.redisEndpoint, 'gateway', opts.queuePrefix) : undefined;
    const io: GatewayServer = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(
      fastify.server,
      { ...SOCKET_OPTIONS, ...(cluster ? { adapter: cluster.adapter } : {}) },
    );
    /** An app's categories as this node last read them: users' preferences silence popups by them. */
    const rules = (appId: string) => fastify.apps.peek(appId)?.categories;
    /** Whether the app has Web Push subscriptions, as this node last read it. */
    const pushApp = (appId: string) => fastify.apps.peek(appId)?.hasPush === true;
    const acks = {
      recorder: fastify.recorder,
      ackTimeoutMs: opts.ackTimeoutMs,
      observeAck: (seconds: number) => fastify.metrics.ackLatency.observe(seconds),
      rules,
    };
    io.use(
      authenticateHandshake(
        fastify.userTokens,
        new SubscriberRegistry(fastify.sql),
        clientAddress(opts.trustProxy),
        () => fastify.metrics.rateLimited.inc({ scope: 'app-id' }),
      ),
    );
    handleConnections(io, {
      recorder: fastify.recorder,
      inbox: fastify.inbox,
      tokens: fastify.userTokens,
      topics: fastify.topics,
      preferences: fastify.preferences,
      categories: fastify.categories,
      vapid: fastify.vapid,
      pushSubscriptions: fastify.pushSubscriptions,
      rules,
      pushApp,
      ackTimeoutMs: opts.ackTimeoutMs,
      log: fastify.log,
      observeAck: (seconds) => fastify.metrics.ackLatency.observe(seconds),
      onCaughtUp: (count) => fastify.metrics.catchUp.observe(count),
    });
    fastify.decorate('io', io);
    fastify.decorate(
      'deliverLocally',
      localDelivery(
        io,
        fastify.recorder,
        opts.ackTimeoutMs,
        (s) => fastify.metrics.ackLatency.observe(s),
        rules,
        pushApp,
      ),
    );
    // Only an adapter that links the nodes can tell them; a lone node has nobody to tell.
    fastify.decorate('tellNodes', (event: NodeEvent, id: string) => {
      if (cluster) io.serverSideEmit(event, id);
    });
    // App changes (secret rotation or revocation, allowed origins) reach every node's cache at
    // once, and every node holds its own sockets of that app to the new rules.
    const recheck = (appId?: string) =>
      recheckSockets(io, fastify.apps, appId === undefined ? undefined : [appId]).then(
        (closed) => {
          if (closed) fastify.log.info({ appId, closed }, 'closed sockets whose credentials are no longer valid');
        },
        (err) => fastify.log.error({ err, appId }, 'could not recheck the credentials of open sockets'),
      );
    // The backstop for a change this node was not told about (Redis away at that moment).
    const recheckAll = cluster ? setInterval(() => void recheck(), RECHECK_EVERY_MS) : undefined;
    recheckAll?.unref();
    fastify.apps.broadcast = (appId) => {
      fastify.tellNodes('herald:app-changed', appId);
      void recheck(appId);
    };
    io.on('herald:app-changed', (appId) => {
      fastify.apps.forget(String(appId));
      void recheck(String(appId));
    });
    io.on('herald:key-revoked', (keyId) => fastify.forgetApiKey(String(keyId)));
    // Who is in which topic: this node's sockets move rooms at once, the other nodes' when told.
    fastify.topics.listen((event) => {
      applyMembership(io, event);
      if (cluster) io.serverSideEmit('herald:topic-members', event);
    });
    io.on('herald:topic-members', (event) => applyMembership(io, event));
    // A user's preferences: this node's sockets of the user take them at once, the other nodes' when told.
    fastify.preferences.listen((event) => {
      applyPreferences(io, event);
      if (cluster) io.serverSideEmit('herald:preferences', event);
    });
    io.on('herald:preferences', (event) => applyPreferences(io, event));
    // An app's push key: this node's subscribed browsers are told at once, the other nodes' when told.
    fastify.vapid.listen((event) => {
      applyPushKey(io, event);
      if (cluster) io.serverSideEmit('herald:push-key', event);
    });
    io.on('herald:push-key', (event) => {
      fastify.vapid.forget(event.appId);
      applyPushKey(io, event);
    });

    // In a cluster, workers publish each dispatched batch once; every node emits to its own sockets.
    let deliveries: Redis | undefined;
    if (cluster) {
      const channel = deliveriesChannel(opts.queuePrefix);
      const sub = createRedis(fastify.redisEndpoint, {
        connectionName: `herald:gateway:deliveries:${opts.queuePrefix}`,
      });
      deliveries = sub;
      sub.on('error', (err) => fastify.log.warn({ err }, 'deliveries channel connection error'));
      await subscribeDeliveries(sub, channel, fastify.deliverLocally, (err) =>
        fastify.log.error({ err }, 'could not deliver a dispatched batch'),
      );
      // Subscribed, so every later 'ready' is a reconnect (Redis restarted, or it cut a slow
      // subscriber off): what was published meanwhile is gone from pub/sub, so send this node's
      // users what is still queued for them. 'ready' comes before ioredis re-subscribes: subscribe
      // first (it is idempotent), so nothing published between the read and the re-subscription
      // is missed.
      sub.on('ready', () => {
        sub
          .ssubscribe(channel)
          .then(() => resendQueued(io, fastify.sql, fastify.deliverLocally, opts.freshnessMs))
          .then(async (sent) => {
            // And the topic sends and broadcasts no device of the user received since its catch-up.
            const streamed = await resendStreams(io, fastify.sql, acks, opts.freshnessMs);
            if (sent || streamed) {
              fastify.log.info({ sent, streamed }, 'deliveries channel back: re-sent queued notifications');
            }
          })
          .catch((err) => fastify.log.error({ err }, 'could not re-send queued notifications'));
      });
    }

    // Before the HTTP server closes, which waits for every connection to end: close every Socket.IO
    // connection of this node — both namespaces (`/` and the dashboard's `/admin`), WebSocket and
    // long-polling alike. Closing the transport (not a `disconnect` packet) is what a restart should
    // look like to clients: socket.io-client then reconnects by itself, to another node or to this
    // one once it is back.
    fastify.addHook('preClose', async () => {
      io.engine.close();
    });
    fastify.addHook('onClose', async () => {
      clearInterval(recheckAll);
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
      });
      await cluster?.close();
      await deliveries?.quit().catch(() => deliveries?.disconnect());
    });
  },
  { name: 'herald-socket', dependencies: ['herald-services', 'herald-redis', 'herald-metrics'] },
);
