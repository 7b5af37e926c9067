import {
  ClientEvent,
  type ClientToServerEvents,
  type ClosingEvent,
  HandshakeErrorCode,
  type InboxListRequest,
  type InboxPage,
  type InboxReadEvent,
  type NotificationPayload,
  ServerEvent,
  type ServerToClientEvents,
  type SyncedEvent,
  type SyncReply,
} from '@herald/protocol';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { io as defaultIo } from 'socket.io-client';
import { DisconnectCode, type State, type StateContext } from './codes.js';
import { Emitter } from './emitter.js';
import { Popups } from './popups.js';
import { SeenIds } from './seen.js';
import { peekClaims, SafeStore } from './storage.js';

export type TokenSource = string | (() => string | Promise<string>);

export interface HeraldOptions {
  /** Herald's base URL, e.g. `https://push.example.com`. Defaults to the origin the script came from. */
  url?: string;
  /** A user JWT, or a function returning one (called on every connect, so tokens can be refreshed). */
  token: TokenSource;
  /** App id, needed only when the token has no `aud` claim and the server hosts several apps. */
  appId?: string;
  /** Raise native popups when permission is granted. Default true; false to render in-page only. */
  popups?: boolean;
  /** Decide per notification whether it may pop up (after Herald's own checks). */
  shouldPopup?: (notification: NotificationPayload) => boolean;
  /**
   * After a reconnect, at most this many catch-up notifications pop up one by one; more than that
   * become a single summary popup. Default 3.
   */
  maxCatchUpPopups?: number;
  /**
   * While connected, re-sync this often even without news (default 60 s): whatever a server-side
   * hiccup kept from being pushed live is fetched then. 0 turns it off.
   */
  syncIntervalMs?: number;
  /** Transports to try, in order. Default: WebSocket, falling back to long-polling. */
  transports?: Array<'websocket' | 'polling'>;
  /** Platform objects, defaulting to the browser's (tests pass their own). */
  Notification?: typeof Notification | null;
  storage?: Storage | null;
  locks?: LockManager | null;
  window?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
  io?: typeof defaultIo;
}

export interface NotificationContext {
  /** True when this tab raised a native popup for it. */
  popup: boolean;
  /** True when it came from catch-up after a (re)connect rather than live. */
  replay: boolean;
}

export interface HeraldEvents {
  notification: (notification: NotificationPayload, context: NotificationContext) => void;
  state: (context: StateContext) => void;
  error: (error: Error & { code?: string }) => void;
  click: (notification: NotificationPayload) => void;
  /** Notifications were read, here or on another device. */
  read: (event: InboxReadEvent) => void;
  /** The unread count changed. */
  unread: (count: number) => void;
  /** Catch-up after a (re)connect finished; `count` notifications were replayed. */
  synced: (info: { count: number; cursor: number | null }) => void;
  /** The socket's token was replaced in-band before it expired. */
  refreshed: (info: { exp: number }) => void;
}

type HeraldSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const REQUEST_TIMEOUT_MS = 15_000;
/** How long after live notifications the client confirms them with a sync (advancing its cursor). */
const CONFIRM_AFTER_MS = 3000;
/**
 * The server sends what this device missed right after connecting, then `synced`. Without a word
 * for this long (an older server), the client asks with `sync` instead.
 */
const CATCH_UP_WAIT_MS = 10_000;
/** Reconnection after a refusal or a server-side close: 1 s doubling to 30 s, each with ±50% jitter. */
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** Token refreshes: at least this far apart; setTimeout's ceiling (a signed 32-bit delay). */
const MIN_REFRESH_MS = 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Refusals that no new token can fix: stop and say so. */
const PERMANENT: readonly string[] = [
  HandshakeErrorCode.OriginForbidden,
  HandshakeErrorCode.AppUnknown,
  // The integrator's backend signs tokens that live longer than the server allows: a new one would too.
  HandshakeErrorCode.TokenTooLongLived,
];

class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Herald browser client: one Socket.IO connection authenticated by a user JWT; catch-up from a
 * per-user cursor on every (re)connect, then live notifications, each id handled once; native
 * popups for fresh ones only; the inbox; lifecycle reports back to Herald.
 */
export class HeraldClient extends Emitter<HeraldEvents> {
  state: State = 'disconnected';
  private _socket: HeraldSocket;
  private _options: HeraldOptions;
  private _store: SafeStore;
  private _N: typeof Notification | null;
  private _url: string;
  private _cursorKey = '';
  private _cursor: number | null = null;
  private _handled = new Set<string>();
  private _syncing = false;
  private _held: NotificationPayload[] = [];
  private _confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private _intervalTimer: ReturnType<typeof setInterval> | undefined;
  /** This tab's popups: which to show, the claim across tabs, and their lifecycle reports. */
  private _pops: Popups;
  private _refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private _exp: number | undefined;
  private _chain: Promise<void> = Promise.resolve();
  private _offWindow: () => void = () => {};
  /** Catch-up on connect is running: replays are collected, live ones held until `synced`. */
  private _catching = false;
  private _replayed: NotificationPayload[] = [];
  private _catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  /** A reconnection scheduled after a refusal or a server-side close, and how many came in a row. */
  private _retryTimer: ReturnType<typeof setTimeout> | undefined;
  private _retries = 0;
  /** Refused for good, or disconnected by the page: nothing reconnects until `connect()`. */
  private _stopped = false;
  /** Why the token function failed on the last attempt (the server then sees no token). */
  private _tokenProblem: string | undefined;
  /** What the server said in `closing` just before it closed the socket. */
  private _closing: ClosingEvent | undefined;
  /** This device's clock minus the server's, learnt from `synced`. */
  private _skewMs = 0;

  constructor(options: HeraldOptions) {
    super();
    if (!options || (typeof options.token !== 'string' && typeof options.token !== 'function')) {
      throw new TypeError('Herald.init needs { token }: a user JWT or a function returning one.');
    }
    this._options = options;
    const url = options.url ?? defaultUrl();
    if (!url) throw new TypeError('Herald.init needs { url }: the address of your Herald server.');
    this._url = url;
    this._N = options.Notification !== undefined ? options.Notification : (globalThis.Notification ?? null);
    this._store = new SafeStore(options.storage !== undefined ? options.storage : safeLocalStorage());
    this._pops = new Popups(
      this._N,
      new SeenIds(this._store, `herald:seen:${url}`),
      options.locks !== undefined ? options.locks : (globalThis.navigator?.locks ?? null),
      options,
      (event, id) => this._socket.emit(event, { id }),
      (n) => this._emit('click', n),
    );

    const socketOptions: Partial<ManagerOptions & SocketOptions> = {
      transports: options.transports ?? ['websocket', 'polling'],
      // Called on every (re)connection attempt: a token function yields a fresh token each time.
      // `since`: the server first sends what this device missed, then `synced`, then live ones.
      auth: (cb) => {
        this._tokenProblem = undefined;
        this._token()
          .then((token) => {
            if (typeof token !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) {
              const shown = String(token).replace(/\s+/g, ' ').slice(0, 60);
              throw new Error(`The token function returned something that is not a JWT: "${shown}".`);
            }
            this._useIdentity(token);
            this._exp = peekClaims(token).exp;
            cb({ token, since: this._cursor, ...(options.appId ? { appId: options.appId } : {}) });
          })
          .catch((error: Error) => {
            this._tokenProblem = error?.message ?? String(error);
            this._emit('error', Object.assign(toError(error), { code: 'HERALD_ERR_TOKEN_SOURCE' }));
            // The server refuses a handshake without a token; the refusal schedules the retry.
            cb({ token: '' });
          });
      },
      // WebSocket first; when a proxy or firewall blocks it, fall back to HTTP long-polling.
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
    };
    this._socket = (options.io ?? defaultIo)(url, socketOptions) as HeraldSocket;
    this._wire();
    this._watchNetwork(options.window !== undefined ? options.window : (globalThis.window ?? null));
    this._setState({ state: 'connecting' });
  }

  /** The transport in use: `websocket` or `polling` (undefined while disconnected). */
  get transport(): string | undefined {
    return (this._socket as unknown as { io?: { engine?: { transport?: { name?: string } } } }).io?.engine?.transport
      ?.name;
  }

  /** Current permission for native popups: `default`, `granted`, `denied` or `unsupported`. */
  get permission(): NotificationPermission | 'unsupported' {
    return this._N ? this._N.permission : 'unsupported';
  }

  /** The last sequence number this browser has confirmed (null before the first sync). */
  get cursor(): number | null {
    return this._cursor;
  }

  /** Asks the browser for permission to show popups. Call it from a user gesture (a click). */
  async requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (!this._N) return 'unsupported';
    return this._N.requestPermission();
  }

  /** The inbox, newest first. Pass the previous page's `nextCursor` for older entries. */
  async list(request: InboxListRequest = {}): Promise<InboxPage> {
    const page = await this._request<InboxPage>(ClientEvent.InboxList, request);
    this._emit('unread', page.unread);
    return page;
  }

  async unreadCount(): Promise<number> {
    return (await this._request<{ ok: true; unread: number }>(ClientEvent.InboxUnread, {})).unread;
  }

  /** Marks notifications read everywhere: their popups close and badges update on every device. */
  async markRead(ids: string | string[]): Promise<number> {
    const list = Array.isArray(ids) ? ids : [ids];
    const { unread } = await this._request<{ ok: true; unread: number }>(ClientEvent.Read, { ids: list });
    this._pops.close(list);
    this._emit('unread', unread);
    return unread;
  }

  async markAllRead(): Promise<number> {
    const { unread } = await this._request<{ ok: true; unread: number }>(ClientEvent.ReadAll, {});
    this._pops.close('all');
    this._emit('unread', unread);
    return unread;
  }

  /** Closes the connection for good (until `connect()`). */
  disconnect(): void {
    this._stopped = true;
    clearTimeout(this._confirmTimer);
    clearTimeout(this._refreshTimer);
    clearTimeout(this._retryTimer);
    clearTimeout(this._catchUpTimer);
    clearInterval(this._intervalTimer);
    this._offWindow();
    this._socket.disconnect();
    this._setState({ state: 'disconnected', code: DisconnectCode.Manual, reason: 'disconnect() was called' });
  }

  /** Browser offline/online: say so at once, and reconnect without waiting out the backoff. */
  private _watchNetwork(win: Pick<Window, 'addEventListener' | 'removeEventListener'> | null): void {
    if (!win) return;
    const offline = () =>
      this._setState({ state: 'disconnected', code: DisconnectCode.Offline, reason: 'browser offline' });
    const online = () => {
      if (this._socket.connected || this._stopped) return;
      // Skip the remaining reconnection backoff: close the manager (clearing its timer), open now.
      clearTimeout(this._retryTimer);
      (this._socket.io as unknown as { disconnect(): void }).disconnect();
      this._setState({ state: 'connecting', code: DisconnectCode.Offline, reason: 'browser back online' });
      this._socket.connect();
    };
    win.addEventListener('offline', offline);
    win.addEventListener('online', online);
    this._offWindow = () => {
      win.removeEventListener('offline', offline);
      win.removeEventListener('online', online);
    };
  }

  /**
   * With a token function, swap in a fresh token shortly before the current one expires, by the
   * server's clock (this device's may be off by hours). Never sooner than 1 s from now, so a token
   * that is already stale cannot start a tight refresh loop; never later than a timer can wait.
   */
  private _scheduleRefresh(): void {
    clearTimeout(this._refreshTimer);
    if (typeof this._options.token !== 'function' || !this._exp) return;
    const left = this._exp * 1000 - (Date.now() - this._skewMs);
    const margin = Math.min(60_000, left * 0.2);
    const delay = Math.min(MAX_TIMER_MS, Math.max(MIN_REFRESH_MS, left - margin));
    this._refreshTimer = setTimeout(() => void this._refresh(), delay);
  }

  private async _refresh(): Promise<void> {
    try {
      const token = await this._token();
      const { exp } = await this._request<{ ok: true; exp: number }>(ClientEvent.AuthRefresh, { token });
      this._exp = exp;
      this._emit('refreshed', { exp });
      this._scheduleRefresh();
    } catch (error) {
      // The server closes the socket at expiry; the reconnect then fetches a token again.
      this._emit(
        'error',
        Object.assign(error as Error, { code: (error as RequestError).code ?? 'HERALD_ERR_TOKEN_REFRESH' }),
      );
    }
  }

  /** Connects again after `disconnect()` or a refusal the client stopped at. */
  connect(): void {
    this._stopped = false;
    this._retries = 0;
    clearTimeout(this._retryTimer);
    if (this._socket.connected || this._socket.active) return;
    this._setState({ state: 'connecting' });
    this._socket.connect();
  }

  /**
   * Reconnects after a refusal or a server-side close (Socket.IO itself only retries after a
   * transport failure): bounded exponential backoff with jitter. Returns the delay.
   */
  private _retry(notBeforeMs = 0): number {
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this._retries);
    const delay = Math.max(notBeforeMs, Math.round(ceiling * (0.5 + Math.random() * 0.5)));
    this._retries++;
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => {
      this._retryTimer = undefined;
      if (this._stopped || this._socket.connected || this._socket.active) return;
      this._setState({ state: 'connecting', code: this.stateContext.code, error: this.stateContext.error });
      this._socket.connect();
    }, delay);
    return delay;
  }

  private async _token(): Promise<string> {
    const { token } = this._options;
    return typeof token === 'function' ? await token() : token;
  }

  /** Per-user state (the cursor) is keyed by server, app and user, read from the token. */
  private _useIdentity(token: string): void {
    const { sub, aud } = peekClaims(token);
    const key = `herald:cursor:${this._url}:${aud ?? this._options.appId ?? ''}:${sub ?? ''}`;
    if (key === this._cursorKey) return;
    this._cursorKey = key;
    const stored = Number(this._store.get(key));
    this._cursor = this._store.get(key) !== null && Number.isInteger(stored) ? stored : null;
  }

  private _saveCursor(seq: number): void {
    if (this._cursor !== null && seq <= this._cursor) return;
    this._cursor = seq;
    if (this._cursorKey) this._store.set(this._cursorKey, String(seq));
  }

  private async _request<T>(event: string, payload: unknown): Promise<T> {
    const reply = (await (
      this._socket.timeout(REQUEST_TIMEOUT_MS) as unknown as {
        emitWithAck(e: string, p: unknown): Promise<unknown>;
      }
    ).emitWithAck(event, payload)) as ({ ok: true } & T) | { ok: false; code: string; message: string };
    if (reply?.ok !== true) {
      const failed = reply as { code?: string; message?: string } | undefined;
      throw new RequestError(failed?.code ?? 'HERALD_ERR_REQUEST', failed?.message ?? `"${event}" failed`);
    }
    return reply as T;
  }

  /** The current state with its code and reason. */
  stateContext: StateContext = { state: 'disconnected' };

  /** Emits `state` when the state, its code or the server's error code changes. */
  private _setState(context: StateContext): void {
    const last = this.stateContext;
    this.stateContext = context;
    this.state = context.state;
    if (last.state === context.state && last.code === context.code && last.error === context.error) return;
    this._emit('state', context);
  }

  private _wire(): void {
    const socket = this._socket;
    socket.on('connect', () => {
      this._retries = 0;
      clearTimeout(this._retryTimer);
      this._catching = true;
      this._replayed = [];
      this._armCatchUpTimer();
      this._setState({ state: 'connected' });
      this._scheduleRefresh();
      const every = this._options.syncIntervalMs ?? 60_000;
      clearInterval(this._intervalTimer);
      if (every > 0) {
        this._intervalTimer = setInterval(() => {
          if (socket.connected) void this._sync();
        }, every);
      }
    });
    socket.on(ServerEvent.Closing, (event) => {
      this._closing = event;
    });
    socket.on('disconnect', (reason) => {
      clearInterval(this._intervalTimer);
      clearTimeout(this._refreshTimer);
      this._syncing = false;
      // What arrived of an interrupted catch-up still reaches the page.
      if (this._catching) this._endCatchUp(null);
      const closing = this._closing;
      this._closing = undefined;
      if (reason === 'io client disconnect') return;
      const serverClosed = reason === 'io server disconnect';
      this._setState({
        state: 'disconnected',
        code: serverClosed ? DisconnectCode.ServerClosed : DisconnectCode.TransportClosed,
        reason: closing?.message ?? reason,
        error: closing?.code,
      });
      if (!serverClosed) {
        // Socket.IO reconnects by itself after a transport failure (with backoff).
        this._setState({ state: 'connecting', code: DisconnectCode.TransportClosed, reason });
        return;
      }
      // After a server-side close it does not: come back with a fresh token, unless the server said
      // that cannot help and the token cannot change.
      if (closing?.reconnect === false && typeof this._options.token !== 'function') {
        this._stopped = true;
        return;
      }
      const retryInMs = this._retry(closing?.retryAfterMs);
      this._setState({
        state: 'disconnected',
        code: DisconnectCode.ServerClosed,
        reason: closing?.message ?? reason,
        error: closing?.code,
        retryInMs,
      });
    });
    socket.on('connect_error', (error: Error & { data?: { code?: string; retryAfterMs?: number } }) => {
      if (socket.active) {
        // Transport-level failure (server down or restarting): Socket.IO retries with backoff.
        this._emit('error', Object.assign(error, { code: 'HERALD_ERR_CONNECT' }));
        this._setState({ state: 'connecting', code: DisconnectCode.TransportClosed, reason: error.message });
        return;
      }
      // Refused by the server, with its code and sentence.
      const code = error.data?.code ?? 'HERALD_ERR_CONNECT';
      const reason = this._tokenProblem ?? error.message;
      if (!this._tokenProblem) this._emit('error', Object.assign(error, { code }));
      if (code === HandshakeErrorCode.CursorInvalid) this._cursor = null;
      const refreshable = typeof this._options.token === 'function';
      // Refusals that pass by themselves are retried whatever the token.
      const transient: string[] = [
        HandshakeErrorCode.Unavailable,
        HandshakeErrorCode.CursorInvalid,
        HandshakeErrorCode.RateLimited,
      ];
      const permanent = PERMANENT.includes(code) || (!refreshable && !transient.includes(code));
      if (permanent) {
        this._stopped = true;
        this._setState({
          state: 'disconnected',
          code: PERMANENT.includes(code) ? DisconnectCode.Forbidden : DisconnectCode.Unauthorized,
          reason: `${reason} (not retrying)`,
          error: code,
        });
        return;
      }
      const retryInMs = this._retry(error.data?.retryAfterMs);
      this._setState({
        state: 'disconnected',
        code:
          code === HandshakeErrorCode.Unavailable || code === HandshakeErrorCode.RateLimited
            ? DisconnectCode.Unavailable
            : DisconnectCode.Unauthorized,
        reason,
        error: this._tokenProblem ? 'HERALD_ERR_TOKEN_SOURCE' : code,
        retryInMs,
      });
    });
    socket.on(ServerEvent.Notification, (payload, ack) => {
      if (typeof ack === 'function') ack({ ok: true });
      if (!payload || typeof payload.id !== 'string') return;
      if (payload.replay) {
        // Catch-up on connect: shown together once `synced` says it is over.
        this._armCatchUpTimer();
        if (this._accept(payload)) this._replayed.push(payload);
        this._saveCursor(payload.seq);
        return;
      }
      // During catch-up, live ones wait so the page sees everything in sequence order.
      if (this._syncing || this._catching) this._held.push(payload);
      else {
        this._enqueue(() => this._receive(payload));
        this._scheduleConfirm();
      }
    });
    socket.on(ServerEvent.Synced, (event: SyncedEvent) => {
      if (typeof event?.now === 'number') {
        this._skewMs = Date.now() - event.now;
        this._scheduleRefresh();
      }
      if (this._catching) this._endCatchUp(typeof event?.head === 'number' ? event.head : null);
    });
    socket.on(ServerEvent.InboxRead, (event) => {
      this._pops.close(event.ids);
      this._emit('read', event);
      this._emit('unread', event.unread);
    });
  }

  /** (Re)starts the wait for the server's catch-up; an older server that sends none is asked with `sync`. */
  private _armCatchUpTimer(): void {
    clearTimeout(this._catchUpTimer);
    this._catchUpTimer = setTimeout(() => {
      if (!this._catching || !this._socket.connected) return;
      this._endCatchUp(null);
      void this._sync();
    }, CATCH_UP_WAIT_MS);
  }

  /** Catch-up on connect is over: the replays reach the page (a few popups or one summary), then held live ones. */
  private _endCatchUp(head: number | null): void {
    clearTimeout(this._catchUpTimer);
    this._catching = false;
    if (head !== null) this._useHead(head);
    const replayed = this._replayed;
    this._replayed = [];
    this._release(replayed);
  }

  /** Keeps the server's head as the cursor; a head behind the cursor means the server's sequence restarted. */
  private _useHead(head: number): void {
    if (this._cursor !== null && head < this._cursor) {
      this._cursor = null;
    }
    this._saveCursor(head);
  }

  /** Hands replayed notifications, then held live ones, to the page in order. */
  private _release(replayed: NotificationPayload[]): void {
    const held = this._held.sort((a, b) => a.seq - b.seq);
    this._held = [];
    this._enqueue(async () => {
      const shown = await this._pops.catchUp(replayed);
      for (const n of replayed) this._emit('notification', n, { popup: shown.has(n.id), replay: true });
      for (const n of held) await this._receive(n);
      this._emit('synced', { count: replayed.length, cursor: this._cursor });
    });
    if (held.length) this._scheduleConfirm();
  }

  /**
   * Catch-up: "I have everything up to my cursor; what came after it?", page by page in sequence
   * order, until an empty page. Each request also confirms the previous page to the server.
   */
  private async _sync(): Promise<void> {
    if (this._syncing || this._catching) return;
    this._syncing = true;
    clearTimeout(this._confirmTimer);
    const replayed: NotificationPayload[] = [];
    try {
      for (;;) {
        const reply = await this._request<SyncReply>(ClientEvent.Sync, { since: this._cursor, limit: 100 });
        if (reply.notifications.length === 0) {
          this._useHead(reply.head);
          break;
        }
        for (const n of reply.notifications) {
          if (this._accept(n)) replayed.push(n);
          this._saveCursor(n.seq);
        }
      }
    } catch (error) {
      this._emit('error', Object.assign(error as Error, { code: (error as RequestError).code ?? 'HERALD_ERR_SYNC' }));
    } finally {
      this._syncing = false;
    }
    this._release(replayed);
  }

  /** Notifications reach the page one at a time, in order, even though a popup claim is async. */
  private _enqueue(work: () => Promise<void>): void {
    this._chain = this._chain.then(work).catch((error: unknown) => {
      this._emit('error', Object.assign(error as Error, { code: 'HERALD_ERR_INTERNAL' }));
    });
  }

  /** Confirms live notifications a little later with a sync: advances the cursor, fills any gap. */
  private _scheduleConfirm(): void {
    clearTimeout(this._confirmTimer);
    this._confirmTimer = setTimeout(() => {
      if (this._socket.connected) void this._sync();
    }, CONFIRM_AFTER_MS);
  }

  /** First sight of an id in this page? (Replays and live copies of one notification meet here.) */
  private _accept(payload: NotificationPayload): boolean {
    if (this._handled.has(payload.id)) return false;
    this._handled.add(payload.id);
    if (this._handled.size > 2000) this._handled.delete(this._handled.values().next().value as string);
    return true;
  }

  private async _receive(payload: NotificationPayload): Promise<void> {
    if (!this._accept(payload)) return;
    const popup = this._pops.wants(payload) && (await this._pops.claim(payload.id)) && this._pops.show(payload);
    this._emit('notification', payload, { popup, replay: false });
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // blocked third-party storage, sandboxed iframes
  }
}

/** The origin of the `<script src=".../sdk.js">` that loaded the SDK, when there is one. */
let scriptOrigin: string | undefined;
try {
  const src = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;
  if (src) scriptOrigin = new URL(src).origin;
} catch {
  // not in a browser
}

function defaultUrl(): string | undefined {
  return scriptOrigin;
}
