// Baseline (a): a bare Socket.IO server in the style of the classic tutorials — rooms and emit,
// no authentication, no queue, no persistence, no acks. POST /send takes the same notifications
// Herald does and emits each one to its user's room.
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/send') {
    res.writeHead(404).end();
    return;
  }
  let raw = '';
  req.on('data', (d) => {
    raw += d;
  });
  req.on('end', () => {
    const { notifications } = JSON.parse(raw);
    for (const n of notifications) {
      if (n.to.broadcast) io.emit('notification', n.payload);
      else for (const user of n.to.userIds ?? [n.to.userId]) io.to(`user:${user}`).emit('notification', n.payload);
    }
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: notifications.length }));
  });
});
const io = new Server(server, { perMessageDeflate: false, serveClient: false, cors: { origin: true } });
io.on('connection', (socket) => {
  socket.join(`user:${socket.handshake.auth.userId}`);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
