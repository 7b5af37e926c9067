/**
 * The seam between catch-up on connect and live delivery, step by step: live notifications that
 * arrive while a catch-up page is being read wait; those the catch-up then sends itself are not
 * sent twice; the others follow `synced`, in sequence order.
 */
import type { NotificationPayload, SyncReply } from '@herald/protocol';
import { notificationPayload } from '@herald/test-support';
import { describe, expect, it } from 'vitest';
import type { DeliveryRecorder } from '../src/delivery/recorder.js';
import { localDelivery, type Outgoing } from '../src/delivery/socket-channel.js';
import { MAX_HELD } from '../src/delivery/socket-emit.js';
import { catchUp } from '../src/gateway/catch-up.js';
import type { Emitter, GatewaySocket } from '../src/gateway/types.js';
import type { InboxService } from '../src/inbox/inbox.js';

const payload = (seq: number): NotificationPayload =>
  notificationPayload(`00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`, { seq, title: `n${seq}` });

function setup() {
  const sent: string[] = [];
  const socket = {
    data: { appId: 'app', userId: 'u', subscriberId: 'sub', exp: 0, since: null, catchUp: { held: [], upTo: 0 } },
    disconnected: false,
    timeout: () => ({
      emit: (_event: string, p: NotificationPayload, ack: (err: Error | null) => void) => {
        sent.push(`${p.seq}${p.replay ? 'r' : ''}`);
        ack(null);
      },
    }),
    emit: (event: string) => sent.push(event),
    conn: { close() {} },
  };
  const io = {
    of: () => ({
      adapter: { rooms: new Map([['user:app:u', new Set(['s1'])]]) },
      sockets: new Map([['s1', socket]]),
    }),
  } as unknown as Emitter;
  const recorded: string[] = [];
  const recorder = {
    record: (event: string, id: string) => recorded.push(`${event}:${id}`),
  } as unknown as DeliveryRecorder;
  // Each sync call waits until the test answers it.
  const pending: Array<(reply: SyncReply) => void> = [];
  const inbox = {
    sync: () => new Promise<SyncReply>((resolve) => pending.push(resolve)),
  } as unknown as InboxService;
  const deliver = localDelivery(io, recorder, 1000);
  const live = (seq: number) =>
    deliver([{ appId: 'app', payload: payload(seq), recipients: [['u', 'sub', seq]] } as unknown as Outgoing]);
  const answer = async (seqs: number[], head: number) => {
    await new Promise((r) => setTimeout(r, 0));
    pending.shift()?.({ ok: true, notifications: seqs.map(payload), head, streams: {} });
  };
  return { socket: socket as unknown as GatewaySocket, sent, recorded, inbox, recorder, live, answer };
}

describe('the seam between catch-up and live delivery', () => {
  it('holds live ones during catch-up, skips those the catch-up sent, and sends the rest after synced in order', async () => {
    const t = setup();
    const done = catchUp(
      t.socket,
      { id: 'sub', appId: 'app', externalId: 'u' },
      { inbox: t.inbox, recorder: t.recorder, ackTimeoutMs: 1000, log: { error() {} } },
    );
    await t.live(3); // committed before the first page is read: the page has it too
    await t.answer([1, 2, 3], 3);
    await t.live(5); // committed after the last page was read, dispatched out of order
    await t.live(4);
    await t.answer([], 3);
    await done;
    expect(t.sent).toEqual(['1r', '2r', '3r', 'synced', '4', '5']);
    // Live from now on, straight through; a copy of one the catch-up sent is skipped.
    await t.live(6);
    await t.live(2);
    expect(t.sent.slice(6)).toEqual(['6']);
    expect(t.recorded).toHaveLength(6);
  });

  it('marks as a replay only what was accepted before the handshake: one accepted since is news, sent as live', async () => {
    const t = setup();
    const connectedAt = Date.parse('2026-12-03T10:00:00.000Z');
    (t.socket as unknown as { handshake: { issued: number } }).handshake = { issued: connectedAt };
    const at = (ms: number) => new Date(connectedAt + ms).toISOString();
    const page = [
      notificationPayload('00000000-0000-4000-8000-000000000001', { seq: 1, createdAt: at(-60_000) }),
      notificationPayload('00000000-0000-4000-8000-000000000002', { seq: 2, createdAt: at(-1) }),
      notificationPayload('00000000-0000-4000-8000-000000000003', { seq: 3, createdAt: at(0) }),
      notificationPayload('00000000-0000-4000-8000-000000000004', { seq: 4, createdAt: at(250) }),
    ];
    const pages = [page, []];
    const inbox = {
      sync: async () => ({ ok: true, notifications: pages.shift() ?? [], head: 4, streams: {} }),
    } as unknown as InboxService;
    await catchUp(
      t.socket,
      { id: 'sub', appId: 'app', externalId: 'u' },
      { inbox, recorder: t.recorder, ackTimeoutMs: 1000, log: { error() {} } },
    );
    expect(t.sent).toEqual(['1r', '2r', '3', '4', 'synced']);
  });

  it('reads the next page only once the client acked the previous one (flow control)', async () => {
    const t = setup();
    const pendingAcks: Array<(err: Error | null) => void> = [];
    (t.socket as unknown as { timeout: () => unknown }).timeout = () => ({
      emit: (_event: string, p: NotificationPayload, ack: (err: Error | null) => void) => {
        t.sent.push(`${p.seq}r`);
        pendingAcks.push(ack);
      },
    });
    let reads = 0;
    const pages = [[1, 2], [3], []];
    const inbox = {
      sync: async () => {
        reads++;
        return { ok: true, notifications: (pages.shift() ?? []).map(payload), head: 3 };
      },
    } as unknown as InboxService;
    const done = catchUp(
      t.socket,
      { id: 'sub', appId: 'app', externalId: 'u' },
      { inbox, recorder: t.recorder, ackTimeoutMs: 1000, log: { error() {} } },
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(reads).toBe(1);
    expect(t.sent).toEqual(['1r', '2r']);
    pendingAcks.shift()?.(null);
    await new Promise((r) => setTimeout(r, 10));
    expect(reads).toBe(1);
    pendingAcks.shift()?.(null);
    await new Promise((r) => setTimeout(r, 10));
    expect(reads).toBe(2);
    pendingAcks.shift()?.(null);
    await done;
    expect(reads).toBe(3);
    expect(t.sent).toEqual(['1r', '2r', '3r', 'synced']);
  });

  it('closes the transport (the client reconnects and catches up again) when the database fails midway', async () => {
    const t = setup();
    let closed = false;
    (t.socket as unknown as { conn: { close(): void } }).conn.close = () => {
      closed = true;
    };
    const failing = { sync: async () => Promise.reject(new Error('database down')) } as unknown as InboxService;
    await catchUp(
      t.socket,
      { id: 'sub', appId: 'app', externalId: 'u' },
      { inbox: failing, recorder: t.recorder, ackTimeoutMs: 1000, log: { error() {} } },
    );
    expect(t.sent).toEqual(['closing']);
    expect(closed).toBe(true);
  });

  it('closes the transport of a socket whose catch-up falls too far behind, instead of holding without end', async () => {
    const t = setup();
    const socket = t.socket as unknown as {
      data: { catchUp: { held: unknown[] } };
      conn: { close(): void };
    };
    let closed = 0;
    socket.conn.close = () => {
      closed++;
    };
    socket.data.catchUp.held = Array.from({ length: MAX_HELD - 1 }, () => ['x', 'sub']);
    await t.live(1);
    expect([socket.data.catchUp.held.length, closed]).toEqual([MAX_HELD, 0]);
    await t.live(2);
    await t.live(3);
    // Said and closed once; the client reconnects and catches up on all of it from the database.
    expect(closed).toBe(1);
    expect(t.sent).toEqual(['closing']);
    expect(socket.data.catchUp.held.length).toBe(MAX_HELD + 1);
  });
});
