import { ECDH, randomUUID } from 'node:crypto';
import type { PushSubscribeRequest } from '@herald/protocol';
import type { AppDirectory, CachedApp } from '../../auth/app-directory.js';
import type { Sql } from '../../platform/db/database.js';
import { isStorableText } from '../../platform/lib/text.js';
import { checkEndpoint, type EndpointPolicy, MAX_ENDPOINT } from './endpoint.js';
import type { VapidKeyStore } from './keys.js';
import { appOf, type RenewClaims, signRenew, verifyToken } from './receipts.js';

/** Browsers one user may have subscribed at once; a new one beyond this drops the least recently seen. */
export const MAX_BROWSERS_PER_USER = 20;

export type Refusal = { ok: false; code: string; message: string; publicKey?: string };
export type Registered = { ok: true; subscription: { id: string; status: 'active' }; renew: string };

/** A renewal whose subscription is gone (removed, or replaced by another renewal with the same token). */
const SUBSCRIPTION_GONE: Refusal = {
  ok: false,
  code: 'HERALD_ERR_RENEW_INVALID',
  message: 'The subscription this token names is gone.',
};

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** A browser's keys as RFC 8291 needs them: an uncompressed P-256 point (65 bytes, on the curve) and a 16-byte secret. */
function keysUsable(keys: { p256dh: string; auth: string }): boolean {
  const point = Buffer.from(keys.p256dh, 'base64url');
  if (point.length !== 65 || point[0] !== 4 || Buffer.from(keys.auth, 'base64url').length !== 16) return false;
  try {
    // Throws for a point that is not on the curve (some 20 µs; no scalar multiplication).
    ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed');
    return true;
  } catch {
    return false;
  }
}

/**
 * The latest expirationTime taken (ms since 1970): the end of the year 9999, past which dates are
 * written with a sign and a six-digit year that PostgreSQL does not read.
 */
const MAX_TIME_MS = 253_402_300_799_999;

/** The secrets an app's tokens may be signed with: the current one, and the previous one during its grace. */
export function appSecrets(app: CachedApp, now = Date.now()): string[] {
  return [app.jwtSecret, ...(app.previousSecret && (app.previousUntil ?? 0) > now ? [app.previousSecret] : [])];
}

/**
 * The browsers of an app's users that subscribed to Web Push: registered over the user's socket
 * (an upsert by endpoint, on subscribing and on every connect), removed by the user or when the
 * push service says the subscription is gone, renewed by the service worker.
 */
export class PushSubscriptionStore {
  constructor(
    private readonly sql: Sql,
    private readonly keys: VapidKeyStore,
    private readonly apps: AppDirectory,
    private readonly policy: EndpointPolicy,
  ) {}

  /**
   * A shape problem with a `push:subscribe` request (or, for `renewal`, the `subscription` of a
   * `POST /push/renew`, whose key Herald already knows), as a sentence; undefined when it is well formed.
   */
  static shapeProblem(r: unknown, renewal = false): string | undefined {
    const q = r as Partial<PushSubscribeRequest> | null;
    const ok =
      typeof q === 'object' &&
      q !== null &&
      typeof q.endpoint === 'string' &&
      typeof q.keys === 'object' &&
      q.keys !== null &&
      typeof q.keys.p256dh === 'string' &&
      B64URL.test(q.keys.p256dh) &&
      q.keys.p256dh.length <= 200 &&
      typeof q.keys.auth === 'string' &&
      B64URL.test(q.keys.auth) &&
      q.keys.auth.length <= 100 &&
      typeof q.publicKey === 'string' &&
      q.publicKey.length <= 200 &&
      (q.expirationTime === undefined ||
        q.expirationTime === null ||
        (Number.isFinite(q.expirationTime) && q.expirationTime >= 0 && q.expirationTime <= MAX_TIME_MS));
    return ok && keysUsable(q.keys as { p256dh: string; auth: string })
      ? undefined
      : `${renewal ? '"subscription"' : '"push:subscribe"'} needs { endpoint, keys: { p256dh (a 65-byte P-256 point), auth (16 bytes), both base64url }${renewal ? '' : ', publicKey (the applicationServerKey it subscribed with)'}, expirationTime?: number | null }: what PushSubscription.toJSON() gives.`;
  }

  async register(
    appId: string,
    subscriberId: string,
    r: PushSubscribeRequest,
    origin: string | undefined,
    userAgent: string | undefined,
    replacing?: string,
  ): Promise<Registered | Refusal> {
    const problem = PushSubscriptionStore.shapeProblem(r);
    if (problem) return { ok: false, code: 'HERALD_ERR_VALIDATION', message: problem };
    const [keys, app] = await Promise.all([this.keys.get(appId), this.apps.get(appId)]);
    if (!keys || !app) return { ok: false, code: 'HERALD_ERR_APP_UNKNOWN', message: `App "${appId}" does not exist.` };
    if (r.publicKey.replace(/=+$/, '') !== keys.publicKey) {
      return {
        ok: false,
        code: 'HERALD_ERR_PUSH_KEY_ROTATED',
        message: 'This subscription was made with a key the app no longer uses: subscribe again with publicKey.',
        publicKey: keys.publicKey,
      };
    }
    const checked = await checkEndpoint(r.endpoint, this.policy);
    if (!checked.ok) {
      return {
        ok: false,
        code: 'HERALD_ERR_PUSH_ENDPOINT',
        message: `This push endpoint is refused: ${checked.reason}.`,
      };
    }
    // A renewal (`replacing`) takes the old subscription's place only while it is there: this
    // statement locks it, saves the new one and deletes the old. A second renewal with the same
    // token waits for the lock, then finds it gone and saves nothing, so one token never leaves
    // two browsers behind.
    const [row] = await this.sql.query<{ id: string }>(
      `WITH old AS (
         SELECT id FROM push_subscriptions WHERE id = $11 AND app_id = $2 FOR UPDATE
       ), saved AS (
         INSERT INTO push_subscriptions (id, app_id, subscriber_id, endpoint, p256dh, auth, public_key, origin, user_agent, expires_at)
         SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text, $10::timestamp
          WHERE $11::text IS NULL OR EXISTS (SELECT 1 FROM old)
         ON CONFLICT (app_id, endpoint) DO UPDATE SET
           subscriber_id = EXCLUDED.subscriber_id, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth,
           public_key = EXCLUDED.public_key, origin = COALESCE(EXCLUDED.origin, push_subscriptions.origin),
           user_agent = COALESCE(EXCLUDED.user_agent, push_subscriptions.user_agent),
           expires_at = EXCLUDED.expires_at, status = 'active', updated_at = now()
         RETURNING id
       ), replaced AS (
         DELETE FROM push_subscriptions WHERE id IN (SELECT id FROM old) AND id <> (SELECT id FROM saved)
       ), extra AS (
         DELETE FROM push_subscriptions WHERE id IN (
           SELECT id FROM push_subscriptions
            WHERE subscriber_id = $3 AND id <> (SELECT id FROM saved) AND id NOT IN (SELECT id FROM old)
            ORDER BY updated_at DESC OFFSET ${MAX_BROWSERS_PER_USER - 1}
         )
       )
       SELECT id FROM saved`,
      [
        randomUUID(),
        appId,
        subscriberId,
        r.endpoint,
        r.keys.p256dh,
        r.keys.auth,
        keys.publicKey,
        origin ?? null,
        userAgent?.slice(0, 300) ?? null,
        r.expirationTime ? new Date(r.expirationTime) : null,
        replacing ?? null,
      ],
    );
    if (!row) return SUBSCRIPTION_GONE;
    const id = row.id;
    // The app's first browser: every node reads the app again, and keeps early acks from now on.
    if (!app.hasPush) this.apps.invalidate(appId);
    return { ok: true, subscription: { id, status: 'active' }, renew: signRenew({ r: id, a: appId }, app.jwtSecret) };
  }

  /** Forgets one of the user's browsers; whether there was such a subscription of theirs. */
  async remove(appId: string, subscriberId: string, endpoint: unknown): Promise<boolean> {
    // No subscription was stored with an endpoint PostgreSQL cannot store, or a longer one.
    if (typeof endpoint !== 'string' || endpoint.length > MAX_ENDPOINT || !isStorableText(endpoint)) return false;
    const rows = await this.sql.query(
      'DELETE FROM push_subscriptions WHERE app_id = $1 AND subscriber_id = $2 AND endpoint = $3 RETURNING 1',
      [appId, subscriberId, endpoint],
    );
    return rows.length > 0;
  }

  /**
   * `pushsubscriptionchange`, from the service worker (no user token): the browser replaced the
   * subscription the renewal token names; the new one takes its place (same user). Returns a new
   * token, or a refusal.
   */
  async renew(token: unknown, next: unknown): Promise<{ ok: true; renew: string } | Refusal> {
    const bad: Refusal = { ok: false, code: 'HERALD_ERR_RENEW_INVALID', message: 'This renewal token is not valid.' };
    if (typeof token !== 'string' || token.length > 2000) return bad;
    const appId = appOf(token);
    const app = appId ? await this.apps.get(appId) : undefined;
    if (!app) return bad;
    const claims = verifyToken<RenewClaims>(token, appSecrets(app));
    if (!claims || claims.a !== app.id || typeof claims.r !== 'string' || !isStorableText(claims.r)) return bad;
    const [old] = await this.sql.query<{ subscriber_id: string; public_key: string; origin: string | null }>(
      'SELECT subscriber_id, public_key, origin FROM push_subscriptions WHERE id = $1 AND app_id = $2',
      [claims.r, app.id],
    );
    if (!old) return SUBSCRIPTION_GONE;
    const q = next as { endpoint?: unknown; keys?: unknown } | null;
    const request = { ...(q ?? {}), publicKey: old.public_key } as PushSubscribeRequest;
    const problem = PushSubscriptionStore.shapeProblem(request, true);
    if (problem) return { ok: false, code: 'HERALD_ERR_VALIDATION', message: problem };
    const saved = await this.register(app.id, old.subscriber_id, request, old.origin ?? undefined, undefined, claims.r);
    if (!saved.ok) return saved;
    return { ok: true, renew: saved.renew };
  }
}
