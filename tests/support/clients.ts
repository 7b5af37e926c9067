import type { NotificationPayload } from '@herald/protocol';
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

/** sent / delivered / duplicates / lost for a set of users, each expected to get `expected` ids. */
export function tally(users: TestUser[], expected: (u: TestUser) => string[]) {
  let sent = 0;
  let delivered = 0;
  let duplicates = 0;
  let lost = 0;
  for (const u of users) {
    const want = expected(u);
    const got = u.received.map((n) => n.id);
    sent += want.length;
    const unique = new Set(got);
    duplicates += got.length - unique.size;
    delivered += want.filter((id) => unique.has(id)).length;
    lost += want.filter((id) => !unique.has(id)).length;
  }
  return { sent, delivered, duplicates, lost };
}
