// The sender process: notifications over HTTP at a target rate (or as fast as allowed), one per
// request or in batches, to Herald's REST API or a baseline's /send, with the send time in data.t.
// Node's own fetch keeps connections alive; `inflight` bounds how many requests run at once.
let seq = 0;
function item(kind, to) {
  const n = seq++;
  const data = { t: Date.now(), n };
  if (kind === 'herald') return { to, title: `Bench #${n}`, data };
  return { to, payload: { id: `b-${process.pid}-${n}`, seq: n, title: `Bench #${n}`, data } };
}

async function post(kind, url, apiKey, items, batch) {
  const herald = kind === 'herald';
  const path = herald ? (batch ? '/v1/notifications/batch' : '/v1/notifications') : '/send';
  const body = herald ? (batch ? { notifications: items } : items[0]) : { notifications: items };
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(herald ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`HTTP ${res.status}`);
  return items.length;
}

process.on('message', async (msg) => {
  if (msg.type !== 'send') return;
  const { kind, url, apiKey, users, total, rate, batchSize = 1, inflight = 32, broadcast } = msg;
  const perRequest = Math.max(1, batchSize);
  const started = Date.now();
  let issued = 0;
  let accepted = 0;
  let errors = 0;
  let active = 0;
  const acceptMs = [];
  const progress = setInterval(() => process.send({ type: 'progress', issued, accepted, errors }), 1000);
  await new Promise((resolve) => {
    const pump = () => {
      const allowed = rate ? Math.floor(((Date.now() - started) / 1000) * rate) : Number.POSITIVE_INFINITY;
      while (issued < total && issued < allowed && active < inflight) {
        const count = Math.min(perRequest, total - issued);
        const items = Array.from({ length: count }, () =>
          item(kind, broadcast ? { broadcast: true } : { userId: users[Math.floor(Math.random() * users.length)] }),
        );
        issued += count;
        active++;
        const t0 = Date.now();
        post(kind, url, apiKey, items, perRequest > 1)
          .then((n) => {
            accepted += n;
            acceptMs.push(Date.now() - t0);
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
  process.send({ type: 'done', issued, accepted, errors, ms: Date.now() - started, acceptMs });
});
process.send({ type: 'ready' });
