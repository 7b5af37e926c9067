import type { Category, InboxReadEvent, NotificationPayload, Preferences, PreferencesPatch } from '@herald/protocol';
import type { io } from 'socket.io-client';
import type { StateContext } from './codes.js';
import type { ServiceWorkerOptions } from './push/web-push.js';

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
  /**
   * Web Push: the service worker file on the site's origin (default `/herald-sw.js`, a file that
   * does `importScripts('https://<herald>/herald-sw.js')`) and its scope.
   */
  serviceWorker?: ServiceWorkerOptions;
  /** Transports to try, in order. Default: WebSocket, falling back to long-polling. */
  transports?: Array<'websocket' | 'polling'>;
  /** Platform objects, defaulting to the browser's (tests pass their own). */
  Notification?: typeof Notification | null;
  storage?: Storage | null;
  locks?: LockManager | null;
  window?: Pick<Window, 'addEventListener' | 'removeEventListener'> | null;
  io?: typeof io;
}

export interface NotificationContext {
  /** True when this tab raised a native popup for it. */
  popup: boolean;
  /**
   * True when it was missed while away: catch-up or a sync sent it, and it was accepted before this
   * connection (the server says so). It may still pop up (fresh and unread).
   */
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

/** The client's event emitter, handed to the parts it is made of (they report through it). */
export type Emit = <K extends keyof HeraldEvents>(event: K, ...args: Parameters<HeraldEvents[K]>) => void;

/** A request to the server over the socket, answered with `{ ok: true, … }` or a coded refusal. */
export type Request = <T>(event: string, payload: unknown) => Promise<T>;

/** What `preferences.get()` and `preferences.set()` resolve with. */
export interface PreferencesState {
  /** This user's choices: a mode per category and per topic, and quiet hours. */
  preferences: Preferences;
  /** The app's categories, in key order. */
  categories: Category[];
}

/** `client.preferences` (and `Herald.preferences` on the script tag). */
export interface HeraldPreferences {
  get(): Promise<PreferencesState>;
  /** Changes the keys the patch names (`null` forgets a choice: the default applies again). */
  set(patch: PreferencesPatch): Promise<PreferencesState>;
}
