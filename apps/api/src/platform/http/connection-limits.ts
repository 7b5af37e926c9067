import type { Socket } from 'node:net';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import ipaddr from 'ipaddr.js';

/**
 * The address a cap counts by: IPv4 as is, IPv6 by its /64 (one customer's allocation, which an
 * attacker can fill with addresses at will).
 */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  return `${(parsed as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(':')}::/64`;
}

/**
 * Caps the TCP connections one client address may hold at once (HERALD_MAX_CONNECTIONS_PER_ADDRESS):
 * counted at the server's `connection` event, before a byte is read; one over the cap is closed
 * at once. Stalled connections would otherwise pile up until the process runs out of file
 * descriptors. Behind a reverse proxy every connection comes from the proxy: connections from a
 * trusted proxy (HERALD_TRUST_PROXY) are not counted, and `true` (any peer is a proxy) turns the
 * cap off — cap per client at the proxy instead.
 */
export default fp(
  async function connectionLimits(
    fastify: FastifyInstance,
    opts: { maxPerAddress: number; trustProxy: boolean | string },
  ) {
    if (opts.maxPerAddress <= 0 || opts.trustProxy === true) return;
    const trusted =
      typeof opts.trustProxy === 'string'
        ? proxyAddr.compile(opts.trustProxy.split(',').map((s) => s.trim()))
        : () => false;
    const open = new Map<string, number>();
    let lastWarning = 0;
    let refusedSinceWarning = 0;

    const onConnection = (socket: Socket) => {
      const address = socket.remoteAddress;
      if (!address || trusted(address, 0)) return;
      const key = addressKey(address);
      const count = (open.get(key) ?? 0) + 1;
      if (count > opts.maxPerAddress) {
        socket.destroy();
        fastify.metrics.rateLimited.inc({ scope: 'connection' });
        refusedSinceWarning++;
        if (Date.now() - lastWarning > 10_000) {
          fastify.log.warn(
            { address: key, max: opts.maxPerAddress, refused: refusedSinceWarning },
            'connections over the per-address cap closed (HERALD_MAX_CONNECTIONS_PER_ADDRESS)',
          );
          lastWarning = Date.now();
          refusedSinceWarning = 0;
        }
        return;
      }
      open.set(key, count);
      socket.once('close', () => {
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      });
    };
    fastify.server.on('connection', onConnection);
    fastify.addHook('onClose', async () => {
      fastify.server.off('connection', onConnection);
    });
  },
  { name: 'herald-connection-limits', dependencies: ['herald-metrics'] },
);
