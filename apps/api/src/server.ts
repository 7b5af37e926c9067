import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { HeraldApp } from './app.js';

/** Pending connections the kernel may queue for accept(). */
export const LISTEN_BACKLOG = 4096;

/**
 * On shutdown, requests still running this long after the server stopped accepting are cut
 * (a body that never finishes, a client that never reads its response): stopping must not wait on
 * them. Socket.IO connections are closed at once, before this (see gateway/socket-server.ts).
 */
export const CLOSE_GRACE_MS = 2000;

/** The port cannot be listened on; the message is a sentence for the operator. */
export class ListenError extends Error {
  override name = 'ListenError';
}

/** Starts listening. The only place Herald opens a port. */
export async function listen(app: HeraldApp, host: string, port: number): Promise<URL> {
  app.addHook('preClose', async () => {
    const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    app.server.once('close', () => clearTimeout(cut));
  });
  // A reconnect storm (a node restarting, a network blip) opens thousands of connections at once:
  // Node's default accept queue of 511 overflows, and the kernel drops the SYNs, which clients
  // retry only after 1, 3, 7… seconds. The kernel caps this at net.core.somaxconn.
  try {
    await app.listen({ host, port, backlog: LISTEN_BACKLOG });
  } catch (error) {
    throw listenError(error, host, port);
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return new URL(`http://${shownHost}:${actualPort}`);
}

function listenError(error: unknown, host: string, port: number): unknown {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new ListenError(
        `Port ${port} on ${host} is already in use (${where}): another Herald, or another program, is listening ` +
          'there. Stop it, or set PORT to a free port.',
        { cause: error },
      );
    case 'EACCES':
      return new ListenError(
        `Not allowed to listen on ${where}: ports below 1024 need extra privileges. Set PORT to 1024 or above ` +
          '(and put a proxy in front for port 80 or 443).',
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(
        `HOST=${host} is not an address of this machine. Set HOST to one of its addresses, 127.0.0.1 (this ` +
          'machine only) or 0.0.0.0 (every interface).',
        { cause: error },
      );
    default:
      return error;
  }
}

/**
 * A worker process has no HTTP server: when asked, it serves its own metrics (failed
 * notifications, expired deliveries, process figures) on a port of their own. Resolves with the
 * URL once listening, and with a function that closes it.
 */
export async function listenMetrics(
  registry: Registry,
  host: string,
  port: number,
): Promise<{ url: URL; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (request.method === 'GET' && path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics and /healthz here.\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(listenError(error, host, port)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: new URL(`http://${shownHost}:${actualPort}/metrics`),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
