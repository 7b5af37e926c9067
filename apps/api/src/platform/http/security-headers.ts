import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/** CSP sources for the inline `<script>` blocks of an HTML page: `'sha256-…'` of each one's exact text. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const [, attributes = '', body = ''] = match;
    if (/\bsrc\s*=/i.test(attributes) || body.length === 0) continue;
    hashes.push(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

/**
 * Security headers on every response (helmet): no framing (clickjacking), no MIME sniffing, and a
 * Content-Security-Policy for the pages Herald serves — the dashboard, the demo page and the API
 * docs: scripts only from this origin (plus the demo page's own inline script, by hash), no plugins,
 * no foreign forms or base URLs. Inline styles stay allowed: Lit templates and the SDK's widgets use
 * them, and they cannot run code. Images may come from anywhere, since notification icons do.
 *
 * Not here: HSTS belongs to the TLS terminator in front of Herald (sent from here it would also pin
 * every sibling subdomain of an operator's domain to HTTPS), and `/sdk.js` and `/inbox.js` answer
 * `Cross-Origin-Resource-Policy: cross-origin` themselves, because integrators' pages load them.
 */
export default fp(
  async function securityHeaders(fastify: FastifyInstance, opts: { pages: string[] }) {
    const scriptHashes = new Set<string>();
    for (const page of opts.pages) {
      let html: string;
      try {
        html = readFileSync(page, 'utf8');
      } catch {
        continue; // not built: the route answers 404 anyway
      }
      for (const hash of inlineScriptHashes(html)) scriptHashes.add(hash);
    }
    const middleware = helmet({
      strictTransportSecurity: false,
      frameguard: { action: 'deny' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'same-origin' },
      contentSecurityPolicy: {
        // Helmet's defaults include upgrade-insecure-requests, which breaks a dashboard served over
        // plain HTTP on a LAN address: every directive is spelled out instead.
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", ...scriptHashes],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'https:', 'http:'],
          fontSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
    });
    // Helmet's headers do not depend on the request: computed once here, then set on every
    // response (helmet run per request re-parsed the CSP each time, on the hot send path).
    const headers: Record<string, string> = {};
    const removed: string[] = [];
    const probe = {
      setHeader: (name: string, value: string) => {
        headers[name.toLowerCase()] = String(value);
      },
      removeHeader: (name: string) => removed.push(name.toLowerCase()),
      getHeader: () => undefined,
    };
    middleware({} as IncomingMessage, probe as unknown as ServerResponse, () => {});
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      for (const name of removed) reply.removeHeader(name);
      done();
    });
  },
  { name: 'herald-security-headers' },
);
