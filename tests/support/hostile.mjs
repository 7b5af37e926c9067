// A hostile client, run as its own process so that its busy loop never slows the process that
// measures everyone else. `node hostile.mjs <json>` with { mode, url, durationMs, localAddress, ... };
// it stops by itself (bounded in count and time) and prints one JSON line of what it saw.
//
// mode "flood": one Socket.IO socket emits `sync` / `inbox:unread` as fast as it can, up to
//   `maxEvents`; when the server closes it, it reconnects (every 200 ms) and carries on.
// mode "batches": `loops` concurrent loops POST /v1/notifications/batch with 500 items each (every
//   item to its own user) with API key `key`, ignoring 429s and Retry-After; counts the answers.
// mode "slowloris": `connections` TCP connections that send request headers (or, for half of
//   them, a declared body) one byte at a time, `byteEveryMs` apart; counts how the server closed
//   them: at once without a word (`capped`), or with a 408 (`timedOut`).
import { connect } from 'node:net';
import { io } from 'socket.io-client';

const options = JSON.parse(process.argv[2] ?? '{}');
const deadline = Date.now() + options.durationMs;

async function flood() {
  const seen = { emitted: 0, answered: 0, ok: 0, rateLimited: 0, retryAfterMs: 0, connects: 0, refused: 0 };
  const closing = [];
  const refusals = [];
  let running = true;
  const socket = io(options.url, {
    auth: { token: options.token },
    transports: ['websocket'],
    reconnection: false,
    localAddress: options.localAddress,
  });
  socket.on('closing', (event) => closing.push(event));
  socket.on('connect_error', (error) => {
    seen.refused++;
    refusals.push(error.data?.code ?? error.message);
    if (running) setTimeout(() => socket.connect(), 200);
  });
  socket.on('disconnect', (reason) => {
    if (running && reason === 'io server disconnect') setTimeout(() => socket.connect(), 200);
  });
  const reply = (r) => {
    seen.answered++;
    if (r?.ok) seen.ok++;
    else if (r?.code === 'HERALD_ERR_RATE_LIMITED') {
      seen.rateLimited++;
      seen.retryAfterMs = Math.max(seen.retryAfterMs, r.retryAfterMs ?? 0);
    }
  };
  const burst = () => {
    if (!socket.connected || Date.now() > deadline) return;
    // As fast as the socket takes them: a thousand per turn of the event loop.
    for (let i = 0; i < 1000 && seen.emitted < options.maxEvents; i++, seen.emitted++) {
      if (i % 2) socket.emit('sync', { since: null, limit: 100 }, reply);
      else socket.emit('inbox:unread', {}, reply);
    }
    if (seen.emitted < options.maxEvents) setImmediate(burst);
  };
  socket.on('connect', () => {
    if (seen.connects++ === 0) process.stdout.write('started\n');
    burst();
  });
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  running = false;
  socket.disconnect();
  return { ...seen, closing: closing.slice(0, 3), refusals: [...new Set(refusals)] };
}

async function slowloris() {
  const { hostname: host, port } = new URL(options.url);
  const seen = { opened: 0, capped: 0, timedOut: 0, stillOpen: 0, longestLivedMs: 0 };
  const sockets = [];
  for (let i = 0; i < options.connections; i++) {
    // Half stall in the headers; half send whole headers, then stall in a declared body (a route
    // that reads the body before answering: the sign-in form).
    const withBody = i % 2 === 1;
    const text = withBody
      ? `POST /admin/api/session HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n${'{"email":"'.padEnd(100000, 'x')}`
      : `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n${'X-Slow: '.padEnd(100000, 'y')}\r\n\r\n`;
    let sent = withBody ? text.indexOf('\r\n\r\n') + 4 : 1;
    const opened = Date.now();
    const socket = connect({ host, port: Number(port), localAddress: options.localAddress });
    let answered = false;
    let byUs = false;
    let timer;
    socket.on('connect', () => {
      seen.opened++;
      socket.write(text.slice(0, sent));
      timer = setInterval(() => {
        if (sent < text.length) socket.write(text[sent++]);
      }, options.byteEveryMs);
    });
    // The server's only answer to a stalled request is a 408 as it closes the connection.
    socket.on('data', () => {
      answered = true;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      if (byUs) return;
      if (answered) seen.timedOut++;
      else seen.capped++;
      seen.longestLivedMs = Math.max(seen.longestLivedMs, Date.now() - opened);
    });
    sockets.push(() => {
      if (socket.destroyed) return;
      byUs = true;
      seen.stillOpen++;
      clearInterval(timer);
      socket.destroy();
    });
    // Opened as a burst, but not so fast that the test's own client port range is the limit.
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
  }
  process.stdout.write('started\n');
  while (Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const stop of sockets) stop();
  return seen;
}

async function batches() {
  const seen = { sent: 0, accepted: 0, rateLimited: 0, other: 0, notifications: 0 };
  let n = 0;
  const loop = async () => {
    while (Date.now() < deadline) {
      const notifications = Array.from({ length: 500 }, () => ({
        to: { userId: `flood-${n++ % 5000}` },
        title: 'flood',
      }));
      seen.sent++;
      const res = await fetch(`${options.url}/v1/notifications/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ notifications }),
      }).catch(() => undefined);
      await res?.arrayBuffer().catch(() => {});
      if (res?.status === 202) {
        seen.accepted++;
        seen.notifications += 500;
      } else if (res?.status === 429) seen.rateLimited++;
      else seen.other++;
    }
  };
  process.stdout.write('started\n');
  await Promise.all(Array.from({ length: options.loops }, loop));
  return seen;
}

const result =
  options.mode === 'flood' ? await flood() : options.mode === 'batches' ? await batches() : await slowloris();
const { user, system } = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ ...result, cpuMs: Math.round((user + system) / 1000) })}\n`);
process.exit(0);
