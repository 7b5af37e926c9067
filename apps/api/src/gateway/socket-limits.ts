import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PENALTY_MS, PenaltyBox, USER_EVENT_CLASSES, userEventCost } from './budgets.js';
import { payloadProblem } from './connections.js';
import { limitEvents, rateLimitedHandshake } from './rate-limit.js';
import { adminNamespace } from './types.js';

/**
 * Per-socket event budgets on both namespaces (gateway/rate-limit.ts). A user whose socket is cut
 * for flooding is refused at the handshake on this node for `PENALTY_MS`, so reconnecting at once
 * does not buy a fresh budget.
 */
export default fp(
  async function socketLimits(fastify: FastifyInstance, opts: { scale: number }) {
    const refused = () => fastify.metrics.rateLimited.inc({ scope: 'socket' });
    const penalties = new PenaltyBox();
    const who = (data: { appId?: string; userId?: string }) => `${data.appId}\u0000${data.userId}`;

    if (opts.scale > 0) {
      // Runs after the handshake's authentication (registered later), so the user is known.
      fastify.io.use((socket, next) => {
        const left = penalties.remaining(who(socket.data));
        if (left > 0) {
          refused();
          next(rateLimitedHandshake(left));
        } else next();
      });
    }
    limitEvents(fastify.io.of('/'), {
      classes: USER_EVENT_CLASSES,
      costOf: userEventCost,
      check: payloadProblem,
      scale: opts.scale,
      onRefused: refused,
      groupOf: (socket) => who(socket.data),
      onCut: (socket) => {
        penalties.add(who(socket.data), PENALTY_MS);
        fastify.log.warn(
          { appId: socket.data.appId, userId: socket.data.userId },
          'socket closed for flooding the server with events',
        );
      },
    });
    // The dashboard's channel takes no client events: anything sent there is dropped (and counted).
    limitEvents(adminNamespace(fastify.io), {
      classes: {},
      scale: opts.scale,
      onRefused: refused,
    });
  },
  { name: 'herald-socket-limits', dependencies: ['herald-socket', 'herald-metrics'] },
);
