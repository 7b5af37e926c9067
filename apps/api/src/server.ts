import type { HeraldApp } from './app.js';

/** Starts listening. The only place Herald opens a port. */
export async function listen(app: HeraldApp, host: string, port: number): Promise<URL> {
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return new URL(`http://${shownHost}:${actualPort}`);
}
