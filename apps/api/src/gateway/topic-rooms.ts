import { topicRoom, userRoom } from '@herald/protocol';
import type { MembershipEvent } from '../topics/repository.js';
import type { GatewayServer, GatewaySocket } from './types.js';

/**
 * Keeps this node's sockets in the rooms of their users' topics, and each socket's record of its
 * user's windows in each topic (`socket.data.topics`: where the current one starts;
 * `socket.data.ended`: those that ended while it was connected), which live delivery checks: a
 * topic send accepted before a user joined is not theirs even if it goes out after, and one
 * accepted before they left still is (a scheduled one going out later). So a socket stays in the
 * room of a topic its user left, for as long as it is connected.
 */
export function applyMembership(io: GatewayServer, event: MembershipEvent): void {
  const nsp = io.of('/');
  const room = topicRoom(event.appId, event.topic);
  const socketsOf = (userIds: string[]) =>
    userIds.flatMap((userId) => [...(nsp.adapter.rooms.get(userRoom(event.appId, userId)) ?? [])]);
  const each = (ids: Iterable<string>, change: (socket: GatewaySocket) => void) => {
    for (const id of ids) {
      const socket = nsp.sockets.get(id);
      if (socket) change(socket);
    }
  };
  if (event.kind === 'joined') {
    each(socketsOf(event.userIds), (socket) => {
      socket.data.topics.set(event.topic, event.sinceSeq);
      socket.join(room);
    });
  } else {
    const ids = event.kind === 'left' ? socketsOf(event.userIds) : [...(nsp.adapter.rooms.get(room) ?? [])];
    each(ids, (socket) => {
      const since = socket.data.topics.get(event.topic);
      if (since === undefined) return;
      socket.data.topics.delete(event.topic);
      if (event.untilSeq > since) {
        const windows = socket.data.ended.get(event.topic) ?? [];
        windows.push([since, event.untilSeq]);
        socket.data.ended.set(event.topic, windows);
      } else socket.leave(room);
    });
  }
}
