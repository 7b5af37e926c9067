import { HandshakeErrorCode, ServerEvent } from '@herald/protocol';
import { type AppDirectory, secretStanding } from '../services/apps.js';
import type { GatewayServer, GatewaySocket } from './connections.js';

// setTimeout's delay is a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Each socket's "check again" function, to call after its `validUntil` changed. */
const rearms = new WeakMap<GatewaySocket, () => void>();

/**
 * Tells the client why, then closes the socket: `auth:ended { code, message }`, then a
 * server-side disconnect (the client sees "io server disconnect").
 */
export function endSession(socket: GatewaySocket, code: HandshakeErrorCode, message: string): void {
  if (socket.disconnected) return;
  socket.emit(ServerEvent.AuthEnded, { code, message });
  socket.disconnect(true);
}

/**
 * Closes the socket when its credentials run out (`socket.data.validUntil`: the token's expiry, or
 * the end of the grace of the rotated-out secret that signed it). Returns the function to call
 * after `validUntil` changed (a refreshed token, a rotation).
 */
export function watchCredentials(socket: GatewaySocket): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    // A refresh that finishes after the socket closed must not leave a timer holding it in memory.
    if (socket.disconnected) return;
    const ms = socket.data.validUntil - Date.now();
    if (ms <= 0) {
      if (socket.data.validUntil < socket.data.exp * 1000) {
        endSession(
          socket,
          HandshakeErrorCode.TokenRevoked,
          'The JWT secret that signed this token is no longer accepted (rotated or revoked); connect again with a new token.',
        );
      } else {
        endSession(socket, HandshakeErrorCode.TokenExpired, 'The token expired; connect again with a new token.');
      }
      return;
    }
    timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
  };
  arm();
  rearms.set(socket, arm);
  socket.once('disconnect', () => {
    clearTimeout(timer);
    rearms.delete(socket);
  });
  return arm;
}

/**
 * After an app changed (its secret rotated or revoked, its allowed origins edited), holds this
 * node's sockets of that app to the new rules: a socket verified with a secret that is no longer
 * accepted is closed now, one verified with the previous secret is closed when its grace ends,
 * and one from an origin no longer allowed is closed too. Every node runs this for itself.
 */
export async function recheckAppSockets(io: GatewayServer, apps: AppDirectory, appId: string): Promise<number> {
  const app = await apps.get(appId);
  let closed = 0;
  for (const socket of io.of('/').sockets.values()) {
    if (socket.data.appId !== appId || socket.disconnected) continue;
    const s = socket as unknown as GatewaySocket;
    if (!app) {
      endSession(s, HandshakeErrorCode.AppUnknown, `App "${appId}" no longer exists.`);
      closed++;
      continue;
    }
    const origin = socket.data.origin;
    if (origin && app.allowedOrigins.length > 0 && !app.allowedOrigins.includes(origin)) {
      endSession(
        s,
        HandshakeErrorCode.OriginForbidden,
        `Pages on ${origin} may no longer connect to app "${appId}"; add the origin to the app's allowed origins.`,
      );
      closed++;
      continue;
    }
    const standing = secretStanding(app, socket.data.secretId);
    if (standing.kind === 'revoked') {
      endSession(
        s,
        HandshakeErrorCode.TokenRevoked,
        'The JWT secret that signed this token was rotated or revoked; connect again with a new token.',
      );
      closed++;
      continue;
    }
    const validUntil = Math.min(socket.data.exp * 1000, standing.kind === 'grace' ? standing.until : Infinity);
    if (validUntil !== socket.data.validUntil) {
      socket.data.validUntil = validUntil;
      rearms.get(s)?.();
    }
  }
  return closed;
}
