// The baselines' only HTTP route: POST /send { notifications: [{ to, payload }] } → 202. Each
// notification is handed to `deliver`; anything else is a 404.
import { createServer } from 'node:http';

export function sendServer(deliver) {
  return createServer((req, res) => {
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
      for (const n of notifications) deliver(n);
      res
        .writeHead(202, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: notifications.length }));
    });
  });
}

/** Listens on PORT (or any free port) and prints the line the harness waits for. */
export function listen(server) {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
}
