import {
  ClientEvent,
  type ClientToServerEvents,
  HandshakeErrorCode,
  type NotificationPayload,
  ServerEvent,
  type ServerToClientEvents,
} from '@herald/protocol';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import { io as defaultIo } from 'socket.io-client';
import { DisconnectCode, type State, type StateContext } from './codes.js';
import { Emitter } from './emitter.js';
import { SeenIds } from './seen.js';

export type TokenSource = string | (() => string | Promise<string>);

export interface HeraldOptions {
  /** Herald's base URL, e.g. `https://push.example.com`. Defaults to the origin the script came from. */
  url?: string;
  /** A user JWT, or a function returning one (called on every connect, so tokens can be refreshed). */
  token: TokenSource;
  /** App id, needed only when the token has no `aud` claim and the server hosts several apps. */
  appId?: string;
  /** Raise native popups when permission is granted. Default true. */
  popups?: boolean;
  /** Transports to try, in order. Default: WebSocket, falling back to long-polling. */
  transports?: Array<'websocket' | 'polling'>;
  /** Platform objects, defaulting to the browser's (tests pass their own). */
  Notification?: typeof Notification | null;
  storage?: Storage | null;
  io?: typeof defaultIo;
}

export interface NotificationContext {
  /** True when this tab raised a native popup for it. */
  popup: boolean;
}

export interface HeraldEvents {
  notification: (notification: NotificationPayload, context: NotificationContext) => void;
  state: (context: StateContext) => void;
  error: (error: Error & { code?: string }) => void;
  click: (notification: NotificationPayload) => void;
}

type HeraldSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * The Herald browser client: one Socket.IO connection authenticated by a user JWT, native
 * popups for new notifications (each id at most once), and lifecycle reports back to Herald.
 */
export class HeraldClient extends Emitter<HeraldEvents> {
  state: State = 'disconnected';
  private _socket: HeraldSocket;
  private _options: HeraldOptions;
  private _seen: SeenIds;
  private _handled = new Set<string>();
  private _N: typeof Notification | null;

  constructor(options: HeraldOptions) {
    super();
    if (!options || (typeof options.token !== 'string' && typeof options.token !== 'function')) {
      throw new TypeError('Herald.init needs { token }: a user JWT or a function returning one.');
    }
    this._options = options;
    const url = options.url ?? defaultUrl();
    if (!url) throw new TypeError('Herald.init needs { url }: the address of your Herald server.');
    this._N = options.Notification !== undefined ? options.Notification : (globalThis.Notification ?? null);
    const storage = options.storage !== undefined ? options.storage : safeLocalStorage();
    this._seen = new SeenIds(storage, `herald:seen:${url}`);

    const socketOptions: Partial<ManagerOptions & SocketOptions> = {
      transports: options.transports ?? ['websocket', 'polling'],
      // Called on every (re)connection attempt: a token function yields a fresh token each time.
      auth: (cb) => {
        this._token()
          .then((token) => cb({ token, ...(options.appId ? { appId: options.appId } : {}) }))
          .catch((error: Error) => {
            this._emit('error', Object.assign(error, { code: 'HERALD_ERR_TOKEN_SOURCE' }));
            cb({ token: '' });
          });
      },
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30_000,
      randomizationFactor: 0.5,
    };
    this._socket = (options.io ?? defaultIo)(url, socketOptions) as HeraldSocket;
    this._wire();
    this._setState({ state: 'connecting' });
  }

  /** Current permission for native popups: `default`, `granted`, `denied` or `unsupported`. */
  get permission(): NotificationPermission | 'unsupported' {
    return this._N ? this._N.permission : 'unsupported';
  }

  /** Asks the browser for permission to show popups. Call it from a user gesture (a click). */
  async requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (!this._N) return 'unsupported';
    return this._N.requestPermission();
  }

  /** Reports that the user read a notification (in-page UI, say). */
  markRead(id: string): void {
    this._socket.emit(ClientEvent.Read, { id });
  }

  disconnect(): void {
    this._socket.disconnect();
  }

  connect(): void {
    if (!this._socket.connected) this._socket.connect();
  }

  private async _token(): Promise<string> {
    const { token } = this._options;
    return typeof token === 'function' ? await token() : token;
  }

  private _setState(context: StateContext): void {
    this.state = context.state;
    this._emit('state', context);
  }

  private _wire(): void {
    const socket = this._socket;
    socket.on('connect', () => this._setState({ state: 'connected' }));
    socket.on('disconnect', (reason) => {
      const serverClosed = reason === 'io server disconnect';
      this._setState({
        state: 'disconnected',
        code:
          reason === 'io client disconnect'
            ? DisconnectCode.Manual
            : serverClosed
              ? DisconnectCode.ServerClosed
              : DisconnectCode.TransportClosed,
        reason,
      });
      // The server closes sockets whose token expired; with a token function, come back with a fresh one.
      if (serverClosed && typeof this._options.token === 'function') setTimeout(() => this.connect(), 500);
      else if (reason !== 'io client disconnect') this._setState({ state: 'connecting' });
    });
    socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      const code = error.data?.code;
      this._emit('error', Object.assign(error, { code: code ?? 'HERALD_ERR_CONNECT' }));
      if (socket.active) {
        // Transport-level failure: socket.io-client retries with backoff.
        this._setState({ state: 'connecting', code: DisconnectCode.TransportClosed, reason: error.message });
        return;
      }
      this._setState({ state: 'disconnected', code: DisconnectCode.Unauthorized, reason: error.message });
      // Refused by the server. Retry only when a token function can produce a different token.
      const refreshable = typeof this._options.token === 'function';
      const retryable = code === HandshakeErrorCode.TokenExpired || code === HandshakeErrorCode.Unavailable;
      if (refreshable && retryable) setTimeout(() => this.connect(), 2000 + Math.random() * 3000);
    });
    socket.on(ServerEvent.Notification, (payload, ack) => {
      ack?.({ ok: true });
      this._receive(payload);
    });
  }

  private _receive(payload: NotificationPayload): void {
    if (!payload || typeof payload.id !== 'string') return;
    // A replay after a reconnect can repeat a notification: each id is handled once per page...
    if (this._handled.has(payload.id)) return;
    this._handled.add(payload.id);
    if (this._handled.size > 1000) this._handled.delete(this._handled.values().next().value as string);
    // ...and pops up at most once per browser (the record is shared by tabs and survives reloads).
    const popup = this._seen.add(payload.id) && this._popup(payload);
    this._emit('notification', payload, { popup });
  }

  private _popup(payload: NotificationPayload): boolean {
    const N = this._N;
    if (this._options.popups === false || !N || N.permission !== 'granted') return false;
    let popup: Notification;
    try {
      popup = new N(payload.title, {
        body: payload.body ?? undefined,
        icon: payload.icon ?? undefined,
        // The tag makes the OS replace rather than stack a second popup for the same notification.
        tag: payload.tag ?? payload.id,
        data: { id: payload.id, url: payload.url },
      });
    } catch {
      // Some browsers (Android Chrome) only allow popups from a service worker.
      return false;
    }
    popup.onshow = () => this._socket.emit(ClientEvent.Displayed, { id: payload.id });
    popup.onclick = (event) => {
      event.preventDefault?.();
      this._socket.emit(ClientEvent.Clicked, { id: payload.id });
      this._emit('click', payload);
      globalThis.focus?.();
      if (payload.url) openUrl(payload.url);
      popup.close();
    };
    return true;
  }
}

function openUrl(url: string): void {
  const target = new URL(url, location.href);
  if (target.origin === location.origin) location.assign(target.href);
  else globalThis.open?.(target.href, '_blank', 'noopener');
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
