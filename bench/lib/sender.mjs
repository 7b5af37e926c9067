// The sender process: notifications over HTTP at a target rate (or as fast as allowed), one per
// request or in batches, to Herald's REST API or a baseline's /send, with the send time in data.t
// and the sender's own number in data.n (which the clients report arrivals by).
// A keep-alive node:http agent (far cheaper per request than fetch, so the load generator takes
// less of the CPU it shares with the server); `inflight` bounds how many requests run at once.
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let seq = 0;
function item(kind, to) {
  const n = seq++;
  const data = { t: Date.now(), n };
  if (kind === 'herald') return { to, title: `Bench #${n}`, data };
  return { to, payload: { id: `b-${process.pid}-${n}`, seq: n, title: `Bench #${n}`, data } };
}

function post(kind, url, apiKey, items, batch) {
  const herald = kind === 'herald';
  const path = herald ? (batch ? '/v1/notifications/batch' : '/v1/notifications') : '/send';
  const body = JSON.stringify(herald ? (batch ? { notifications: items } : items[0]) : { notifications: items });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(herald ? { authorization: `Bearer ${apiKey}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 202 ? resolve(items.length) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

process.on('message', async (msg) => {
  if (msg.type !== 'send') return;
  const { kind, urls, apiKey, users, total, rate, batchSize = 1, inflight = 32, broadcast, topic, recordAccepts } = msg;
  const perRequest = Math.max(1, batchSize);
  const started = Date.now();
  let issued = 0;
  let accepted = 0;
  let errors = 0;
  let active = 0;
  let requests = 0;
  const acceptMs = [];
  /** [data.n, when its 202 came] per notification, when `recordAccepts`: how long after accept the last client had it. */
  const acceptedAt = [];
  const progress = setInterval(() => process.send({ type: 'progress', issued, accepted, errors }), 1000);
  await new Promise((resolve) => {
    const pump = () => {
      const allowed = rate ? Math.floor(((Date.now() - started) / 1000) * rate) : Number.POSITIVE_INFINITY;
      while (issued < total && issued < allowed && active < inflight) {
        const count = Math.min(perRequest, total - issued);
        const items = Array.from({ length: count }, () =>
          item(
            kind,
            broadcast
              ? { broadcast: true }
              : topic
                ? { topic }
                : { userId: users[Math.floor(Math.random() * users.length)] },
          ),
        );
        issued += count;
        active++;
        const t0 = Date.now();
        // Round-robin over the target's nodes (one for a single process).
        post(kind, urls[requests++ % urls.length], apiKey, items, perRequest > 1)
          .then((n) => {
            accepted += n;
            const at = Date.now();
            acceptMs.push(at - t0);
            if (recordAccepts) for (const it of items) acceptedAt.push([(it.data ?? it.payload.data).n, at]);
          })
          .catch(() => {
            errors += count;
          })
          .finally(() => {
            active--;
            if (issued >= total && active === 0) resolve();
            else pump();
          });
      }
      if (issued < total && active < inflight) setTimeout(pump, 2);
    };
    pump();
  });
  clearInterval(progress);
  process.send({ type: 'done', issued, accepted, errors, ms: Date.now() - started, acceptMs, acceptedAt });
});
process.send({ type: 'ready' });
