import { type AckRecording, emitNotification } from '../delivery/socket-emit.js';
import { streamPayload, streamsAfter } from '../inbox/streams.js';
import type { Sql } from '../platform/db/database.js';
import type { GatewayServer } from './types.js';

/** At most this many stream notifications per socket are sent again by `resendStreams`. */
export const RESEND_STREAM_PER_SOCKET = 200;

/**
 * Sends again the topic sends and broadcasts this node's sockets may have missed while its
 * deliveries channel was down (pub/sub keeps nothing for a disconnected subscriber): for each
 * socket past its catch-up, what its user's streams hold after where the catch-up ended that no
 * device of the user received (no receipt), oldest first per stream — as `resendQueued` does for
 * the personal ones. A copy of something that did arrive is dropped by the client, by id.
 * Returns how many it sent.
 */
export async function resendStreams(
  io: GatewayServer,
  sql: Sql,
  acks: AckRecording,
  freshnessMs: number,
): Promise<number> {
  let sent = 0;
  for (const socket of io.of('/').sockets.values()) {
    const state = socket.data.catchUp;
    if (!state || state.held || !socket.data.subscriberId) continue; // still catching up: it reads them itself
    const { rows } = await streamsAfter(sql, socket.data.subscriberId, state.streams, RESEND_STREAM_PER_SOCKET);
    for (const row of rows) {
      if (row.status !== 'queued' || socket.disconnected) continue; // a device of the user has it
      const { payload } = streamPayload(row, freshnessMs);
      payload.seq = 0; // a live copy's: in no personal sequence (emitNotification sets the socket's position)
      emitNotification(socket, payload, socket.data.subscriberId, acks);
      sent++;
    }
  }
  return sent;
}
