import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry; accepted: Counter<'priority'> };
  }
}

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
    fastify.decorate('metrics', { registry, accepted });
    fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'herald-metrics' },
);
