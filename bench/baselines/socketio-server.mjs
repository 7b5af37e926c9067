// Baseline (a): a bare Socket.IO server in the style of the classic tutorials — rooms and emit,
// no authentication, no queue, no persistence, no acks. POST /send takes the same notifications
// Herald does and emits each one to its user's room. With BENCH_ADAPTER=sharded it runs on the
// same sharded Redis adapter as a Herald cluster (for the two-node comparison).
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { listen, sendServer } from '../lib/send-endpoint.mjs';

const server = sendServer((n) => {
  if (n.to.broadcast) io.emit('notification', n.payload);
  else for (const user of n.to.userIds ?? [n.to.userId]) io.to(`user:${user}`).emit('notification', n.payload);
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
listen(server);
