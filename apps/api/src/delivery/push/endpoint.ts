import { promises as dns, lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { isStorableText } from '../../platform/lib/text.js';

/**
 * Push endpoints come from browsers, that is from anyone: Herald posts to them, so an endpoint
 * must never be a way into the operator's own network (SSRF). One must be an `https:` URL without
 * credentials whose host is, and resolves to, public unicast addresses only — checked when the
 * subscription is registered and again when each connection is made (`guardedLookup`), so a name
 * that resolves elsewhere later (DNS rebinding) is refused too. `allowPrivate` lifts all of it, for
 * a test push service on localhost. `hosts`, when the operator lists them, narrows it further to
 * those push services.
 */
export interface EndpointPolicy {
  allowPrivate: boolean;
  /** The only hosts pushes may go to (`fcm.googleapis.com`, `*.push.services.mozilla.com`); any public one when absent or empty. */
  hosts?: readonly string[];
}

/**
 * Whether pushes may go to `hostname` under `policy`'s list of push services (none: any). A test
 * push service on this machine passes when private addresses are allowed (`allowPrivate`).
 */
export function hostAllowed(hostname: string, policy: EndpointPolicy): boolean {
  if (!policy.hosts?.length || hostListed(hostname, policy.hosts)) return true;
  const bare = hostname.replace(/^\[|\]$/g, '');
  return policy.allowPrivate && (bare === 'localhost' || (isIP(bare) !== 0 && !isPublicAddress(bare)));
}

/** Whether `host` is one of `patterns`: a name, or `*.` and a name any subdomain of which matches. */
export function hostListed(host: string, patterns: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return patterns.some((p) => {
    const pattern = p.toLowerCase();
    return pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : name === pattern;
  });
}

export type EndpointCheck = { ok: true; url: URL } | { ok: false; reason: string };

export const MAX_ENDPOINT = 2048;

/** Whether an address may be posted to: ipaddr.js says `unicast` only for public ones. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  // ipaddr.js calls the deprecated IPv4-compatible ::a.b.c.d form unicast: it is not.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) return false;
  return parsed.range() === 'unicast';
}

/** The shape alone (no DNS): a sentence saying what is wrong, or undefined. */
export function endpointShapeProblem(endpoint: string, policy: EndpointPolicy): string | undefined {
  if (endpoint.length > MAX_ENDPOINT) return `a push endpoint is at most ${MAX_ENDPOINT} characters`;
  if (!isStorableText(endpoint)) return 'a push endpoint must not contain a NUL character or an unpaired surrogate';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'the push endpoint is not a URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowPrivate && url.protocol === 'http:')) {
    return 'a push endpoint must be an https:// URL';
  }
  if (url.username || url.password) return 'a push endpoint must not carry credentials';
  if (!hostAllowed(url.hostname, policy)) {
    return `this server posts only to the push services it lists (HERALD_PUSH_HOSTS), not to ${url.hostname}`;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host) && !isPublicAddress(host)) {
    return `a push endpoint must be on a public address (${host} is not)`;
  }
  return undefined;
}

/** Checks an endpoint a browser registers: its shape, then what its host resolves to. */
export async function checkEndpoint(endpoint: string, policy: EndpointPolicy): Promise<EndpointCheck> {
  const problem = endpointShapeProblem(endpoint, policy);
  if (problem) return { ok: false, reason: problem };
  const url = new URL(endpoint);
  if (policy.allowPrivate || isIP(url.hostname.replace(/^\[|\]$/g, ''))) return { ok: true, url };
  let addresses: LookupAddress[];
  try {
    addresses = await dns.lookup(url.hostname, { all: true, verbatim: true });
  } catch {
    return { ok: false, reason: `the push endpoint's host ${url.hostname} does not resolve` };
  }
  const bad = addresses.find((a) => !isPublicAddress(a.address));
  if (bad || addresses.length === 0) {
    return { ok: false, reason: `the push endpoint's host ${url.hostname} resolves to a non-public address` };
  }
  return { ok: true, url };
}

/**
 * A `lookup` for the HTTP request that posts a push: resolves as usual and refuses the connection
 * if any address is not public (unless the policy allows private ones).
 */
export function guardedLookup(policy: EndpointPolicy): typeof dnsLookup {
  return ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const list = addresses as LookupAddress[];
      if (!policy.allowPrivate && list.some((a) => !isPublicAddress(a.address))) {
        return callback(Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: 'EPRIVATE' }));
      }
      const all = (options as { all?: boolean }).all;
      if (all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      callback(null, first.address, first.family);
    });
  }) as typeof dnsLookup;
}
