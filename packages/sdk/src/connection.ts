import {
  type ClientToServerEvents,
  type ClosingEvent,
  HandshakeErrorCode,
  ServerEvent,
  type ServerToClientEvents,
  type SyncedEvent,
} from '@herald/protocol';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { io as defaultIo } from 'socket.io-client';
import { DisconnectCode, type State, type StateContext } from './codes.js';
import { Tokens } from './token.js';
import type { Emit, HeraldOptions } from './types.js';

export type HeraldSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const REQUEST_TIMEOUT_MS = 15_000;
/** Reconnection, whatever closed or refused the connection: 1 s doubling to 30 s, each with up to 50% off. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Refusals that no new token can fix: stop and say so. */
const PERMANENT: readonly string[] = [
  HandshakeErrorCode.OriginForbidden,
  HandshakeErrorCode.AppUnknown,
  // The integrator's backend signs tokens that live longer than the server allows: a new one would too.
  HandshakeErrorCode.TokenTooLongLived,
];
/** Refusals that pass by themselves: retried whatever the token. */
const TRANSIENT: readonly string[] = [
  HandshakeErrorCode.Unavailable,
  HandshakeErrorCode.CursorInvalid,
  HandshakeErrorCode.RateLimited,
];

class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the connection tells the catch-up, besides the client's events. */
export interface ConnectionHooks {
  /** The handshake's fields for this (well-formed) token besides the token itself: the catch-up cursor. */
  handshake(token: string): { since: number | null; streams: Record<string, number> };
  /** The socket is connected; called just before `state` says so. */
  connected(): void;
  /** The socket closed, whatever the reason; called before `state` says so. */
  disconnected(): void;
  /** The server refused the handshake with this code. */
  refused(code: string): void;
}

/**
 * How a refused handshake ends: `stop` for good, or retried; with the state's code. A refusal that
 * a new token could fix is retried only when there is a token function to ask.
 */
export function refusal(code: string, refreshable: boolean): { stop: boolean; code: DisconnectCode } {
  if (PERMANENT.includes(code)) return { stop: true, code: DisconnectCode.Forbidden };
  if (!refreshable && !TRANSIENT.includes(code)) return { stop: true, code: DisconnectCode.Unauthorized };
  const unavailable = code === HandshakeErrorCode.Unavailable || code === HandshakeErrorCode.RateLimited;
  return { stop: false, code: unavailable ? DisconnectCode.Unavailable : DisconnectCode.Unauthorized };
}

/** The delay before reconnection attempt number `retries` (from 0): bounded exponential with jitter. */
export function backoff(retries: number, notBeforeMs = 0, random = Math.random()): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** retries);
  return Math.max(notBeforeMs, Math.round(ceiling * (0.5 + random * 0.5)));
}

/**
 * The connection: one Socket.IO socket authenticated by a user JWT, as a state machine
 * (`disconnected | connecting | connected`, each with its `DisconnectCode`; `state` is emitted only
 * on a change). Owns the socket's lifecycle: the token source on every handshake, refusals and
 * server-side closes with backoff, the browser's online/offline, and in-band token refreshes.
 */
export class Connection {
  /** The current state with its code and reason. */
  stateContext: StateContext = { state: 'disconnected' };
  readonly socket: HeraldSocket;
  private _offWindow: () => void = () => {};
  private _window: Pick<Window, 'addEventListener' | 'removeEventListener'> | null = null;
  /** The token for each handshake, and its refreshes over the open socket. */
  private _tokens: Tokens;
  /** A reconnection scheduled after a refusal or a server-side close, and how many came in a row. */
  private _retryTimer: ReturnType<typeof setTimeout> | undefined;
  private _retries = 0;
  /** Refused for good, or disconnected by the page: nothing reconnects until `connect()`. */
  private _stopped = false;
  /** True while `_watchNetwork` drops a hanging attempt: the close that comes of it is not news. */
  private _reopening = false;
  /** What the server said in `closing` just before it closed the socket. */
  private _closing: ClosingEvent | undefined;
  /** Reports `state` and `error` (and, through the tokens, `refreshed`). */
  private readonly _emit: Emit;
  private readonly _hooks: ConnectionHooks;

  constructor(
    url: string,
    options: Pick<HeraldOptions, 'token' | 'appId' | 'transports' | 'io' | 'window'>,
    emit: Emit,
    hooks: ConnectionHooks,
  ) {
    this._emit = emit;
    this._hooks = hooks;
    this._tokens = new Tokens(options.token, (event, payload) => this.request(event, payload), emit);
    const appId = options.appId ? { appId: options.appId } : {};
    const socketOptions: Partial<ManagerOptions & SocketOptions> = {
      transports: options.transports ?? ['websocket', 'polling'],
      // Called on every (re)connection attempt: a token function yields a fresh token each time.
      // `since`: the server first sends what this device missed, then `synced`, then live ones.
      auth: (cb) => {
        this._tokens
          .next()
          .then((token) => cb({ token, ...this._hooks.handshake(token), ...appId }))
          // The server refuses a handshake without a token; the refusal schedules the retry.
          .catch(() => cb({ token: '' }));
      },
      // WebSocket first; when a proxy or firewall blocks it, fall back to HTTP long-polling.
      tryAllTransports: true,
      // Reconnection is this class's (`_retry`), after a transport failure too: one backoff for
      // every cause, and each `state` says when the next attempt comes (`retryInMs`).
      reconnection: false,
    };
    this.socket = (options.io ?? defaultIo)(url, socketOptions) as HeraldSocket;
    this._wire();
    this._window = options.window !== undefined ? options.window : (globalThis.window ?? null);
    this._watchNetwork(this._window);
    this._setState({ state: 'connecting' });
  }

  get state(): State {
    return this.stateContext.state;
  }

  /** The transport in use: `websocket` or `polling` (undefined while disconnected). */
  get transport(): string | undefined {
    return (this.socket as unknown as { io?: { engine?: { transport?: { name?: string } } } }).io?.engine?.transport
      ?.name;
  }

  /** Connects again after `disconnect()` or a refusal the client stopped at, or now instead of after the backoff. */
  connect(): void {
    this._watchNetwork(this._window); // again, if disconnect() stopped listening
    this._stopped = false;
    this._retries = 0;
    clearTimeout(this._retryTimer);
    if (this.socket.connected) return;
    this._setState({ state: 'connecting' });
    this.socket.connect();
  }

  /** Closes the connection for good (until `connect()`). */
  disconnect(): void {
    this._stopped = true;
    this._tokens.cancel();
    clearTimeout(this._retryTimer);
    this._offWindow();
    this.socket.disconnect();
    this._setState({ state: 'disconnected', code: DisconnectCode.Manual, reason: 'disconnect() was called' });
  }

  async request<T>(event: string, payload: unknown): Promise<T> {
    const reply = (await (
      this.socket.timeout(REQUEST_TIMEOUT_MS) as unknown as {
        emitWithAck(e: string, p: unknown): Promise<unknown>;
      }
    ).emitWithAck(event, payload)) as ({ ok: true } & T) | { ok: false; code: string; message: string };
    if (reply?.ok !== true) {
      const failed = reply as { code?: string; message?: string } | undefined;
      throw new RequestError(failed?.code ?? 'HERALD_ERR_REQUEST', failed?.message ?? `"${event}" failed`);
    }
    return reply as T;
  }

  /** Every transition goes through here; `state` is emitted when the state, its code or the server's error code changes. */
  private _setState(context: StateContext): void {
    const last = this.stateContext;
    this.stateContext = context;
    if (last.state === context.state && last.code === context.code && last.error === context.error) return;
    this._emit('state', context);
  }

  private _wire(): void {
    const socket = this.socket;
    socket.on('connect', () => {
      this._retries = 0;
      clearTimeout(this._retryTimer);
      this._hooks.connected();
      this._setState({ state: 'connected' });
      this._tokens.schedule();
    });
    socket.on(ServerEvent.Closing, (event) => {
      this._closing = event;
    });
    socket.on('disconnect', (reason) => {
      this._hooks.disconnected();
      this._tokens.cancel();
      const closing = this._closing;
      this._closing = undefined;
      // The page's, or ours when the browser came back online (`_watchNetwork`, which connects at once).
      if (reason === 'io client disconnect' || this._reopening) return;
      const serverClosed = reason === 'io server disconnect';
      const closed: StateContext = {
        state: 'disconnected',
        code: serverClosed ? DisconnectCode.ServerClosed : DisconnectCode.TransportClosed,
        // Socket.IO's reason (`transport close`, `ping timeout`…) in a sentence.
        reason: closing?.message ?? `Connection lost (${reason})`,
        error: closing?.code,
      };
      // Come back (with a fresh token), unless the server said that cannot help and the token
      // cannot change.
      if (serverClosed && closing?.reconnect === false && !this._tokens.refreshable) {
        this._stopped = true;
        this._setState(closed);
        return;
      }
      this._setState({ ...closed, retryInMs: this._retry(closing?.retryAfterMs) });
    });
    socket.on('connect_error', (error: Error & { data?: { code?: string; retryAfterMs?: number } }) => {
      if (socket.active) {
        // The server could not be reached (down or restarting, or the network): retried with backoff.
        this._emit('error', Object.assign(error, { code: 'HERALD_ERR_CONNECT' }));
        this._setState({
          state: 'disconnected',
          code: DisconnectCode.Unavailable,
          reason: `Connection failed (${error.message})`,
          retryInMs: this._retry(),
        });
        return;
      }
      // Refused by the server, with its code and sentence.
      const code = error.data?.code ?? 'HERALD_ERR_CONNECT';
      const problem = this._tokens.problem;
      const reason = problem ?? error.message;
      if (!problem) this._emit('error', Object.assign(error, { code }));
      this._hooks.refused(code);
      const verdict = refusal(code, this._tokens.refreshable);
      if (verdict.stop) {
        this._stopped = true;
        this._setState({ state: 'disconnected', code: verdict.code, reason: `${reason} (not retrying)`, error: code });
        return;
      }
      const retryInMs = this._retry(error.data?.retryAfterMs);
      this._setState({
        state: 'disconnected',
        code: verdict.code,
        reason,
        error: problem ? 'HERALD_ERR_TOKEN_SOURCE' : code,
        retryInMs,
      });
    });
    socket.on(ServerEvent.Synced, (event: SyncedEvent) => {
      if (typeof event?.now === 'number') this._tokens.clock(event.now);
    });
  }

  /** Browser offline/online: say so at once, and reconnect without waiting out the backoff. */
  private _watchNetwork(win: Pick<Window, 'addEventListener' | 'removeEventListener'> | null): void {
    this._offWindow();
    if (!win) return;
    const offline = () => {
      // A planned attempt would fail: the next one waits as long as backoff ever waits (`_retry`).
      clearTimeout(this._retryTimer);
      if (!this._stopped) this._retry();
      this._setState({ state: 'disconnected', code: DisconnectCode.Offline, reason: 'browser offline' });
    };
    const online = () => {
      if (this.socket.connected || this._stopped) return;
      // Skip the remaining backoff: drop an attempt the network left hanging, and open now.
      clearTimeout(this._retryTimer);
      this._reopening = true;
      try {
        (this.socket.io as unknown as { disconnect(): void }).disconnect();
      } finally {
        this._reopening = false;
      }
      this._setState({ state: 'connecting', code: DisconnectCode.Offline, reason: 'browser back online' });
      this.socket.connect();
    };
    win.addEventListener('offline', offline);
    win.addEventListener('online', online);
    this._offWindow = () => {
      win.removeEventListener('offline', offline);
      win.removeEventListener('online', online);
      this._offWindow = () => {};
    };
  }

  /** Reconnects after a closed connection, a failed attempt or a refusal, with backoff. Returns the delay. */
  private _retry(notBeforeMs = 0): number {
    // Offline, an attempt can only fail: one now and then, in case the browser is wrong, and the
    // `online` event opens at once.
    const delay = globalThis.navigator?.onLine === false ? RETRY_MAX_MS : backoff(this._retries++, notBeforeMs);
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = undefined;
      if (this._stopped || this.socket.connected) return;
      this._setState({ state: 'connecting', code: this.stateContext.code, error: this.stateContext.error });
      this.socket.connect();
    }, delay);
    return delay;
  }
}
