import { HandshakeErrorCode, ServerEvent } from '@herald/protocol';
import { type AppDirectory, type CachedApp, secretStanding } from '../auth/app-directory.js';
import type { GatewayServer, GatewaySocket } from './types.js';

// setTimeout's delay is a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Each socket's "check again" function, to call after its `validUntil` changed. */
const rearms = new WeakMap<GatewaySocket, () => void>();

/** Ends that reconnecting with the same page cannot fix (the app or the page's origin is refused). */
const FINAL: readonly string[] = [HandshakeErrorCode.OriginForbidden, HandshakeErrorCode.AppUnknown];

/**
 * Tells the client why, then closes the socket: `closing { code, message, reconnect }`, then a
 * server-side disconnect (the client sees "io server disconnect"). `reconnect` is true when a
 * fresh token fixes it (expired, revoked secret).
 */
export function endSession(socket: GatewaySocket, code: HandshakeErrorCode, message: string): void {
  if (socket.disconnected) return;
  socket.emit(ServerEvent.Closing, { code, message, reconnect: !FINAL.includes(code) });
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
 * and one from an origin no longer allowed is closed too. Every node runs this for itself; without
 * `appIds`, for every app it has sockets of (the backstop for a message this node missed).
 * Returns how many sockets it closed.
 */
export async function recheckSockets(
  io: GatewayServer,
  apps: AppDirectory,
  appIds?: Iterable<string>,
): Promise<number> {
  const sockets: GatewaySocket[] = [...io.of('/').sockets.values()];
  const ids = new Set(appIds ?? sockets.map((s) => s.data.appId));
  const current = new Map<string, CachedApp | undefined>();
  for (const id of ids) current.set(id, await apps.get(id));
  let closed = 0;
  for (const socket of sockets) {
    const appId = socket.data.appId;
    if (!ids.has(appId) || socket.disconnected) continue;
    const problem = credentialProblem(socket, appId, current.get(appId));
    if (problem) {
      endSession(socket, problem.code, problem.message);
      closed++;
    }
  }
  return closed;
}

/** Why a socket's credentials are no longer good enough for `app`; also moves its deadline to a grace's end. */
function credentialProblem(
  socket: GatewaySocket,
  appId: string,
  app: CachedApp | undefined,
): { code: HandshakeErrorCode; message: string } | null {
  if (!app) return { code: HandshakeErrorCode.AppUnknown, message: `App "${appId}" no longer exists.` };
  const origin = socket.data.origin;
  if (origin && app.allowedOrigins.length > 0 && !app.allowedOrigins.includes(origin)) {
    return {
      code: HandshakeErrorCode.OriginForbidden,
      message: `Pages on ${origin} may no longer connect to app "${appId}"; add the origin to the app's allowed origins.`,
    };
  }
  const standing = secretStanding(app, socket.data.secretId);
  if (standing.kind === 'revoked') {
    return {
      code: HandshakeErrorCode.TokenRevoked,
      message: 'The JWT secret that signed this token was rotated or revoked; connect again with a new token.',
    };
  }
  const validUntil = Math.min(socket.data.exp * 1000, standing.kind === 'grace' ? standing.until : Infinity);
  if (validUntil !== socket.data.validUntil) {
    socket.data.validUntil = validUntil;
    rearms.get(socket)?.();
  }
  return null;
}
