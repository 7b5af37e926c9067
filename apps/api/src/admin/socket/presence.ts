import { randomUUID } from 'node:crypto';
import { AdminEvent, type AdminPresenceChange } from '@herald/protocol';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { adminNamespace } from '../../gateway/types.js';

const PRESENCE_EVERY_MS = 3000;

/**
 * Who is online on this node: every socket node reports its connection counts (for the overview)
 * and its online users (for the subscribers page) to Redis, and tells the admins watching which
 * users came and went.
 */
export default fp(
  async function adminPresence(fastify: FastifyInstance) {
    const nodeId = randomUUID();
    const admins = adminNamespace(fastify.io);
    const users = fastify.io.of('/');

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
      clearInterval(report);
      clearTimeout(flush);
      await fastify.stats.removeNode(nodeId);
    });
  },
  { name: 'herald-admin-presence', dependencies: ['herald-socket', 'herald-services'] },
);

/** Adds `value` to the list under `key` (in place: a storm of thousands must not copy the list each time). */
function appendTo(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}
