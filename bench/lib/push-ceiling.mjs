// The `push` scenario's ceiling: what Herald's sender does per browser (apps/api/src/delivery/push/
// sender.ts) with the `web-push` package alone — `generateRequestDetails` (aes128gcm encryption,
// with one VAPID JWT signed for the whole run, as Herald reuses one per push service) and a
// node:http request on the default agent, as Herald makes it, `inflight` at once — and nothing
// else: no database, no queue, no message building, no receipt signing.
import { request } from 'node:http';
import webPush from 'web-push';

function post(details) {
  return new Promise((resolve) => {
    const req = request(
      details.endpoint,
      { method: details.method, headers: details.headers, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(details.body ?? undefined);
  });
}

process.on('message', async (msg) => {
  if (msg.type !== 'push') return;
  const { subscriptions, vapid, subject, payloadBytes, inflight, ttl, urgency, topic } = msg;
  // As many bytes to encrypt as Herald's messages had (the cost of aes128gcm grows with them).
  const payload = JSON.stringify({ web_push: 8030, notification: { title: 'Bench push', body: '' } });
  const body = payload.replace('"body":""', `"body":"${'x'.repeat(Math.max(0, payloadBytes - payload.length))}"`);
  const cpu0 = process.cpuUsage();
  const audience = new URL(subscriptions[0]?.endpoint ?? 'http://127.0.0.1').origin;
  const { Authorization } = webPush.getVapidHeaders(audience, subject, vapid.publicKey, vapid.privateKey, 'aes128gcm');
  const options = {
    headers: { Authorization },
    TTL: ttl,
    urgency,
    topic,
    contentEncoding: 'aes128gcm',
  };
  const t0 = Date.now();
  const waiting = [...subscriptions];
  let failed = 0;
  const run = async () => {
    for (let s = waiting.shift(); s; s = waiting.shift()) {
      const status = await post(webPush.generateRequestDetails(s, body, options));
      if (status !== 201) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, subscriptions.length) }, run));
  const cpu = process.cpuUsage(cpu0);
  process.send({
    type: 'pushed',
    posts: subscriptions.length,
    failed,
    ms: Date.now() - t0,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    plaintextBytes: Buffer.byteLength(body),
  });
});
process.send({ type: 'ready' });
