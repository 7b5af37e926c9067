import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isLoopbackHost } from '../config/index.js';
import { Errors } from '../lib/errors.js';

/** The name a `Host` header addresses, without its port (`[::1]:3000` → `::1`). */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const bracketed = host.match(/^\[([^\]]*)\]/);
  if (bracketed) return bracketed[1]?.toLowerCase();
  return host.replace(/:\d*$/, '').toLowerCase();
}

/** Names only this machine resolves: loopback addresses, `localhost` and its subdomains. */
const isLoopbackName = (name: string) => isLoopbackHost(name) || name.endsWith('.localhost');

/**
 * DNS rebinding: any web page can point a name of its own at 127.0.0.1 and then talk to a Herald
 * on loopback as its own origin (its Origin and Host agree, so same-origin checks pass). A Herald
 * that listens only on loopback, with no HERALD_PUBLIC_URL, answers only requests addressed to a
 * loopback name; anything else is a 403 `HERALD_ERR_HOST_FORBIDDEN`. (Socket.IO's handshakes need
 * a user token, which such a page does not have.)
 */
export default fp(
  async function hostCheck(fastify: FastifyInstance, opts: { host: string; publicUrl?: string }) {
    if (!isLoopbackHost(opts.host) || opts.publicUrl) return;
    fastify.addHook('onRequest', async (request) => {
      const name = hostnameOf(request.headers.host);
      if (name === undefined || isLoopbackName(name)) return;
      throw new Errors.HostForbidden(name.slice(0, 100));
    });
  },
  { name: 'herald-host-check' },
);
