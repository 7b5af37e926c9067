import { AdminEvent, HandshakeErrorCode } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { handshakeError } from '../../gateway/handshake.js';
import { type AdminSocketData, adminNamespace } from '../../gateway/types.js';
import { crossOriginReason } from '../../platform/http/same-origin.js';
import type { AdminPrincipal, EndedSessions } from '../session/admin-auth.js';
import { SessionRepository } from '../session/repository.js';

/** How often each node checks that the sessions behind its admin channels still exist. */
const SESSION_CHECK_EVERY_MS = 30_000;
const SESSIONS_ENDED = 'herald:admin-sessions-ended' as const;

const endedMessage: Record<EndedSessions['reason'] | 'expired', string> = {
  'signed-out': 'You signed out; sign in again to watch live.',
  removed: 'Your admin account was removed.',
  expired: 'Your session expired or ended; sign in again.',
};

/**
 * The dashboard's live channel: the `/admin` namespace, for signed-in admins only, opened from the
 * dashboard's own origin. A channel lives no longer than the session it was opened with: signing
 * out, removing the admin, or the session expiring closes it, on whichever node it is. What it
 * carries is pushed by `stats.ts` (counters), `presence.ts` (who is online) and the services
 * (accepted notifications, delivery changes): the dashboard never polls.
 */
export default fp(
  async function adminChannel(fastify: FastifyInstance, opts: { publicUrl?: string; cluster?: boolean }) {
    const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    const admins = adminNamespace(fastify.io);
    const sessions = new SessionRepository(fastify.prisma);

    admins.use(async (socket, next) => {
      // The session cookie is SameSite=Strict, which still lets a sibling site's page open this
      // socket from an admin's browser: only the dashboard's own origin may.
      if (crossOriginReason(socket.handshake.headers, [socket.handshake.headers.host], publicOrigin)) {
        next(handshakeError(HandshakeErrorCode.OriginForbidden, 'Only the dashboard itself may open this channel.'));
        return;
      }
      const admin = await fastify.adminSessions.fromCookieHeader(socket.handshake.headers.cookie).catch(() => null);
      if (!admin) {
        next(
          Object.assign(new Error('Sign in to the dashboard first.'), {
            data: { code: 'HERALD_ERR_SIGN_IN_REQUIRED' },
          }),
        );
        return;
      }
      socket.data.admin = admin;
      next();
    });
    const principal = (socket: { data: AdminSocketData }) => socket.data.admin;
    admins.on('connection', (socket) => {
      (socket.conn as unknown as { request: unknown }).request = null;
      const expiresAt = principal(socket)?.expiresAt ?? 0;
      const expiry = setTimeout(
        () => close((a) => a.sessionId === principal(socket)?.sessionId, 'expired'),
        Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1),
      );
      socket.once('disconnect', () => clearTimeout(expiry));
    });
    const close = (matches: (admin: AdminPrincipal) => boolean, reason: keyof typeof endedMessage) => {
      for (const socket of admins.sockets.values()) {
        const admin = principal(socket);
        if (!admin || !matches(admin)) continue;
        socket.emit(AdminEvent.SessionEnded, { code: 'HERALD_ERR_SIGN_IN_REQUIRED', message: endedMessage[reason] });
        socket.disconnect(true);
      }
    };
    const closeEnded = (ended: EndedSessions) =>
      'sessionId' in ended
        ? close((a) => a.sessionId === ended.sessionId, ended.reason)
        : close((a) => a.id === ended.adminId, ended.reason);
    fastify.adminSessions.onEnded((ended) => {
      closeEnded(ended);
      if (opts.cluster) admins.serverSideEmit(SESSIONS_ENDED, ended);
    });
    admins.on(SESSIONS_ENDED, (ended) => closeEnded(ended));
    // The backstop for what no message told this node (expiry, a message lost while Redis was away).
    const sessionCheck = setInterval(() => {
      const open = [...admins.sockets.values()].map(principal).filter((a): a is AdminPrincipal => !!a);
      if (open.length === 0) return;
      sessions
        .existing([...new Set(open.map((a) => a.sessionId))])
        .then((rows) => {
          const live = new Set(rows.filter((r) => r.expiresAt.getTime() > Date.now()).map((r) => r.id));
          close((a) => !live.has(a.sessionId), 'expired');
        })
        .catch((err) => fastify.log.warn({ err }, 'could not check the sessions of admin channels'));
    }, SESSION_CHECK_EVERY_MS);

    fastify.addHook('onClose', async () => {
      clearInterval(sessionCheck);
    });
  },
  { name: 'herald-admin-channel', dependencies: ['herald-socket', 'herald-admin-auth'] },
);
