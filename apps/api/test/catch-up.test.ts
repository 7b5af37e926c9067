/**
 * Catch-up on connect, as any Socket.IO client gets it by following the contract (a plain
 * socket.io-client here, not Herald's SDK, and no `sync` event): what it missed, oldest first and
 * marked `replay`, then `synced`, then live notifications, with no gap and no copy at the seam.
 */
import type { NotificationPayload, SyncedEvent } from '@herald/protocol';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, eventually, startStack, type TestDatabase, type TestStack } from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  stack = await startStack(testDb);
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${stack.apiKey}` });
async function send(userId: string, title: string): Promise<string> {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/v1/notifications',
    headers: auth(),
    payload: { to: { userId }, title },
  });
  expect(res.statusCode, res.body).toBe(202);
  return (res.json() as { id: string }).id;
}
/** Out: their jobs ran (a send to users is `dispatched` from its accept, so its status cannot say). */
const dispatched = async (ids: string[]) => {
  await eventually(async () => {
    const n = await stack.db.prisma.notification.count({ where: { id: { in: ids }, status: 'dispatched' } });
    return n === ids.length || undefined;
  });
  await stack.jobsDone();
};

interface Received {
  events: Array<{ kind: 'notification'; n: NotificationPayload } | { kind: 'synced'; e: SyncedEvent }>;
  socket: Socket;
}

/** A plain Socket.IO client: records everything, acks each notification after `ackDelayMs`. */
async function plainClient(userId: string, options: { since?: number | null; ackDelayMs?: number } = {}) {
  const received: Received = { events: [], socket: undefined as unknown as Socket };
  const socket = connectClient(stack.baseUrl, {
    auth: { token: await stack.token(userId), ...(options.since !== undefined ? { since: options.since } : {}) },
    transports: ['websocket'],
    reconnection: false,
  });
  received.socket = socket;
  socket.on('notification', (n: NotificationPayload, ack: (r: unknown) => void) => {
    received.events.push({ kind: 'notification', n });
    setTimeout(() => ack({ ok: true }), options.ackDelayMs ?? 0);
  });
  socket.on('synced', (e: SyncedEvent) => received.events.push({ kind: 'synced', e }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return received;
}

const notifications = (r: Received) =>
  r.events.flatMap((e) => (e.kind === 'notification' ? [e.n] : [])) as NotificationPayload[];

describe('catch-up on connect for any Socket.IO client', () => {
  it('sends every undelivered notification oldest first, then synced, then live ones: no gap, no copy at the seam', async () => {
    const user = 'cu-plain';
    const offline: string[] = [];
    // More than one catch-up page (100), so the seam is crossed while pages wait for acks.
    for (let i = 0; i < 130; i++) offline.push(await send(user, `offline ${i}`));
    await dispatched(offline);

    // Slow acks keep the catch-up busy while live notifications arrive (held back, and skipped
    // when a later page sends them as part of the catch-up); more come after it.
    const client = await plainClient(user, { ackDelayMs: 150 });
    const live: string[] = [];
    for (let i = 0; i < 5; i++) live.push(await send(user, `live ${i}`));
    await eventually(async () => client.events.some((e) => e.kind === 'synced') || undefined);
    for (let i = 5; i < 10; i++) live.push(await send(user, `live ${i}`));

    await eventually(async () => notifications(client).length >= 140 || undefined, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // anything more would be a copy
    const got = notifications(client);
    const ids = got.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set([...offline, ...live]));

    // Oldest first before `synced`, then only live ones. What was sent while the client was away
    // is marked a replay; what a later page sends of those accepted after it connected is not.
    const syncedAt = client.events.findIndex((e) => e.kind === 'synced');
    expect(syncedAt).toBeGreaterThan(0);
    const before = client.events.slice(0, syncedAt).map((e) => (e as { n: NotificationPayload }).n);
    const after = client.events.slice(syncedAt + 1).map((e) => (e as { n: NotificationPayload }).n);
    expect(before.filter((n) => n.replay === true).map((n) => n.id)).toEqual(offline);
    expect([...before.filter((n) => n.replay !== true), ...after].every((n) => live.includes(n.id))).toBe(true);
    expect(after.every((n) => n.replay !== true)).toBe(true);
    expect(before.map((n) => n.seq)).toEqual([...before.map((n) => n.seq)].sort((a, b) => a - b));
    expect(before.slice(0, 130).map((n) => n.id)).toEqual(offline);
    const synced = client.events[syncedAt] as { e: SyncedEvent };
    expect(synced.e.count).toBe(before.length);

    // Acked catch-up counts as delivered.
    await eventually(async () => {
      const n = await stack.db.prisma.delivery.count({
        where: { notificationId: { in: [...offline, ...live] }, status: 'delivered' },
      });
      return n === 140 || undefined;
    });
    // A second connection without a cursor has nothing left to catch up.
    client.socket.disconnect();
    const again = await plainClient(user);
    await eventually(async () => again.events.some((e) => e.kind === 'synced') || undefined);
    expect(notifications(again)).toEqual([]);
    expect((again.events[0] as { e: SyncedEvent }).e).toMatchObject({
      count: 0,
      head: Math.max(...got.map((n) => n.seq)),
    });
    again.socket.disconnect();
  });

  it('with a cursor, sends everything after it (delivered to another device or not)', async () => {
    const user = 'cu-cursor';
    const first = await plainClient(user);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await send(user, `n${i}`));
    await eventually(async () => notifications(first).length === 6 || undefined);
    // Live ones may arrive out of order (the worker runs jobs concurrently): the cursor is a sequence number.
    const seqs = notifications(first)
      .map((n) => n.seq)
      .sort((x, y) => x - y);
    first.socket.disconnect();

    // Another device that saw the first two.
    const second = await plainClient(user, { since: seqs[1] as number });
    await eventually(async () => second.events.some((e) => e.kind === 'synced') || undefined);
    expect(notifications(second).map((n) => n.id)).toEqual(ids.slice(2));
    expect(notifications(second).every((n) => n.replay)).toBe(true);
    second.socket.disconnect();
  });

  it('treats a cursor beyond the user head as none, confirming nothing', async () => {
    const user = 'cu-ahead';
    const id = await send(user, 'waiting');
    await dispatched([id]);
    const client = await plainClient(user, { since: 1_000_000 });
    await eventually(async () => client.events.some((e) => e.kind === 'synced') || undefined);
    expect(notifications(client).map((n) => n.id)).toEqual([id]);
    client.socket.disconnect();
  });

  it('refuses a cursor that is not a sequence number, with a code and a sentence', async () => {
    const socket = connectClient(stack.baseUrl, {
      auth: { token: await stack.token('cu-bad'), since: 'yesterday' },
      transports: ['websocket'],
      reconnection: false,
    });
    const error = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('HERALD_ERR_CURSOR_INVALID');
    expect(error.message).toMatch(/auth\.since must be the last sequence number/);
    socket.disconnect();
  });

  it('sends again, on the next connect, what a client did not ack', async () => {
    const user = 'cu-noack';
    const id = await send(user, 'unacked');
    await dispatched([id]);
    const socket = connectClient(stack.baseUrl, {
      auth: { token: await stack.token(user) },
      transports: ['websocket'],
      reconnection: false,
    });
    const seen: string[] = [];
    socket.on('notification', (n: NotificationPayload) => seen.push(n.id)); // never acks
    await eventually(async () => seen.length === 1 || undefined);
    // The ack timeout (2 s in tests) marks it sent, not delivered.
    await eventually(async () => {
      const d = await stack.db.prisma.delivery.findFirst({ where: { notificationId: id } });
      return d?.status === 'sent' || undefined;
    });
    socket.disconnect();
    const again = await plainClient(user);
    await eventually(async () => again.events.some((e) => e.kind === 'synced') || undefined);
    expect(notifications(again).map((n) => n.id)).toEqual([id]);
    again.socket.disconnect();
  });

  it("runs two catch-ups of one user at once on a node, the user's other sockets after them: a hog holds up only itself", async () => {
    const user = 'cu-hog';
    const id = await send(user, 'pending');
    await dispatched([id]);
    // Sockets that never ack: each one's catch-up waits out the ack timeout (2 s here).
    const got: number[] = [];
    const open = async (i: number) => {
      const socket = connectClient(stack.baseUrl, {
        auth: { token: await stack.token(user) },
        transports: ['websocket'],
        reconnection: false,
      });
      socket.on('notification', () => got.push(i));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      return socket;
    };
    const hogs = await Promise.all([0, 1, 2, 3].map(open));
    await eventually(async () => got.length >= 2 || undefined);
    // Two sockets had it at once; the other two wait for those catch-ups (2 s, their ack timeout).
    await new Promise((r) => setTimeout(r, 300));
    expect(got.length).toBe(2);
    // Another user is not held up meanwhile.
    const started = Date.now();
    const other = await plainClient('cu-bystander');
    await eventually(async () => other.events.some((e) => e.kind === 'synced') || undefined);
    expect(Date.now() - started).toBeLessThan(1900);
    other.socket.disconnect();
    await eventually(async () => got.length === 4 || undefined, 10_000);
    expect(hogs.every((h) => h.connected)).toBe(true);
    for (const h of hogs) h.disconnect();
  });
});
