import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import { isStorableText } from '../../platform/lib/text.js';

/**
 * Signed tokens the service worker carries instead of a user token: a push's receipt (which
 * notification, which browser; valid until the notification expires, a week at most) and a
 * subscription's renewal token (for `pushsubscriptionchange`; 90 days, renewed with each use). HS256
 * with the app's JWT secret; `a` names the app so the verifier knows whose secret to use.
 */
export interface ReceiptClaims {
  /** Notification id. */
  n: string;
  /** Push subscription id. */
  s: string;
  /** App id. */
  a: string;
}

export interface RenewClaims {
  /** Push subscription id. */
  r: string;
  a: string;
}

const decode = createDecoder();
const WEEK_S = 7 * 24 * 3600;
export const RENEW_TTL_S = 90 * 24 * 3600;

export function signReceipt(claims: ReceiptClaims, secret: string, expiresAt: Date | null): string {
  const cap = Math.floor(Date.now() / 1000) + WEEK_S;
  const exp = expiresAt ? Math.min(cap, Math.ceil(expiresAt.getTime() / 1000)) : cap;
  return createSigner({ key: secret, algorithm: 'HS256' })({ ...claims, exp });
}

export function signRenew(claims: RenewClaims, secret: string): string {
  return createSigner({ key: secret, algorithm: 'HS256', expiresIn: RENEW_TTL_S * 1000 })({ ...claims });
}

/** The app a token says it is for, before its signature is checked (to pick the secret); undefined if unreadable. */
export function appOf(token: string): string | undefined {
  try {
    const claims = decode(token) as { a?: unknown };
    // Read before the signature is checked: only an id an app could have (it is looked up).
    return typeof claims.a === 'string' && claims.a.length <= 64 && isStorableText(claims.a) ? claims.a : undefined;
  } catch {
    return undefined;
  }
}

/** The claims if `token` is signed with one of `secrets` and not expired; undefined otherwise. */
export function verifyToken<T>(token: string, secrets: string[]): T | undefined {
  for (const key of secrets) {
    try {
      return createVerifier({ key, algorithms: ['HS256'], requiredClaims: ['exp'] })(token) as T;
    } catch {}
  }
  return undefined;
}
