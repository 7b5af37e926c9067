import type { IncomingMessage } from 'node:http';
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
 * Lookups that found nothing (an API key, an app id) per address, in one-minute windows, on this
 * node. Each made-up key or id costs a database query: past `max` in a window, the address waits
 * the window out and is refused without one. The addresses are the caller's to vary: the map is
 * dropped whole past 10,000 of them.
 */
export class MissBudget {
  private readonly misses = new Map<string, { n: number; until: number }>();

  constructor(
    readonly max: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds `address` still waits before its next lookup; 0 when it may look something up. */
  waitSeconds(address: string, now = Date.now()): number {
    const m = this.misses.get(address);
    return m && m.until > now && m.n >= this.max ? Math.max(1, Math.ceil((m.until - now) / 1000)) : 0;
  }

  missed(address: string, now = Date.now()): void {
    const m = this.misses.get(address);
    if (m && m.until > now) m.n++;
    else {
      if (this.misses.size > 10_000) this.misses.clear();
      this.misses.set(address, { n: 1, until: now + this.windowMs });
    }
  }
}

/**
 * The client address of a raw request (a Socket.IO handshake's), read as Fastify reads
 * `request.ip` with HERALD_TRUST_PROXY, and grouped by `addressKey`.
 */
export function clientAddress(trustProxy: boolean | string): (request: IncomingMessage) => string {
  const trust = trusted(trustProxy);
  return (request) => addressKey(proxyAddr(request, trust));
}

/** Which peers HERALD_TRUST_PROXY trusts to say who the client is (X-Forwarded-For), as Fastify reads it. */
function trusted(trustProxy: boolean | string): (address: string, hop: number) => boolean {
  if (typeof trustProxy === 'string') return proxyAddr.compile(trustProxy.split(',').map((s) => s.trim()));
  return () => trustProxy;
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
    const proxy = trusted(opts.trustProxy);
    const open = new Map<string, number>();
    let lastWarning = 0;
    let refusedSinceWarning = 0;

    const onConnection = (socket: Socket) => {
      const address = socket.remoteAddress;
      if (!address || proxy(address, 0)) return;
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
