/**
 * The address to open for a notification's `url`, or null when it is not safe to follow: an
 * absolute http(s) URL (without a user name or password, which disguise the real host), or a path
 * that stays on `base`'s origin. Refused: "//evil", "/\evil", "/<tab>/evil" and the like, which
 * browsers read as another host, and javascript:, data: and any other scheme. The server refuses
 * them too; this holds for whatever reaches the page (an older server, a replayed notification).
 */
export function safeHref(url: unknown, base: string): string | null {
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) return null;
  for (const ch of url) {
    const c = ch.codePointAt(0) ?? 0;
    // Whitespace and control characters are stripped or trimmed by URL parsers; backslashes read as "/".
    if (c <= 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x200b && c <= 0x200f) || ch === '\\' || /\s/u.test(ch)) {
      return null;
    }
  }
  let target: URL;
  try {
    target = new URL(url, base);
  } catch {
    return null;
  }
  if (url.startsWith('/')) {
    return !url.startsWith('//') && target.origin === new URL(base).origin ? target.href : null;
  }
  if (!/^https?:\/\/[^/]/i.test(url) || target.username || target.password) return null;
  return target.href;
}
