import type { HeraldApp } from './app.js';

/** Pending connections the kernel may queue for accept(). */
export const LISTEN_BACKLOG = 4096;

/** Starts listening. The only place Herald opens a port. */
export async function listen(app: HeraldApp, host: string, port: number): Promise<URL> {
  // A reconnect storm (a node restarting, a network blip) opens thousands of connections at once:
  // Node's default accept queue of 511 overflows, and the kernel drops the SYNs, which clients
  // retry only after 1, 3, 7… seconds. The kernel caps this at net.core.somaxconn.
  await app.listen({ host, port, backlog: LISTEN_BACKLOG });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return new URL(`http://${shownHost}:${actualPort}`);
}
