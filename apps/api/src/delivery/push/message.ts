import { createHash } from 'node:crypto';
import type { PushMessage, PushMessageHerald } from '@herald/protocol';
import type { NotificationContent } from '@herald/protocol/schema';

/**
 * What a push message may carry before encryption: a push service takes 4,096 bytes of encrypted
 * body (RFC 8030 §7.2), and `aes128gcm` adds a 86-byte header (salt, record size, key), a 16-byte
 * tag and a 1-byte padding delimiter (RFC 8188, RFC 8291).
 */
export const MAX_PLAINTEXT = 4096 - 86 - 16 - 1;

/** A notification as a push message is made from it. */
export interface PushSource extends Pick<NotificationContent, 'title' | 'body' | 'icon' | 'url' | 'tag' | 'data'> {
  id: string;
  createdAt: Date;
  lang?: string | null;
}

export interface BuiltMessage {
  /** The JSON to encrypt. */
  body: string;
  trimmed: Array<'data' | 'body'>;
}

/**
 * The Declarative Web Push message for one browser (docs/web-push.md): the notification, where a
 * click goes (its url made absolute against the origin the browser subscribed from, else that
 * origin), and Herald's part (id, the browser's signed receipt, where receipts go). Fits in
 * `limit` bytes: the data goes first, then the body is shortened; `trimmed` says so. A title too
 * long to fit even then is shortened too (titles are at most 200 characters on the way in).
 */
export function buildMessage(
  n: PushSource,
  opts: { origin: string | null; receipt: string; receipts: string; silent?: boolean },
  limit = MAX_PLAINTEXT,
): BuiltMessage {
  const herald: PushMessageHerald = { id: n.id, receipt: opts.receipt, receipts: opts.receipts };
  if (n.data !== null && n.data !== undefined) herald.data = n.data as Record<string, unknown>;
  const message: PushMessage = {
    web_push: 8030,
    notification: {
      title: n.title,
      ...(n.body ? { body: n.body } : {}),
      navigate: navigateTo(n.url, opts.origin),
      tag: n.tag ?? n.id,
      timestamp: n.createdAt.getTime(),
      ...(opts.silent ? { silent: true } : {}),
      ...(n.lang ? { lang: n.lang } : {}),
      ...(n.icon && /^https:\/\//.test(n.icon) ? { icon: n.icon } : {}),
      data: { herald },
    },
  };
  const trimmed: BuiltMessage['trimmed'] = [];
  let body = JSON.stringify(message);
  if (bytes(body) > limit && herald.data !== undefined) {
    delete herald.data;
    trimmed.push('data');
    herald.trimmed = trimmed;
    body = JSON.stringify(message);
  }
  // JSON escapes may take more than the character they stand for: cut until it fits.
  while (bytes(body) > limit && message.notification.body) {
    if (!trimmed.includes('body')) trimmed.push('body');
    herald.trimmed = trimmed;
    const text = message.notification.body;
    // Its share of the message as JSON (escapes included), scaled down to what must go.
    const encoded = bytes(JSON.stringify(text)) - 2;
    const keep = Math.floor((bytes(text) * (encoded - (bytes(body) - limit) - 8)) / encoded);
    message.notification.body = keep > 8 ? shorten(text, keep) : undefined;
    body = JSON.stringify(message);
  }
  if (bytes(body) > limit) {
    message.notification.title = shorten(message.notification.title, 60);
    body = JSON.stringify(message);
  }
  return { body, trimmed };
}

/** Where a click goes: the url, absolute against the subscribing origin; else that origin. */
export function navigateTo(url: string | null, origin: string | null): string {
  const base = origin ?? 'https://invalid.invalid';
  try {
    const to = new URL(url ?? '/', base);
    if (to.protocol === 'https:' || to.protocol === 'http:') return to.href;
  } catch {}
  return new URL('/', base).href;
}

/**
 * The `Topic` header (RFC 8030 §5.4): at most 32 characters of the URL-safe base64 alphabet. A
 * tag that is already such a string is used as is, any other is hashed to one.
 */
export function pushTopic(tag: string | null): string | undefined {
  if (!tag) return undefined;
  if (/^[A-Za-z0-9_-]{1,32}$/.test(tag)) return tag;
  return createHash('sha256').update(tag).digest('base64url').slice(0, 32);
}

const bytes = (s: string) => Buffer.byteLength(s);

/** Cuts `text` to at most `max` UTF-8 bytes (never inside a character), ending with `…`. */
function shorten(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = '';
  for (const ch of text) {
    if (bytes(out + ch) > Math.max(0, max - 3)) break;
    out += ch;
  }
  return `${out}…`;
}
