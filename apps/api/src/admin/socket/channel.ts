import { randomUUID } from 'node:crypto';
import { AdminEvent, type AdminPresenceChange, type AdminStats, HandshakeErrorCode } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { handshakeError } from '../../gateway/handshake.js';
import { type AdminSocketData, adminNamespace } from '../../gateway/types.js';
import { crossOriginReason } from '../../platform/http/same-origin.js';
import type { AdminPrincipal, EndedSessions } from '../session/admin-auth.js';
import { METRICS } from '../stats/repository.js';

declare module 'fastify' {
  interface FastifyInstance {
    adminStats: () => Promise<AdminStats>;
  }
}

const PUSH_EVERY_MS = 2000;
const PRESENCE_EVERY_MS = 3000;
/** How often each node checks that the sessions behind its admin channels still exist. */
const SESSION_CHECK_EVERY_MS = 30_000;
const SESSIONS_ENDED = 'herald:admin-sessions-ended' as const;

const endedMessage: Record<EndedSessions['reason'] | 'expired', string> = {
  'signed-out': 'You signed out; sign in again to watch live.',
  removed: 'Your admin account was removed.',
  expired: 'Your session expired or ended; sign in again.',
};

/**
 * The dashboard's live channel: the `/admin` namespace, for signed-in admins only. It pushes
 * counters every two seconds while an admin is watching, presence changes as they happen, and
 * (from the services) accepted notifications and delivery changes — the dashboard never polls.
 * Every socket node also reports its connection counts and online users to Redis.
 */
export default fp(
  async function adminSocket(fastify: FastifyInstance, opts: { publicUrl?: string; cluster?: boolean }) {
    const nodeId = randomUUID();
    const publicOrigin = opts.publicUrl ? new URL(opts.publicUrl).origin : undefined;
    const admins = adminNamespace(fastify.io);
    const users = fastify.io.of('/');

    const adminStats = async (): Promise<AdminStats> => {
      const [presence, series, counts] = await Promise.all([
        fastify.stats.presence(),
        fastify.stats.series(60),
        fastify.notificationsQueue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      ]);
      const lastHour = { sent: 0, delivered: 0, displayed: 0, clicked: 0, read: 0 };
      for (const point of series) for (const m of METRICS) lastHour[m] += point[m];
      return {
        presence,
        lastHour,
        series,
        queue: {
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed: counts.failed ?? 0,
        },
      };
    };
    fastify.decorate('adminStats', adminStats);

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
    // A channel lives no longer than the session it was opened with: signing out, removing the
    // admin, or the session expiring closes it, on whichever node it is.
    const principal = (socket: { data: AdminSocketData }) => socket.data.admin;
    admins.on('connection', (socket) => {
      (socket.conn as unknown as { request: unknown }).request = null;
      adminStats().then(
        (s) => socket.emit(AdminEvent.Stats, s),
        () => {},
      );
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
      fastify.prisma.adminSession
        .findMany({
          where: { id: { in: [...new Set(open.map((a) => a.sessionId))] } },
          select: { id: true, expiresAt: true },
        })
        .then((rows) => {
          const live = new Set(rows.filter((r) => r.expiresAt.getTime() > Date.now()).map((r) => r.id));
          close((a) => !live.has(a.sessionId), 'expired');
        })
        .catch((err) => fastify.log.warn({ err }, 'could not check the sessions of admin channels'));
    }, SESSION_CHECK_EVERY_MS);

    // Counters for the admins watching this node.
    const push = setInterval(() => {
      if (admins.sockets.size === 0) return;
      adminStats().then(
        (s) => admins.local.emit(AdminEvent.Stats, s),
        (err) => fastify.log.warn({ err }, 'could not compute dashboard stats'),
      );
    }, PUSH_EVERY_MS);

    // Who is online on this node: counts for the overview, per-user presence for the subscribers page.
    const localUsers = new Map<string, number>();
    let changes: AdminPresenceChange[] = [];
    let flush: NodeJS.Timeout | undefined;
    // Connects and disconnects are written to Redis and told to admins once a second, in batches:
    // a reconnect storm must not cost a Redis round trip per socket.
    const changed = (appId: string, userId: string, online: boolean) => {
      changes.push({ appId, userId, online });
      flush ??= setTimeout(() => {
        flush = undefined;
        const batch = changes;
        changes = [];
        // Each user's last change in the batch is what counts: one write per app and direction.
        const last = new Map(batch.map((c) => [`${c.appId}\u0000${c.userId}`, c]));
        const cameOnline = new Map<string, string[]>();
        const wentOffline = new Map<string, string[]>();
        for (const c of last.values()) appendTo(c.online ? cameOnline : wentOffline, c.appId, c.userId);
        for (const [appId, ids] of cameOnline) void fastify.stats.touchOnline(appId, ids);
        for (const [appId, ids] of wentOffline) void fastify.stats.dropOnline(appId, ids);
        admins.emit(AdminEvent.Presence, batch.slice(-500));
      }, 1000);
    };
    users.on('connection', (socket) => {
      const key = `${socket.data.appId}\u0000${socket.data.userId}`;
      const n = (localUsers.get(key) ?? 0) + 1;
      localUsers.set(key, n);
      if (n === 1) changed(socket.data.appId, socket.data.userId, true);
      socket.once('disconnect', () => {
        const left = (localUsers.get(key) ?? 1) - 1;
        if (left > 0) localUsers.set(key, left);
        else {
          localUsers.delete(key);
          changed(socket.data.appId, socket.data.userId, false);
        }
      });
    });
    const report = setInterval(() => {
      void fastify.stats.reportNode(nodeId, { sockets: users.sockets.size, users: localUsers.size });
      const byApp = new Map<string, string[]>();
      for (const key of localUsers.keys()) {
        const [appId = '', userId = ''] = key.split('\u0000');
        appendTo(byApp, appId, userId);
      }
      for (const [appId, ids] of byApp) void fastify.stats.touchOnline(appId, ids);
    }, PRESENCE_EVERY_MS);
    void fastify.stats.reportNode(nodeId, { sockets: 0, users: 0 });

    fastify.addHook('onClose', async () => {
      clearInterval(sessionCheck);
      clearInterval(push);
      clearInterval(report);
      clearTimeout(flush);
      await fastify.stats.removeNode(nodeId);
    });
  },
  { name: 'herald-admin-socket', dependencies: ['herald-socket', 'herald-admin-auth', 'herald-services'] },
);

/** Adds `value` to the list under `key` (in place: a storm of thousands must not copy the list each time). */
function appendTo(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}
