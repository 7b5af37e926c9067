import {
  ClientEvent,
  type InboxListRequest,
  type InboxPage,
  type PreferencesPatch,
  type PreferencesReply,
  ServerEvent,
  type TopicReply,
  type TopicsReply,
} from '@herald/protocol';
import { CatchUp, Cursor } from './catchup.js';
import type { State, StateContext } from './codes.js';
import { Connection, type HeraldSocket } from './connection.js';
import { Emitter } from './emitter.js';
import { Popups } from './popups.js';
import { SeenIds } from './seen.js';
import { SafeStore } from './storage.js';
import type { Emit, HeraldEvents, HeraldOptions, HeraldPreferences, PreferencesState } from './types.js';

export type {
  HeraldEvents,
  HeraldOptions,
  HeraldPreferences,
  NotificationContext,
  PreferencesState,
  TokenSource,
} from './types.js';

/**
 * The Herald browser client: one Socket.IO connection authenticated by a user JWT (connection.ts);
 * catch-up from a per-user cursor on every (re)connect, then live notifications, each id handled
 * once (catchup.ts); native popups for fresh ones only (popups.ts); the inbox; lifecycle reports
 * back to Herald. This class composes them and answers the page.
 */
export class HeraldClient extends Emitter<HeraldEvents> {
  private _N: typeof Notification | null;
  private _conn: Connection;
  private _catchUp: CatchUp;
  /** This tab's popups: which to show, the claim across tabs, and their lifecycle reports. */
  private _pops: Popups;
  /** Herald's base URL. */
  readonly url: string;
  /**
   * Set by Web Push (push.js, `webPush`) in a browser with a push subscription: records each popup
   * where the service worker looks, and says false when the worker already showed it.
   * @internal
   */
  popupGate: ((id: string) => Promise<boolean>) | undefined;

  constructor(options: HeraldOptions) {
    super();
    if (!options || (typeof options.token !== 'string' && typeof options.token !== 'function')) {
      throw new TypeError('Herald.init needs { token }: a user JWT or a function returning one.');
    }
    const url = options.url ?? defaultUrl();
    if (!url) throw new TypeError('Herald.init needs { url }: the address of your Herald server.');
    this.url = url;
    const N = options.Notification !== undefined ? options.Notification : (globalThis.Notification ?? null);
    this._N = N;
    const store = new SafeStore(options.storage !== undefined ? options.storage : safeLocalStorage());
    const emit: Emit = (event, ...args) => this._emit(event, ...args);
    this._pops = new Popups(
      N,
      new SeenIds(store, `herald:seen:${url}`),
      options.locks !== undefined ? options.locks : (globalThis.navigator?.locks ?? null),
      options,
      (event, id) => this._conn.socket.emit(event, { id }),
      (n) => this._emit('click', n),
      (id) => this.popupGate?.(id) ?? true,
    );
    const catchUp = new CatchUp(
      new Cursor(store, `herald:cursor:${url}`, options.appId),
      this._pops,
      (event, payload) => this._conn.request(event, payload),
      () => this._conn.socket.connected,
      emit,
      options.syncIntervalMs ?? 60_000,
    );
    this._catchUp = catchUp;
    this._conn = new Connection(url, options, emit, catchUp);
    const socket = this._conn.socket;
    socket.on(ServerEvent.Notification, (payload, ack) => {
      if (typeof ack === 'function') ack({ ok: true });
      catchUp.receive(payload);
    });
    socket.on(ServerEvent.Synced, (event) => catchUp.synced(event));
    socket.on(ServerEvent.InboxRead, (event) => {
      this._pops.close(event.ids);
      this._emit('read', event);
      this._emit('unread', event.unread);
    });
  }

  /** `disconnected`, `connecting` or `connected`. */
  get state(): State {
    return this._conn.state;
  }

  /** The current state with its code and reason. */
  get stateContext(): StateContext {
    return this._conn.stateContext;
  }

  /** The Socket.IO socket, for events the client does not wrap. */
  get socket(): HeraldSocket {
    return this._conn.socket;
  }

  /** The transport in use: `websocket` or `polling` (undefined while disconnected). */
  get transport(): string | undefined {
    return this._conn.transport;
  }

  /** Current permission for native popups: `default`, `granted`, `denied` or `unsupported`. */
  get permission(): NotificationPermission | 'unsupported' {
    return this._N ? this._N.permission : 'unsupported';
  }

  /** The last sequence number this browser has confirmed (null before the first sync). */
  get cursor(): number | null {
    return this._catchUp.cursor;
  }

  /** Asks the browser for permission to show popups. Call it from a user gesture (a click). */
  async requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (!this._N) return 'unsupported';
    return this._N.requestPermission();
  }

  /** The inbox, newest first. Pass the previous page's `nextCursor` for older entries. */
  async list(request: InboxListRequest = {}): Promise<InboxPage> {
    const page = await this._conn.request<InboxPage>(ClientEvent.InboxList, request);
    this._emit('unread', page.unread);
    return page;
  }

  async unreadCount(): Promise<number> {
    return (await this._conn.request<{ ok: true; unread: number }>(ClientEvent.InboxUnread, {})).unread;
  }

  /** Marks notifications read everywhere: their popups close and badges update on every device. */
  async markRead(ids: string | string[]): Promise<number> {
    const list = Array.isArray(ids) ? ids : [ids];
    const { unread } = await this._conn.request<{ ok: true; unread: number }>(ClientEvent.Read, { ids: list });
    this._pops.close(list);
    this._emit('unread', unread);
    return unread;
  }

  async markAllRead(): Promise<number> {
    const { unread } = await this._conn.request<{ ok: true; unread: number }>(ClientEvent.ReadAll, {});
    this._pops.close('all');
    this._emit('unread', unread);
    return unread;
  }

  /**
   * Puts this user in a topic: one the app made public, or one the token's `topics` claim grants
   * (else it rejects with code `HERALD_ERR_TOPIC_FORBIDDEN`). Subscribing twice is not an error.
   */
  async subscribe(topic: string): Promise<void> {
    await this._conn.request<TopicReply>(ClientEvent.Subscribe, { topic });
  }

  /** Takes this user out of a topic (the same rule as `subscribe`). */
  async unsubscribe(topic: string): Promise<void> {
    await this._conn.request<TopicReply>(ClientEvent.Unsubscribe, { topic });
  }

  /** The topics this user is in, whoever subscribed them: every page of them, in name order. */
  async topics(): Promise<string[]> {
    const all: string[] = [];
    let after: string | null | undefined;
    do {
      const page = await this._conn.request<TopicsReply>(ClientEvent.Topics, after ? { after } : {});
      all.push(...page.topics);
      after = page.nextCursor;
    } while (after);
    return all;
  }

  /**
   * This user's preferences and the app's categories: `get()`, and `set(patch)`, which changes
   * only the keys the patch names (`null` forgets a choice). Both resolve with everything as it is
   * now; a refusal rejects with its `code` (e.g. `HERALD_ERR_CATEGORY_REQUIRED`).
   */
  readonly preferences: HeraldPreferences = {
    get: () => this._preferences(ClientEvent.PreferencesGet, {}),
    set: (patch) => this._preferences(ClientEvent.PreferencesSet, patch),
  };

  private async _preferences(event: string, payload: PreferencesPatch): Promise<PreferencesState> {
    const { preferences, categories } = await this._conn.request<PreferencesReply>(event, payload);
    return { preferences, categories };
  }

  /** Connects again after `disconnect()` or a refusal the client stopped at. */
  connect(): void {
    this._conn.connect();
  }

  /** Closes the connection for good (until `connect()`). */
  disconnect(): void {
    this._catchUp.stop();
    this._conn.disconnect();
  }
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
