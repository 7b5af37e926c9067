/** The request headers a cross-origin check reads. */
export interface OriginHeaders {
  origin?: string | string[] | undefined;
  'sec-fetch-site'?: string | string[] | undefined;
}

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Why a browser request does not come from the server's own pages, or null when it does (or when
 * no browser sent it). SameSite=Strict cookies still travel with requests from another port or a
 * sibling subdomain of the same site, so state-changing dashboard requests and the dashboard's
 * socket must check where they come from.
 *
 * Like Go's `http.CrossOriginProtection`: `Sec-Fetch-Site` (sent by every current browser) is
 * authoritative; without it, the `Origin` must name one of `hosts` (the Host the request reached,
 * and the one a trusted proxy forwarded) or be `publicOrigin` (HERALD_PUBLIC_URL's origin, for
 * proxies that rewrite Host). A request with neither header did not come from a browser page (curl,
 * scripts), and cookies cannot be forged into one.
 */
export function crossOriginReason(
  headers: OriginHeaders,
  hosts: Array<string | undefined>,
  publicOrigin?: string,
): string | null {
  const site = one(headers['sec-fetch-site'])?.toLowerCase();
  const origin = one(headers.origin);
  if (site === 'same-origin' || site === 'none') return null;
  if (site) return `the browser says it comes from a ${site} page${origin ? ` (${origin})` : ''}`;
  if (origin === undefined) return null;
  if (publicOrigin && origin === publicOrigin) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `its Origin header (${origin}) is not an origin`;
  }
  // Origins leave out default ports; Host headers may keep them.
  const reached = hosts.flatMap((h) => (h ? [h.toLowerCase(), h.toLowerCase().replace(/:(80|443)$/, '')] : []));
  if (host && reached.includes(host)) return null;
  return `it comes from ${origin}`;
}
