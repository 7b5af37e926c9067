import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry; accepted: Counter<'priority'>; rateLimited: Counter<'scope'> };
  }
}

/** Where a rejection happened: a REST route, a socket event, a TCP connection, the demo endpoints. */
export type RateLimitScope = 'rest' | 'socket' | 'connection' | 'demo';

/** Prometheus metrics at /metrics: process defaults plus Herald's own. */
export default fp(
  async function metrics(fastify: FastifyInstance) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'herald_' });
    const accepted = new Counter({
      name: 'herald_notifications_accepted_total',
      help: 'Notifications accepted with a 202',
      labelNames: ['priority'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'herald_sockets_connected',
      help: 'Sockets connected to this process',
      registers: [registry],
      collect() {
        this.set(fastify.io?.engine.clientsCount ?? 0);
      },
    });
    const rateLimited = new Counter({
      name: 'herald_rate_limited_total',
      help: 'Requests, socket events and connections refused by a rate limit or connection cap',
      labelNames: ['scope'] as const,
      registers: [registry],
    });
    // Every scope is exported from the start, so a graph shows 0 rather than no series.
    for (const scope of ['rest', 'socket', 'connection', 'demo'] satisfies RateLimitScope[]) {
      rateLimited.inc({ scope }, 0);
    }
    fastify.decorate('metrics', { registry, accepted, rateLimited });
    fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'herald-metrics' },
);
