import type { JWT } from '@fastify/jwt';
import { MissBudget } from '../platform/http/connection-limits.js';
import { Errors } from '../platform/lib/errors.js';
import { isStorableText } from '../platform/lib/text.js';
import { type AppDirectory, secretStanding } from './app-directory.js';
import { parseGrants } from './topic-grants.js';

export interface UserClaims {
  appId: string;
  userId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Fingerprint of the app secret that verified the token (see `secretFingerprint`). */
  secretId: string;
  /**
   * Until when a socket may stay open on this token, ms since the epoch: its expiry, or the end of
   * the previous secret's grace when that secret signed it, whichever comes first.
   */
  validUntil: number;
  /** The `topics` claim: patterns of topics the user may subscribe to from the SDK (auth/topic-grants.ts). */
  topics: readonly string[];
}

export type TokenFailure =
  | 'missing'
  | 'invalid'
  | 'expired'
  | 'unknown-app'
  | 'origin'
  | 'revoked'
  | 'too-long'
  /** Too many tokens naming apps that do not exist came from the address (`retryAfterMs`). */
  | 'guessing';

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(
    readonly reason: TokenFailure,
    message: string,
    /** When to try again, for `guessing`. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Tokens naming app ids this node does not know, one address may present per minute before it waits. */
export const MAX_UNKNOWN_APPS_PER_MINUTE = 30;

const ALGORITHMS = ['HS256'] as const;
/** Clocks of the integrator's backend and of Herald's nodes may disagree by this much. */
const CLOCK_SKEW_S = 60;
/** The default of HERALD_MAX_TOKEN_LIFETIME_SECONDS. */
export const MAX_TOKEN_LIFETIME_S = 24 * 3600;

/** `exp` (seconds since the epoch) as an ISO time, or as the number when no date can hold it. */
function expiryText(exp: number): string {
  const date = new Date(exp * 1000);
  return Number.isNaN(date.getTime()) ? `exp ${exp}` : date.toISOString();
}
/** What an app id can look like; anything else is refused before it reaches the database. */
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * User JWTs: `sub` is the integrator's user id, `aud` the app id, `exp` required, HS256 with the
 * app's secret. Integrators may sign them themselves with the same rules.
 */
export class UserTokens {
  constructor(
    private readonly jwt: JWT,
    private readonly apps: AppDirectory,
    private readonly defaultAppId: string,
    /** The longest a token may still have to live when it is presented (HERALD_MAX_TOKEN_LIFETIME_SECONDS). */
    readonly maxLifetimeSeconds = MAX_TOKEN_LIFETIME_S,
  ) {}

  /**
   * Each app id this node has not read costs a query: an address that presents tokens naming
   * MAX_UNKNOWN_APPS_PER_MINUTE apps that do not exist waits out the minute, without a query, for
   * any other app id this node does not know. Tokens of apps it knows still work from there, and
   * an id it read lately and found missing is refused as unknown without counting: one page
   * repeating a wrong id cannot lock its address (an office behind one NAT) out of a cold node.
   */
  private readonly unknownApps = new MissBudget(MAX_UNKNOWN_APPS_PER_MINUTE);

  async issue(
    appId: string,
    userId: string,
    ttlSeconds: number,
    topics?: string[],
  ): Promise<{ token: string; expiresAt: Date }> {
    if (ttlSeconds > this.maxLifetimeSeconds) throw new Errors.TokenTtlTooLong(ttlSeconds, this.maxLifetimeSeconds);
    const app = await this.apps.get(appId);
    if (!app) throw new TokenError('unknown-app', `App ${appId} does not exist.`);
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const claims = { sub: userId, aud: appId, exp, ...(topics?.length ? { topics } : {}) };
    const token = this.jwt.sign(claims, { key: app.jwtSecret, algorithm: 'HS256' });
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Verifies a token; `appIdHint` names the app when the token carries no `aud`. `from`, the
   * client's address (`addressKey`), holds it to the budget of unknown app ids.
   */
  async verify(token: unknown, appIdHint?: unknown, origin?: string, from?: string): Promise<UserClaims> {
    if (typeof token !== 'string' || token.length === 0) {
      throw new TokenError('missing', 'Missing token: connect with auth: { token: "<user JWT>" }.');
    }
    let decoded: { aud?: unknown; sub?: unknown } | null;
    try {
      decoded = this.jwt.decode<{ aud?: unknown; sub?: unknown }>(token);
    } catch {
      decoded = null;
    }
    if (!decoded || typeof decoded !== 'object') {
      throw new TokenError('invalid', 'Invalid token: it is not a JWT.');
    }
    const aud = Array.isArray(decoded.aud) ? decoded.aud[0] : decoded.aud;
    const appId =
      typeof aud === 'string' ? aud : typeof appIdHint === 'string' && appIdHint ? appIdHint : this.defaultAppId;
    if (!APP_ID.test(appId)) throw new TokenError('unknown-app', 'Invalid token: its app id is not a valid app id.');
    // Only ids that take a query count: one this node knows not to exist (a page that keeps
    // presenting the same wrong id) is refused without a query, and spends no budget.
    const charged = from !== undefined && !this.apps.cached(appId) && !this.apps.knownMissing(appId);
    if (charged) {
      const wait = this.unknownApps.waitSeconds(from);
      if (wait > 0) {
        throw new TokenError(
          'guessing',
          `Too many tokens naming apps that do not exist came from this address; try again in ${wait} s.`,
          wait * 1000,
        );
      }
    }
    const app = await this.apps.get(appId);
    if (!app) {
      if (charged) this.unknownApps.missed(from);
      throw new TokenError('unknown-app', `Invalid token: app "${appId}" does not exist.`);
    }
    if (origin && app.allowedOrigins.length > 0 && !app.allowedOrigins.includes(origin)) {
      throw new TokenError(
        'origin',
        `Pages on ${origin} may not connect to app "${appId}"; add the origin to the app's allowed origins.`,
      );
    }
    let payload: { sub?: unknown; exp?: unknown };
    const verifyWith = (key: string) =>
      this.jwt.verify<{ sub?: unknown; exp?: unknown }>(token, {
        key,
        algorithms: [...ALGORITHMS],
        requiredClaims: ['sub', 'exp'],
      });
    let secretId = app.secretId;
    let graceUntil = Number.POSITIVE_INFINITY;
    try {
      payload = verifyWith(app.jwtSecret);
    } catch (error) {
      // Right after a rotation, tokens signed with the previous secret are still honoured.
      const badSignature = (error as { code?: string }).code === 'FAST_JWT_INVALID_SIGNATURE';
      if (!badSignature || !app.previousSecret || !app.previousSecretId) throw toTokenError(error);
      try {
        payload = verifyWith(app.previousSecret);
      } catch (again) {
        throw toTokenError(again);
      }
      const standing = secretStanding(app, app.previousSecretId);
      if (standing.kind !== 'grace') {
        const ended = app.previousUntil ? ` at ${new Date(app.previousUntil).toISOString()}` : '';
        throw new TokenError(
          'revoked',
          `Token revoked: it was signed with a JWT secret of app "${appId}" that stopped being accepted${ended} (rotated or revoked); fetch a new token from your backend (POST /v1/tokens).`,
        );
      }
      secretId = app.previousSecretId;
      graceUntil = standing.until;
    }
    if (
      typeof payload.sub !== 'string' ||
      payload.sub.length === 0 ||
      payload.sub.length > 256 ||
      !isStorableText(payload.sub)
    ) {
      throw new TokenError(
        'invalid',
        'Invalid token: "sub" must be the user id, 1 to 256 characters of storable text.',
      );
    }
    const exp = Number(payload.exp);
    if (exp - Date.now() / 1000 > this.maxLifetimeSeconds + CLOCK_SKEW_S) {
      throw new TokenError(
        'too-long',
        `Token lives too long: it expires at ${expiryText(exp)}, but this server accepts tokens that expire within ${this.maxLifetimeSeconds} seconds (HERALD_MAX_TOKEN_LIFETIME_SECONDS); sign shorter-lived tokens.`,
      );
    }
    const topics = parseGrants((payload as { topics?: unknown }).topics);
    if ('problem' in topics) throw new TokenError('invalid', `Invalid token: ${topics.problem}.`);
    return { appId, userId: payload.sub, exp, secretId, validUntil: Math.min(exp * 1000, graceUntil), topics };
  }
}

function toTokenError(error: unknown): TokenError {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'FAST_JWT_EXPIRED':
      return new TokenError('expired', 'Token expired: fetch a new one from your backend (POST /v1/tokens).');
    case 'FAST_JWT_MISSING_REQUIRED_CLAIM': {
      const claim = /The (\w+) claim is required/.exec((error as Error).message)?.[1];
      return new TokenError(
        'invalid',
        `Invalid token: it has no ${claim ? `"${claim}" claim` : 'claim it needs'} (every token needs "sub", the user id, and "exp", when it expires).`,
      );
    }
    case 'FAST_JWT_INVALID_ALGORITHM':
      return new TokenError('invalid', 'Invalid token: only HS256 tokens are accepted.');
    case 'FAST_JWT_INVALID_SIGNATURE':
      return new TokenError('invalid', "Invalid token: the signature does not match the app's secret.");
    case 'FAST_JWT_INACTIVE':
      return new TokenError('invalid', 'Invalid token: it is not valid yet ("nbf" is in the future).');
    default:
      return new TokenError('invalid', `Invalid token: ${(error as Error).message}`);
  }
}
