import {
  ClientEvent,
  HandshakeErrorCode,
  type NotificationPayload,
  own,
  type StreamCursors,
  type SyncedEvent,
  type SyncReply,
} from '@herald/protocol';
import type { ConnectionHooks } from './connection.js';
import type { Popups } from './popups.js';
import { peekClaims, type SafeStore } from './storage.js';
import type { Emit, Request } from './types.js';

/** How long after live notifications the client confirms them with a sync (advancing its cursor). */
const CONFIRM_AFTER_MS = 3000;
/**
 * The server sends what this device missed right after connecting, then `synced`. Without a word
 * for this long (an older server), the client asks with `sync` instead.
 */
const CATCH_UP_WAIT_MS = 10_000;
/** How many ids the page remembers to hand each notification over once. */
const REMEMBERED_IDS = 2000;

/**
 * The last sequence number this browser has confirmed, kept per server, app and user (read from the token).
 * (Here, in connection.ts and in token.ts, fields are assigned in the constructor rather than declared as
 * parameter properties: esbuild leaves an unmangled copy of a parameter property's name in sdk.js.)
 */
export class Cursor {
  value: number | null = null;
  /** Where this browser stands in each stream of topic sends and broadcasts (`stream` of a notification). */
  streams: StreamCursors = {};
  private _key = '';
  private readonly _store: SafeStore;
  /** `herald:cursor:<server url>` */
  private readonly _prefix: string;
  private readonly _appId: string | undefined;

  constructor(store: SafeStore, prefix: string, appId: string | undefined) {
    this._store = store;
    this._prefix = prefix;
    this._appId = appId;
  }

  /** Switches to the token's user and app: their stored cursor, if any. */
  use(token: string): void {
    const { sub, aud } = peekClaims(token);
    const key = `${this._prefix}:${aud ?? this._appId ?? ''}:${sub ?? ''}`;
    if (key === this._key) return;
    this._key = key;
    const stored = this._store.get(key);
    this.value = stored !== null && Number.isInteger(Number(stored)) ? Number(stored) : null;
    try {
      const streams = JSON.parse(this._store.get(`${key}:streams`) ?? '{}') as StreamCursors;
      this.streams = streams && typeof streams === 'object' ? streams : {};
    } catch {
      this.streams = {};
    }
  }

  /** Moves forward only, and is stored; a stream notification moves its stream's cursor too. */
  save(seq: number, stream?: NotificationPayload['stream']): void {
    if (stream && !((own(this.streams, stream.name) ?? -1) >= stream.seq)) {
      this.streams[stream.name] = stream.seq;
      this._saveStreams();
    }
    if (this.value !== null && seq <= this.value) return;
    this.value = seq;
    if (this._key) this._store.set(this._key, String(seq));
  }

  /**
   * Keeps the server's heads (its personal sequence, and each stream's): a head behind the cursor
   * means the server's sequence restarted. The streams the server did not name are no longer the
   * user's.
   */
  head(head: number, streams?: StreamCursors): void {
    if (this.value !== null && head < this.value) this.value = null;
    this.save(head);
    if (streams && typeof streams === 'object') {
      this.streams = { ...streams };
      this._saveStreams();
    }
  }

  private _saveStreams(): void {
    if (this._key) this._store.set(`${this._key}:streams`, JSON.stringify(this.streams));
  }
}

/**
 * The order in which notifications reach the page: on every (re)connect the server sends what
 * came after the cursor (replays), then `synced`; live ones that arrive meanwhile wait for it, so
 * the page sees everything in sequence order, each id once. Live ones are confirmed a little later
 * with a `sync` (which also fills any gap), and a periodic `sync` fetches what a hiccup kept back.
 */
export class CatchUp implements ConnectionHooks {
  private _handled = new Set<string>();
  private _syncing = false;
  private _held: NotificationPayload[] = [];
  private _chain: Promise<void> = Promise.resolve();
  /** Catch-up on connect is running: replays are collected, live ones held until `synced`. */
  private _catching = false;
  private _replayed: NotificationPayload[] = [];
  private _catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  private _confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private _intervalTimer: ReturnType<typeof setInterval> | undefined;
  private readonly _cursor: Cursor;
  /** This tab's popups: which notifications get one. */
  private readonly _pops: Popups;
  private readonly _request: Request;
  private readonly _isConnected: () => boolean;
  /** Reports `notification`, `synced` and `error`. */
  private readonly _emit: Emit;
  /** The periodic sync while connected; 0 for none. */
  private readonly _everyMs: number;

  constructor(cursor: Cursor, pops: Popups, request: Request, connected: () => boolean, emit: Emit, everyMs: number) {
    this._cursor = cursor;
    this._pops = pops;
    this._request = request;
    this._isConnected = connected;
    this._emit = emit;
    this._everyMs = everyMs;
  }

  get cursor(): number | null {
    return this._cursor.value;
  }

  /** The handshake's `since` and `streams` for this token's user: the server first sends what came after them. */
  handshake(token: string): { since: number | null; streams: StreamCursors } {
    this._cursor.use(token);
    return { since: this._cursor.value, streams: this._cursor.streams };
  }

  /** A refused handshake: a cursor the server does not take is dropped (the retry starts from none). */
  refused(code: string): void {
    if (code === HandshakeErrorCode.CursorInvalid) {
      this._cursor.value = null;
      this._cursor.streams = {};
    }
  }

  /** Connected: catch-up begins, and the periodic sync. */
  connected(): void {
    this._catching = true;
    this._replayed = [];
    this._armCatchUpTimer();
    clearInterval(this._intervalTimer);
    if (this._everyMs > 0) {
      this._intervalTimer = setInterval(() => {
        if (this._isConnected()) void this._sync();
      }, this._everyMs);
    }
  }

  /** The socket closed: what arrived of an interrupted catch-up still reaches the page. */
  disconnected(): void {
    clearInterval(this._intervalTimer);
    this._syncing = false;
    if (this._catching) this._endCatchUp(null);
  }

  /** The page disconnected: no timer is left running. */
  stop(): void {
    clearTimeout(this._confirmTimer);
    clearTimeout(this._catchUpTimer);
    clearInterval(this._intervalTimer);
  }

  /** A `notification` event from the server: a replay of catch-up, or a live one. */
  receive(payload: NotificationPayload): void {
    if (!payload || typeof payload.id !== 'string') return;
    if (payload.replay) {
      // Catch-up on connect: shown together once `synced` says it is over.
      this._armCatchUpTimer();
      if (this._accept(payload)) this._replayed.push(payload);
      this._cursor.save(payload.seq, payload.stream);
      return;
    }
    // During catch-up, live ones wait so the page sees everything in sequence order.
    if (this._syncing || this._catching) this._held.push(payload);
    else {
      this._enqueue(() => this._receive(payload));
      this._scheduleConfirm();
    }
  }

  /** The server's `synced`: catch-up on connect is over. */
  synced(event: SyncedEvent): void {
    if (this._catching) this._endCatchUp(typeof event?.head === 'number' ? event.head : null, event?.streams);
  }

  /** (Re)starts the wait for the server's catch-up; an older server that sends none is asked with `sync`. */
  private _armCatchUpTimer(): void {
    clearTimeout(this._catchUpTimer);
    this._catchUpTimer = setTimeout(() => {
      if (!this._catching || !this._isConnected()) return;
      this._endCatchUp(null);
      void this._sync();
    }, CATCH_UP_WAIT_MS);
  }

  /** Catch-up on connect is over: the replays reach the page (a few popups or one summary), then held live ones. */
  private _endCatchUp(head: number | null, streams?: StreamCursors): void {
    clearTimeout(this._catchUpTimer);
    this._catching = false;
    if (head !== null) this._cursor.head(head, streams);
    const replayed = this._replayed;
    this._replayed = [];
    this._release(replayed);
  }

  /** Hands replayed notifications, then held live ones, to the page in order. */
  private _release(replayed: NotificationPayload[]): void {
    const held = this._held.sort((a, b) => a.seq - b.seq);
    this._held = [];
    this._enqueue(async () => {
      const shown = await this._pops.catchUp(replayed);
      // The server marks what was accepted before this connection (catch-up, and a sync's answer).
      for (const n of replayed) this._emit('notification', n, { popup: shown.has(n.id), replay: !!n.replay });
      for (const n of held) await this._receive(n);
      this._emit('synced', { count: replayed.length, cursor: this._cursor.value });
    });
    if (held.length) this._scheduleConfirm();
  }

  /**
   * "I have everything up to my cursor; what came after it?", page by page in sequence order,
   * until an empty page. Each request also confirms the previous page to the server.
   */
  private async _sync(): Promise<void> {
    if (this._syncing || this._catching) return;
    this._syncing = true;
    clearTimeout(this._confirmTimer);
    const replayed: NotificationPayload[] = [];
    try {
      for (;;) {
        const reply = await this._request<SyncReply>(ClientEvent.Sync, {
          since: this._cursor.value,
          streams: this._cursor.streams,
          limit: 100,
        });
        if (reply.notifications.length === 0) {
          this._cursor.head(reply.head, reply.streams);
          break;
        }
        for (const n of reply.notifications) {
          if (this._accept(n)) replayed.push(n);
          this._cursor.save(n.seq, n.stream);
        }
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'HERALD_ERR_SYNC';
      this._emit('error', Object.assign(error as Error, { code }));
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
      if (this._isConnected()) void this._sync();
    }, CONFIRM_AFTER_MS);
  }

  /** First sight of an id in this page? (Replays and live copies of one notification meet here.) */
  private _accept(payload: NotificationPayload): boolean {
    if (this._handled.has(payload.id)) return false;
    this._handled.add(payload.id);
    if (this._handled.size > REMEMBERED_IDS) this._handled.delete(this._handled.values().next().value as string);
    return true;
  }

  private async _receive(payload: NotificationPayload): Promise<void> {
    if (!this._accept(payload)) return;
    const popup = this._pops.wants(payload) && (await this._pops.claim(payload.id)) && this._pops.show(payload);
    this._emit('notification', payload, { popup, replay: false });
  }
}
