// Baseline (b): a raw `ws` server sending the same frames — the ceiling for one process.
import { WebSocketServer } from 'ws';
import { listen, sendServer } from '../lib/send-endpoint.mjs';

const sockets = new Map();
const server = sendServer((n) => {
  const frame = JSON.stringify(n.payload);
  const users = n.to.broadcast ? [...sockets.keys()] : (n.to.userIds ?? [n.to.userId]);
  for (const user of users) for (const ws of sockets.get(user) ?? []) ws.send(frame);
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
// A profile (BENCH_PROFILE) is written only on a clean exit.
process.on('SIGTERM', () => process.exit(0));
listen(server);
