/** Where a notification's URLs may point, per app. */
export interface UrlPolicy {
  /** When set, a click `url` must be a path or on one of these origins (the app's allowed origins). */
  clickOrigins: string[] | null;
  /** The app's categories by key: what a send may name in `category`. */
  categories?: ReadonlyMap<string, unknown>;
}

/**
 * Whitespace, control and zero-width characters: browsers strip tabs and newlines anywhere in a
 * URL ("/\t/evil.example" becomes "//evil.example") and trim the rest from its ends.
 */
function hasInvisible(value: string): boolean {
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (c <= 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || /\s/u.test(ch)) return true;
  }
  return false;
}
/** Any origin will do for resolving a path: only whether the result stays on it matters. */
const PROBE_ORIGIN = 'https://herald.invalid';

const shown = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);

/**
 * Why a notification URL (`url`, `icon`, `image`) is refused, or null when it is fine. Accepted:
 * an absolute http(s) URL without credentials, or a path on the page's own origin — one "/"
 * followed by anything but "/" or "\", which browsers would read as another host ("//evil",
 * "/\evil"). Checked with the WHATWG URL parser, as a browser would read it. With a policy that
 * restricts click URLs, an absolute `url` must also be on one of the app's allowed origins.
 */
export function urlProblem(field: string, value: string, policy?: UrlPolicy): string | null {
  const rule = `"${field}" must be an absolute http(s) URL or a path starting with a single "/"`;
  if (hasInvisible(value)) return `${rule}, without spaces or control characters; ${shown(value)} has some.`;
  if (value.includes('\\')) return `${rule}, without backslashes (browsers read "\\" as "/"); ${shown(value)} has one.`;
  if (value.startsWith('/')) {
    if (value.startsWith('//')) return `${rule}; ${shown(value)} would lead to another host.`;
    let resolved: URL;
    try {
      resolved = new URL(value, PROBE_ORIGIN);
    } catch {
      return `${rule}; ${shown(value)} is not a valid path.`;
    }
    return resolved.origin === PROBE_ORIGIN ? null : `${rule}; ${shown(value)} would lead to another host.`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${rule}; ${shown(value)} is not a valid URL.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${rule}; ${shown(value)} is not http(s).`;
  if (!/^https?:\/\/[^/]/i.test(value)) return `${rule}; ${shown(value)} is not a well-formed http(s) URL.`;
  if (url.username || url.password) {
    return `${rule}, without a user name or password (they disguise the real host); ${shown(value)} has one.`;
  }
  if (field === 'url' && policy?.clickOrigins && !policy.clickOrigins.includes(url.origin)) {
    const allowed = policy.clickOrigins.length ? policy.clickOrigins.join(', ') : 'none';
    return `"url" must be a path or a URL on one of this app's allowed origins (${allowed}); ${url.origin} is not one of them.`;
  }
  return null;
}
