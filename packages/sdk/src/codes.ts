/** Connection states, exposed as `client.state`. */
export type State = 'disconnected' | 'connecting' | 'connected';

/** Why the client is (or went) disconnected, with a stable numeric code. */
export const DisconnectCode = {
  /** `disconnect()` was called. */
  Manual: 0,
  /** The browser reports being offline. */
  Offline: 1,
  /** The transport closed (network, server restart); reconnecting. */
  TransportClosed: 2,
  /** The server refused the token; a new one is needed. */
  Unauthorized: 3,
  /** The server closed the connection (e.g. the token expired). */
  ServerClosed: 4,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

export interface StateContext {
  state: State;
  code?: DisconnectCode;
  reason?: string;
}
