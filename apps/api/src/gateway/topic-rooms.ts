import { topicRoom, userRoom } from '@herald/protocol';
import type { MembershipEvent } from '../topics/repository.js';
import type { GatewayServer, GatewaySocket } from './types.js';

/**
 * Keeps this node's sockets in the rooms of their users' topics, and each socket's record of where
 * its user's window in each topic starts (`socket.data.topics`), which live delivery checks: a topic
 * send accepted before a user joined is not theirs, even if it goes out after.
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
  } else if (event.kind === 'left') {
    each(socketsOf(event.userIds), (socket) => {
      socket.data.topics.delete(event.topic);
      socket.leave(room);
    });
  } else {
    each([...(nsp.adapter.rooms.get(room) ?? [])], (socket) => {
      socket.data.topics.delete(event.topic);
      socket.leave(room);
    });
  }
}
