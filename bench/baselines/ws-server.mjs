// Baseline (b): a raw `ws` server sending the same frames — the ceiling for one process.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const sockets = new Map();
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
      const frame = JSON.stringify(n.payload);
      const users = n.to.broadcast ? [...sockets.keys()] : (n.to.userIds ?? [n.to.userId]);
      for (const user of users) for (const ws of sockets.get(user) ?? []) ws.send(frame);
    }
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: notifications.length }));
  });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://x').searchParams.get('user');
  if (!sockets.has(user)) sockets.set(user, new Set());
  sockets.get(user).add(ws);
  ws.on('close', () => {
    sockets.get(user)?.delete(ws);
    if (sockets.get(user)?.size === 0) sockets.delete(user);
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
