import type { ClientToServerEvents, ServerToClientEvents } from '@herald/protocol';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Server, type ServerOptions } from 'socket.io';
import { type GatewayServer, handleConnections, type SocketData } from '../gateway/connections.js';
import { authenticateHandshake } from '../gateway/handshake.js';
import { createRedis, type RedisEndpoint } from '../lib/redis-endpoint.js';
import { deliveriesChannel, localDelivery, resendQueued, subscribeDeliveries } from '../services/deliveries.js';
import { SubscriberRegistry } from '../services/subscribers.js';

declare module 'fastify' {
  interface FastifyInstance {
    io: GatewayServer;
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
export function shardedAdapter(endpoint: RedisEndpoint, name: string) {
  const pub: Redis = createRedis(endpoint, { connectionName: `herald:${name}:pub` });
  const sub: Redis = pub.duplicate({ connectionName: `herald:${name}:sub` });
  for (const c of [pub, sub]) c.on('error', () => {});
  return {
    adapter: createShardedAdapter(pub, sub, { subscriptionMode: 'dynamic' }),
    async close() {
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
    },
  };
}

/** Socket.IO attached to Fastify's HTTP server, authenticating every handshake. */
export default fp(
  async function socket(
    fastify: FastifyInstance,
    opts: { adapter: boolean; queuePrefix: string; ackTimeoutMs: number; freshnessMs: number },
  ) {
    const cluster = opts.adapter ? shardedAdapter(fastify.redisEndpoint, 'gateway') : undefined;
    const io: GatewayServer = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>(
      fastify.server,
      { ...SOCKET_OPTIONS, ...(cluster ? { adapter: cluster.adapter } : {}) },
    );
    io.use(authenticateHandshake(fastify.userTokens, new SubscriberRegistry(fastify.sql)));
    handleConnections(io, {
      recorder: fastify.recorder,
      inbox: fastify.inbox,
      tokens: fastify.userTokens,
      log: fastify.log,
    });
    fastify.decorate('io', io);
    // App changes (secret rotation, allowed origins) reach every node's cache at once.
    const cluster$ = io as unknown as {
      serverSideEmit(event: string, ...args: unknown[]): void;
      on(event: string, listener: (...args: unknown[]) => void): void;
    };
    fastify.apps.broadcast = (appId) => cluster$.serverSideEmit('herald:app-changed', appId);
    cluster$.on('herald:app-changed', (appId) => fastify.apps.forget(String(appId)));
    cluster$.on('herald:key-revoked', (keyId) => fastify.forgetApiKey(String(keyId)));

    // In a cluster, workers publish each dispatched batch once; every node emits to its own sockets.
    let deliveries: Redis | undefined;
    if (cluster) {
      const channel = deliveriesChannel(opts.queuePrefix);
      const sub = createRedis(fastify.redisEndpoint, {
        connectionName: `herald:gateway:deliveries:${opts.queuePrefix}`,
      });
      deliveries = sub;
      sub.on('error', (err) => fastify.log.warn({ err }, 'deliveries channel connection error'));
      const deliver = localDelivery(io, fastify.recorder, opts.ackTimeoutMs, (s) =>
        fastify.metrics.ackLatency.observe(s),
      );
      await subscribeDeliveries(sub, channel, deliver, (err) =>
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
          .then(() => resendQueued(io, fastify.sql, deliver, opts.freshnessMs))
          .then((sent) => {
            if (sent) fastify.log.info({ sent }, 'deliveries channel back: re-sent queued notifications');
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
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
      });
      await cluster?.close();
      await deliveries?.quit().catch(() => deliveries?.disconnect());
    });
  },
  { name: 'herald-socket', dependencies: ['herald-services', 'herald-redis', 'herald-metrics'] },
);
