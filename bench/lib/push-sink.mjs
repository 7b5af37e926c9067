// The push sink: a stand-in push service for the `push` scenario. Answers every POST 201 (as a
// push service does when it takes a message), counts the posts per path (one path per browser, so
// a path posted twice is a duplicate), and says when the first and last came and how many body
// bytes they carried. It decrypts nothing: that would make the sink, not the sender, the bound.
import { createServer } from 'node:http';

let perPath = new Map();
let posts = 0;
let bytes = 0;
let firstAt = null;
let lastAt = null;

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
  });
  req.on('end', () => {
    const now = Date.now();
    firstAt ??= now;
    lastAt = now;
    posts++;
    bytes += size;
    perPath.set(req.url, (perPath.get(req.url) ?? 0) + 1);
    res.writeHead(201).end();
  });
});
// Push services keep connections open; so does the sender's keep-alive agent.
server.keepAliveTimeout = 60_000;

process.on('message', (msg) => {
  if (msg.type === 'stats') {
    let duplicates = 0;
    for (const n of perPath.values()) duplicates += n - 1;
    process.send({ type: 'stats', posts, paths: perPath.size, duplicates, bytes, firstAt, lastAt });
  } else if (msg.type === 'reset') {
    perPath = new Map();
    posts = 0;
    bytes = 0;
    firstAt = null;
    lastAt = null;
    process.send({ type: 'reset' });
  } else if (msg.type === 'exit') {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  }
});

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
