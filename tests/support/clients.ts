import type { NotificationPayload, StreamCursors, SyncedEvent } from '@herald/protocol';
import { HeraldClient, type HeraldOptions } from '@herald/sdk';
import { io } from 'socket.io-client';
import { api } from './herald.js';

/** Counts the popups the SDK raises (it sees permission as granted). */
export function countingNotification() {
  const shown: string[] = [];
  class CountingNotification {
    static permission = 'granted';
    static requestPermission = async () => 'granted';
    onshow: (() => void) | null = null;
    onclick: (() => void) | null = null;
    onclose: (() => void) | null = null;
    constructor(title: string) {
      shown.push(title);
    }
    close() {}
  }
  return { N: CountingNotification as unknown as typeof Notification, shown };
}

export interface TestUser {
  userId: string;
  client: HeraldClient;
  /** Every notification the SDK handed to the page, in order. */
  received: NotificationPayload[];
  /** Titles of popups raised. */
  popups: string[];
  /** Raw `notification` packets that reached the socket (before the SDK's dedupe). */
  raw: string[];
  synced: number;
  connected(): Promise<void>;
  close(): void;
}

/**
 * A user running the real SDK (the ESM build) in Node: socket.io-client, a token function asking
 * the integrator's backend (here: POST /v1/tokens), reconnection on.
 */
export function sdkUser(
  base: () => string,
  apiKey: string,
  userId: string,
  options: Partial<HeraldOptions> & { wrapSocket?: (socket: ReturnType<typeof io>) => void } = {},
): TestUser {
  const { N, shown } = countingNotification();
  const received: NotificationPayload[] = [];
  const raw: string[] = [];
  const { wrapSocket, ...sdkOptions } = options;
  const state = { synced: 0 };
  const client = new HeraldClient({
    url: base(),
    token: async () =>
      (await api<{ token: string }>(base(), '/v1/tokens', { key: apiKey, body: { userId } })).body.token,
    Notification: N,
    storage: null,
    transports: ['websocket'],
    io: ((url: string, opts: object) => {
      const socket = io(url, { ...opts, reconnectionDelay: 300, reconnectionDelayMax: 1500 });
      socket.on('notification', (n: NotificationPayload) => raw.push(n.id));
      wrapSocket?.(socket);
      return socket;
    }) as never,
    ...sdkOptions,
  });
  client.on('notification', (n) => received.push(n));
  client.on('synced', () => {
    state.synced++;
  });
  return {
    userId,
    client,
    received,
    popups: shown,
    raw,
    get synced() {
      return state.synced;
    },
    connected: () =>
      new Promise<void>((resolve) => {
        if (client.state === 'connected' && state.synced > 0) return resolve();
        const off = client.on('synced', () => {
          off();
          resolve();
        });
      }),
    close: () => client.disconnect(),
  };
}

/**
 * sent / delivered / duplicates / lost for a set of users, each expected to get `expected` ids, and
 * `unexpected`: ids a user got that were not for them.
 */
export function tally(users: TestUser[], expected: (u: TestUser) => string[]) {
  let sent = 0;
  let delivered = 0;
  let duplicates = 0;
  let lost = 0;
  let unexpected = 0;
  for (const u of users) {
    const want = expected(u);
    const got = u.received.map((n) => n.id);
    sent += want.length;
    const unique = new Set(got);
    duplicates += got.length - unique.size;
    delivered += want.filter((id) => unique.has(id)).length;
    lost += want.filter((id) => !unique.has(id)).length;
    const wanted = new Set(want);
    unexpected += [...unique].filter((id) => !wanted.has(id)).length;
  }
  return { sent, delivered, duplicates, lost, unexpected };
}

/** A notification as a protocol device received it. */
export interface Arrival {
  id: string;
  /** The device's connection it came on: 0 for the first, 1 after the first reconnect… */
  connection: number;
  replay: boolean;
  /**
   * Sent by its connection's catch-up: it came before that connection's `synced` (the server
   * holds live ones until then), replayed or not (one accepted after the handshake is not).
   */
  catchUp: boolean;
  seq: number;
  stream?: { name: string; seq: number };
}

/** The cursors a connection presented in its handshake. */
export interface Presented {
  since: number | null;
  streams: StreamCursors;
}

export interface ProtocolDevice {
  userId: string;
  /** Every `notification` packet, in the order it arrived (copies included). */
  arrivals: Arrival[];
  /** What each connection presented: `handshakes[arrival.connection]`. */
  handshakes: Presented[];
  /** Where the device stands now: its personal cursor and its stream cursors. */
  cursor(): Presented;
  /** Resolves once the current connection has sent `synced` (catch-up is over). */
  synced(): Promise<void>;
  /** Drops the connection as a network blip would (the transport closes); the device reconnects by itself. */
  drop(): void;
  close(): void;
}

/**
 * Which notifications move a protocol device's cursors:
 * - `catch-up` (as Herald's SDK does, packages/sdk/src/catchup.ts): those its catch-up replays, and
 *   `synced`; live ones do not (the SDK confirms those later with a `sync`, which this device
 *   does not send), so a reconnect may bring copies of what came live, dropped by id;
 * - `every` (the README's rule 4 read to the letter): live ones too, each stream's largest
 *   `stream.seq`.
 */
export type CursorRule = 'catch-up' | 'every';

/**
 * A device of `userId` following the README's "Protocol for your own clients" with socket.io-client
 * alone (no SDK): it presents `since` and `streams` in every handshake, acks every notification,
 * keeps the largest `seq` and `stream.seq` of what `rule` says, takes `head` and `streams` from
 * `synced`, and reconnects by itself. It records every packet, copies included: `streamTally`
 * judges them.
 */
export async function protocolDevice(
  base: string,
  apiKey: string,
  userId: string,
  rule: CursorRule = 'catch-up',
): Promise<ProtocolDevice> {
  const { body } = await api<{ token: string }>(base, '/v1/tokens', { key: apiKey, body: { userId } });
  const arrivals: Arrival[] = [];
  const handshakes: Presented[] = [];
  let since: number | null = null;
  let streams: StreamCursors = {};
  let presented: Presented = { since, streams };
  let connection = -1;
  let syncedOn = -1;
  const waiting: Array<() => void> = [];
  const socket = io(base, {
    transports: ['websocket'],
    reconnectionDelay: 300,
    reconnectionDelayMax: 1500,
    auth: (send) => {
      presented = { since, streams: { ...streams } };
      send({ token: body.token, ...presented });
    },
  });
  socket.on('connect', () => {
    connection++;
    handshakes.push(presented);
  });
  socket.on('notification', (n: NotificationPayload, ack?: (reply: { ok: true }) => void) => {
    ack?.({ ok: true });
    arrivals.push({
      id: n.id,
      connection,
      replay: n.replay === true,
      catchUp: syncedOn !== connection,
      seq: n.seq,
      stream: n.stream,
    });
    if (rule === 'catch-up' && !n.replay) return;
    since = Math.max(since ?? 0, n.seq);
    if (n.stream) streams[n.stream.name] = Math.max(streams[n.stream.name] ?? 0, n.stream.seq);
  });
  socket.on('synced', (event: SyncedEvent) => {
    since = Math.max(since ?? 0, event.head);
    streams = { ...event.streams };
    syncedOn = connection;
    for (const resolve of waiting.splice(0)) resolve();
  });
  return {
    userId,
    arrivals,
    handshakes,
    cursor: () => ({ since, streams: { ...streams } }),
    synced: () =>
      new Promise<void>((resolve) => {
        if (socket.connected && syncedOn === connection) resolve();
        else waiting.push(resolve);
      }),
    drop: () => socket.io.engine.close(),
    close: () => socket.disconnect(),
  };
}

/**
 * What protocol devices received against what each should have (`expected`): `lost` (an expected
 * id that never came), `unexpected` (an id that is not theirs), `pastCursor` (a catch-up send at
 * or below the cursor its connection presented: the server sent again what the device said it
 * had), `seamCopies` (an id twice on one connection, one of them sent by its catch-up: catch-up and
 * live overlapping), `copies` (any arrival of an id the device already had, which it drops by id), and
 * `outOfOrder` (a first arrival below a stream's highest `stream.seq` the device had already seen).
 */
export function streamTally(devices: ProtocolDevice[], expected: (d: ProtocolDevice) => string[]) {
  const numbers = { devices: devices.length, sent: 0, delivered: 0, lost: 0, unexpected: 0, pastCursor: 0 };
  const copies = { copies: 0, seamCopies: 0, replayed: 0, outOfOrder: 0 };
  const problems: string[] = [];
  for (const d of devices) {
    const want = new Set(expected(d));
    const seen = new Map<string, Arrival[]>();
    const highest = new Map<string, number>();
    for (const a of d.arrivals) {
      if (a.stream) {
        const top = highest.get(a.stream.name) ?? 0;
        if (a.stream.seq < top && !seen.has(a.id)) copies.outOfOrder++;
        highest.set(a.stream.name, Math.max(top, a.stream.seq));
      }
      const earlier = seen.get(a.id) ?? [];
      if (earlier.length > 0) {
        copies.copies++;
        const onThis = earlier.filter((e) => e.connection === a.connection);
        if (onThis.length > 0 && (a.catchUp || onThis.some((e) => e.catchUp))) {
          copies.seamCopies++;
          problems.push(`${d.userId}: ${a.id} twice on connection ${a.connection}`);
        }
      }
      seen.set(a.id, [...earlier, a]);
      if (a.replay) copies.replayed++;
      const at = d.handshakes[a.connection];
      const past = a.stream
        ? a.stream.seq <= (at?.streams[a.stream.name] ?? 0)
        : at?.since !== null && at?.since !== undefined && a.seq <= at.since;
      if (a.catchUp && past) {
        numbers.pastCursor++;
        problems.push(`${d.userId}: ${a.id} replayed on connection ${a.connection} at or below its cursor`);
      }
    }
    numbers.sent += want.size;
    for (const id of want) {
      if (seen.has(id)) numbers.delivered++;
      else {
        numbers.lost++;
        problems.push(`${d.userId}: ${id} never came`);
      }
    }
    for (const id of seen.keys()) {
      if (!want.has(id)) {
        numbers.unexpected++;
        problems.push(`${d.userId}: ${id} is not theirs`);
      }
    }
  }
  return { ...numbers, ...copies, problems: problems.slice(0, 20) };
}
