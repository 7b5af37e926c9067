// Baseline (a): a bare Socket.IO server in the style of the classic tutorials — rooms and emit,
// no authentication, no queue, no persistence. POST /send takes the same notifications Herald does
// and emits each one to its user's room (or to everyone, for a broadcast). With BENCH_ACKS=1 it
// asks every client for an ack, as Herald does (Socket.IO's room emit with an ack, the acks
// dropped): the `socketio-acks` target, which prices the return trip alone. With
// BENCH_ADAPTER=sharded it runs on the same sharded Redis adapter as a Herald cluster (for the
// two-node comparison).
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { listen, sendServer } from '../lib/send-endpoint.mjs';

const ACKS = process.env.BENCH_ACKS === '1';
const ignore = () => {};
const server = sendServer((n) => {
  const to = n.to.broadcast ? [io] : (n.to.userIds ?? [n.to.userId]).map((user) => io.to(`user:${user}`));
  for (const room of to) {
    if (ACKS) room.timeout(30_000).emit('notification', n.payload, ignore);
    else room.emit('notification', n.payload);
  }
});
let adapter;
if (process.env.BENCH_ADAPTER === 'sharded') {
  const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  adapter = createShardedAdapter(pub, pub.duplicate(), { subscriptionMode: 'dynamic' });
}
const io = new Server(server, { perMessageDeflate: false, serveClient: false, cors: { origin: true }, adapter });
io.on('connection', (socket) => {
  socket.join(`user:${socket.handshake.auth.userId}`);
});
// A profile (BENCH_PROFILE) is written only on a clean exit.
process.on('SIGTERM', () => process.exit(0));
listen(server);
