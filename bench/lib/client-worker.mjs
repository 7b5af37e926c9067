// A load-client process: many connections of one kind (herald | socketio | ws), acking like the
// SDK does (Herald), recording end-to-end latency (receipt time - the sender's timestamp in data.t),
// duplicates per connection, when each notification (by the sender's data.n) last arrived anywhere,
// how long connects and reconnects take, and how long a Herald catch-up on connect takes.
import { io } from 'socket.io-client';
import WebSocket from 'ws';

let conns = [];
let received = 0;
let duplicates = 0;
let latencies = [];
/** The sender's data.n of each latency (same index): which send it timed. */
let latencyNs = [];
/** data.n → when its latest copy arrived on any connection of this process (Date.now()). */
let lastArrivals = new Map();

function record(payload, seen) {
  if (seen.has(payload.id)) {
    duplicates++;
    return;
  }
  seen.add(payload.id);
  received++;
  const now = Date.now();
  const t = payload.data?.t;
  if (typeof t === 'number') {
    latencies.push(now - t);
    latencyNs.push(payload.data?.n ?? null);
  }
  if (payload.data?.n !== undefined) lastArrivals.set(payload.data.n, now);
}

/** Opens one connection for `user` to the node at `user.url`. */
function open(kind, user) {
  const { url } = user;
  return new Promise((resolve) => {
    const seen = user.seen ?? new Set();
    user.seen = seen;
    if (kind === 'ws') {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/?user=${encodeURIComponent(user.userId)}`, {
        perMessageDeflate: false,
      });
      ws.on('message', (data) => record(JSON.parse(data.toString()), seen));
      ws.once('open', () => resolve({ kind, ws, user }));
      ws.once('error', () => resolve({ kind, ws, user, failed: true }));
      return;
    }
    const socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: kind === 'herald' ? { token: user.token } : { userId: user.userId },
    });
    socket.on('notification', (payload, ack) => {
      // Arrival is when the client has it: timed before its ack is written, not after.
      record(payload, seen);
      if (typeof ack === 'function') ack({ ok: true });
    });
    socket.once('connect', async () => {
      if (kind === 'herald') {
        // What the SDK does on every connect: catch up from its cursor.
        try {
          const reply = await socket.timeout(30_000).emitWithAck('sync', { since: user.cursor ?? null, limit: 100 });
          if (reply?.ok) user.cursor = reply.notifications.at(-1)?.seq ?? reply.head;
        } catch {}
      }
      resolve({ kind, socket, user });
    });
    socket.once('connect_error', () => resolve({ kind, socket, user, failed: true }));
  });
}

async function connectAll(kind, users, parallel = 100) {
  const out = [];
  let failed = 0;
  for (let i = 0; i < users.length; i += parallel) {
    const batch = await Promise.all(users.slice(i, i + parallel).map((u) => open(kind, u)));
    for (const c of batch) {
      if (c.failed) failed++;
      else out.push(c);
    }
  }
  return { out, failed };
}

/**
 * Connects a Herald user the way any client following the contract does, with no cursors, and
 * times the catch-up: from the connect call to `synced`, counting the distinct notifications
 * replayed before it (each acked, as the server sends the next page only then).
 */
function catchUp(user, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const replayed = new Set();
    const socket = io(user.url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { token: user.token },
    });
    const finish = (result) => {
      clearTimeout(timer);
      socket.disconnect();
      resolve({ userId: user.userId, replayed: replayed.size, ...result });
    };
    const timer = setTimeout(() => finish({ failed: true }), timeoutMs);
    socket.on('notification', (payload, ack) => {
      if (typeof ack === 'function') ack({ ok: true });
      if (payload.replay) replayed.add(payload.id);
    });
    socket.once('synced', () => finish({ ms: Date.now() - started }));
    socket.once('connect_error', () => finish({ failed: true }));
  });
}

function closeAll() {
  for (const c of conns) {
    if (c.ws) c.ws.terminate();
    else c.socket.disconnect();
  }
  conns = [];
}

let target;
process.on('message', async (msg) => {
  switch (msg.type) {
    case 'connect': {
      target = msg;
      const started = Date.now();
      const { out, failed } = await connectAll(msg.kind, msg.users);
      conns = out;
      process.send({ type: 'connected', n: out.length, failed, ms: Date.now() - started });
      break;
    }
    case 'reconnect': {
      const users = conns.map((c) => c.user);
      closeAll();
      const started = Date.now();
      const { out, failed } = await connectAll(target.kind, users, users.length);
      conns = out;
      process.send({ type: 'reconnected', n: out.length, failed, ms: Date.now() - started });
      break;
    }
    case 'stats': {
      process.send({
        type: 'stats',
        received,
        duplicates,
        latencies: msg.latencies ? latencies : [],
        latencyNs: msg.latencies ? latencyNs : [],
        lastArrivals: msg.latencies ? [...lastArrivals] : [],
      });
      if (msg.reset) {
        received = 0;
        duplicates = 0;
        latencies = [];
        latencyNs = [];
        lastArrivals = new Map();
      }
      break;
    }
    case 'catch-up': {
      // All at once: the figure is how long a user waits while others catch up too.
      const results = await Promise.all(msg.users.map((u) => catchUp(u)));
      process.send({ type: 'caught-up', results });
      break;
    }
    case 'close':
      closeAll();
      received = 0;
      duplicates = 0;
      latencies = [];
      latencyNs = [];
      lastArrivals = new Map();
      process.send({ type: 'closed' });
      break;
    case 'exit':
      closeAll();
      process.exit(0);
  }
});
process.send({ type: 'ready' });
