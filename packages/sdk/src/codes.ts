/** Connection states, exposed as `client.state`. */
export type State = 'disconnected' | 'connecting' | 'connected';

/** Why the client is (or went) disconnected, or is connecting again, with a stable numeric code. */
export const DisconnectCode = {
  /** `disconnect()` was called. */
  Manual: 0,
  /** The browser reports being offline. */
  Offline: 1,
  /** The transport closed (network, server restart); reconnecting with backoff. */
  TransportClosed: 2,
  /** The server refused the token; retrying with a fresh one when `token` is a function, else stopped. */
  Unauthorized: 3,
  /** The server closed the connection (e.g. the token expired); reconnecting with a fresh token. */
  ServerClosed: 4,
  /** The server refuses this page or app for good (origin not allowed, unknown app): not retrying. */
  Forbidden: 5,
  /** The server could not be reached, or could not accept the connection right now; retrying with backoff. */
  Unavailable: 6,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

export interface StateContext {
  state: State;
  code?: DisconnectCode;
  /** A sentence: the server's own when it refused or closed the connection. */
  reason?: string;
  /** The server's machine-readable code (`HERALD_ERR_…`) when it refused or closed the connection. */
  error?: string;
  /** When a reconnection is scheduled: in how many milliseconds. */
  retryInMs?: number;
}
