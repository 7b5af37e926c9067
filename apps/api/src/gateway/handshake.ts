import type { IncomingMessage } from 'node:http';
import { HandshakeErrorCode } from '@herald/protocol';
import type { Socket } from 'socket.io';
import type { TokenFailure, UserClaims, UserTokens } from '../auth/user-tokens.js';
import { TokenError } from '../auth/user-tokens.js';
import { intOrNull, MAX_SEQ, MAX_STREAM_CURSORS, streamCursors } from '../platform/lib/cursor.js';
import type { SubscriberRegistry } from './subscribers.js';

const codes: Record<TokenFailure, HandshakeErrorCode> = {
  missing: HandshakeErrorCode.TokenMissing,
  invalid: HandshakeErrorCode.TokenInvalid,
  expired: HandshakeErrorCode.TokenExpired,
  revoked: HandshakeErrorCode.TokenRevoked,
  'too-long': HandshakeErrorCode.TokenTooLongLived,
  'unknown-app': HandshakeErrorCode.AppUnknown,
  origin: HandshakeErrorCode.OriginForbidden,
  guessing: HandshakeErrorCode.RateLimited,
};

/** The code a client sees for a refused token, at the handshake and in `auth:refresh` replies. */
export const tokenFailureCode = (reason: TokenFailure): HandshakeErrorCode => codes[reason];

/** An error for `next()` in `io.use()`: its message and `data.code` reach the client's `connect_error`. */
export function handshakeError(
  code: HandshakeErrorCode,
  message: string,
  retryAfterMs?: number,
): Error & { data: { code: string; retryAfterMs?: number } } {
  return Object.assign(new Error(message), { data: { code, ...(retryAfterMs ? { retryAfterMs } : {}) } });
}

/**
 * Socket.IO middleware: verifies the user JWT from `auth.token` (never the query string), records
 * the subscriber, and stores who it is on `socket.data` before any event handler runs.
 */
export function authenticateHandshake(
  tokens: UserTokens,
  subscribers: SubscriberRegistry,
  /** The client's address (`clientAddress`), for the budget of tokens naming unknown apps. */
  addressOf?: (request: IncomingMessage) => string,
  /** Told of each handshake refused by that budget (the metric). */
  onGuessing: () => void = () => {},
) {
  return async (socket: Socket, next: (err?: Error) => void) => {
    const auth = (socket.handshake.auth ?? {}) as {
      token?: unknown;
      appId?: unknown;
      since?: unknown;
      streams?: unknown;
    };
    const since = intOrNull(auth.since, 0, MAX_SEQ);
    if (since === undefined) {
      next(
        handshakeError(
          HandshakeErrorCode.CursorInvalid,
          `auth.since must be the last sequence number this device has (an integer from 0 to ${MAX_SEQ}) or null.`,
        ),
      );
      return;
    }
    const streams = streamCursors(auth.streams);
    if (streams === undefined) {
      next(
        handshakeError(
          HandshakeErrorCode.CursorInvalid,
          `auth.streams must map topic names (or "*") to the last stream.seq this device has of each (integers from 0 to ${MAX_SEQ}), at most ${MAX_STREAM_CURSORS} of them.`,
        ),
      );
      return;
    }
    try {
      const origin = typeof socket.handshake.headers.origin === 'string' ? socket.handshake.headers.origin : undefined;
      const claims: UserClaims = await tokens.verify(auth.token, auth.appId, origin, addressOf?.(socket.request));
      socket.data.appId = claims.appId;
      socket.data.userId = claims.userId;
      socket.data.exp = claims.exp;
      socket.data.since = since;
      socket.data.streamCursors = streams;
      socket.data.secretId = claims.secretId;
      socket.data.validUntil = claims.validUntil;
      socket.data.topicGrants = claims.topics;
      if (origin) socket.data.origin = origin;
      // The one other header read later: which browser registers for Web Push (`push:subscribe`).
      const userAgent = socket.handshake.headers['user-agent'];
      if (typeof userAgent === 'string' && userAgent) socket.data.userAgent = userAgent.slice(0, 300);
      const user = await subscribers.touch(claims.appId, claims.userId);
      socket.data.subscriberId = user.id;
      socket.data.broadcastSince = user.broadcastSince;
      socket.data.topics = user.topics;
      socket.data.preferences = user.preferences;
      socket.data.ended = new Map();
      // Keep only what later checks read; the token and the other headers would sit in memory per socket.
      socket.handshake.auth = {};
      socket.handshake.headers = {};
      next();
    } catch (error) {
      if (error instanceof TokenError) {
        if (error.reason === 'guessing') onGuessing();
        next(handshakeError(codes[error.reason], error.message, error.retryAfterMs));
      } else
        next(
          handshakeError(
            HandshakeErrorCode.Unavailable,
            'The server could not accept the connection right now; retrying.',
          ),
        );
    }
  };
}
