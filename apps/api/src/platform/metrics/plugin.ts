import { ADMIN_NAMESPACE } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { createMetrics, type HeraldMetrics } from './metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: HeraldMetrics;
  }
}

/** A scrape must not hang on a slow Redis or database: a gauge that did not answer keeps its last value. */
const COLLECT_TIMEOUT_MS = 1000;

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * Prometheus metrics at /metrics: the process's (shared with its worker in the `all` role), plus
 * gauges read at scrape time — this node's sockets and users, the queue's depth and how long the
 * oldest due notification has waited.
 */
export default fp(
  async function metrics(fastify: FastifyInstance, opts: { metrics?: HeraldMetrics }) {
    const own = opts.metrics === undefined;
    const m = opts.metrics ?? createMetrics();
    const registers = [m.registry];

    new Gauge({
      name: 'herald_sockets_connected',
      help: 'End-user sockets connected to this node',
      registers,
      collect() {
        this.set(fastify.io?.of('/').sockets.size ?? 0);
      },
    });
    new Gauge({
      name: 'herald_users_connected',
      help: 'Distinct users with at least one socket on this node',
      registers,
      collect() {
        let users = 0;
        // Each user's sockets share the room user:<app>:<user> (the others are one per socket).
        for (const room of fastify.io?.of('/').adapter.rooms.keys() ?? []) if (room.startsWith('user:')) users++;
        this.set(users);
      },
    });
    new Gauge({
      name: 'herald_admin_sockets_connected',
      help: 'Dashboard sockets connected to this node',
      registers,
      collect() {
        this.set(fastify.io?.of(ADMIN_NAMESPACE).sockets.size ?? 0);
      },
    });
    new Gauge({
      name: 'herald_queue_jobs',
      help: 'Dispatch jobs in the queue by state (waiting includes prioritized; delayed are scheduled sends)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const counts = await withTimeout(
          fastify.notificationsQueue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
        );
        if (!counts) return;
        const value: Record<string, number> = { ...counts, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) };
        for (const state of QUEUE_STATES) this.set({ state }, value[state] ?? 0);
      },
    });
    new Gauge({
      name: 'herald_push_queue_jobs',
      help: 'Web Push jobs in their queue by state (delayed: waiting out the socket window, or a retry)',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const counts = await withTimeout(fastify.pushQueue.getJobCounts('waiting', 'active', 'delayed', 'failed'));
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
    new Gauge({
      name: 'herald_queue_oldest_age_seconds',
      help: 'How long the oldest notification that is due (accepted, or past its sendAt) has waited to go out; 0 when none waits',
      registers,
      async collect() {
        const rows = await withTimeout(
          fastify.sql.query<{ age: number | string | null }>(
            // A send dispatched by its accept waits in the outbox until its job emitted it.
            `SELECT EXTRACT(EPOCH FROM now() - LEAST(
                      (SELECT min(COALESCE(send_at, created_at)) FROM notifications
                        WHERE status IN ('queued', 'processing') OR (status = 'scheduled' AND send_at <= now())),
                      (SELECT min(created_at) FROM dispatch_outbox WHERE cardinality(notification_ids) > 0)))::float8 AS age`,
          ),
        );
        if (!rows) return;
        const age = Number(rows[0]?.age ?? 0);
        this.set(Number.isFinite(age) && age > 0 ? age : 0);
      },
    });

    fastify.decorate('metrics', m);
    fastify.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.type(m.registry.contentType);
      return m.registry.metrics();
    });
    if (own) fastify.addHook('onClose', async () => m.close());
  },
  { name: 'herald-metrics' },
);

async function withTimeout<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), COLLECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
