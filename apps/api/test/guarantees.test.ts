import type { InboxReadEvent, NotificationPayload, SyncReply } from '@herald/protocol';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../src/queue/maintenance.js';
import { createTestDatabase, eventually, startStack, type TestDatabase, type TestStack } from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  // As an `api` and a `worker` process: every batch job reads its notifications back (the handoff
  // of the `all` role is exercised by the other suites).
  stack = await startStack(testDb, { handoff: false });
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

const auth = () => ({ authorization: `Bearer ${stack.apiKey}` });
const send = async (payload: object) => {
  const res = await stack.app.inject({ method: 'POST', url: '/v1/notifications', headers: auth(), payload });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { id: string; status: string; recipients: number };
};
/** Out: its job ran (a send to users is `dispatched` from its accept), or it ended. */
const dispatched = async (id: string) => {
  await stack.jobsDone();
  return eventually(async () => {
    const n = await stack.db.prisma.notification.findUnique({ where: { id } });
    return n && ['dispatched', 'expired', 'failed', 'cancelled'].includes(n.status) ? n : undefined;
  });
};
const sync = (socket: Socket, since: number | null, limit?: number) =>
  socket.emitWithAck('sync', { since, limit }) as Promise<SyncReply>;
/** A socket that does not ack live notifications: the offline-ish client of these tests. */
const quiet = async (userId: string) => stack.connectUser(userId);

describe('catch-up from a per-user cursor', () => {
  it('gives a device without a cursor every undelivered notification, oldest first, then confirms them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send({ to: { userId: 'cu-1' }, title: `n${i}` })).id);
    await dispatched(ids[4] as string);
    const socket = await quiet('cu-1');
    const first = await sync(socket, null, 3);
    expect(first.notifications.map((n) => n.id)).toEqual(ids.slice(0, 3));
    const seqs = first.notifications.map((n) => n.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const second = await sync(socket, seqs[2] ?? 0, 3);
    expect(second.notifications.map((n) => n.id)).toEqual(ids.slice(3));
    const last = second.notifications.at(-1)?.seq ?? 0;
    const done = await sync(socket, last);
    expect(done.notifications).toEqual([]);
    expect(done.head).toBe(last);
    const statuses = await stack.db.prisma.delivery.findMany({ where: { notificationId: { in: ids } } });
    expect(statuses.map((d) => d.status)).toEqual(Array(5).fill('delivered'));
    socket.disconnect();
  });

  it("keeps a user's settled mark below their first pending row, raising it as syncs confirm, so a device without a cursor gets every pending one", async () => {
    const settled = async () =>
      (await stack.db.prisma.subscriber.findFirstOrThrow({ where: { appId: stack.appId, externalId: 'cu-s' } }))
        .settledSeq;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await send({ to: { userId: 'cu-s' }, title: `s${i}` })).id);
    await dispatched(ids[2] as string);
    const socket = await quiet('cu-s');
    const all = await sync(socket, null);
    expect(all.notifications.map((n) => n.id)).toEqual(ids);
    expect(await settled()).toBe(0);
    const [, second, third] = all.notifications.map((n) => n.seq) as [number, number, number];
    // The first two confirmed, the third still pending: the mark stops just below it.
    await sync(socket, second);
    expect(await settled()).toBe(third - 1);
    const later = await send({ to: { userId: 'cu-s' }, title: 'later' });
    await dispatched(later.id);
    const fresh = await sync(socket, null);
    expect(fresh.notifications.map((n) => n.id)).toEqual([ids[2], later.id]);
    expect(await settled()).toBe(third - 1);
    const last = fresh.notifications.at(-1)?.seq ?? 0;
    await sync(socket, last);
    expect(await settled()).toBe(last);
    expect((await sync(socket, null)).notifications).toEqual([]);
    socket.disconnect();
  });

  it("marks a sync's answer replay as catch-up does: what was accepted before the connection, not since", async () => {
    const before = await send({ to: { userId: 'cu-r' }, title: 'before' });
    await dispatched(before.id);
    const socket = await quiet('cu-r');
    const since = await send({ to: { userId: 'cu-r' }, title: 'since' });
    await dispatched(since.id);
    const page = await sync(socket, null);
    expect(page.notifications.map((n) => [n.title, n.replay])).toEqual([
      ['before', true],
      ['since', undefined],
    ]);
    socket.disconnect();
  });

  it('replays from the cursor a device presents, whichever notifications it missed', async () => {
    const socket = await quiet('cu-2');
    const a = await send({ to: { userId: 'cu-2' }, title: 'a' });
    await dispatched(a.id);
    const head = (await sync(socket, null)).notifications.at(-1)?.seq ?? 0;
    await sync(socket, head);
    const b = await send({ to: { userId: 'cu-2' }, title: 'b' });
    await dispatched(b.id);
    const replay = await sync(socket, head);
    expect(replay.notifications.map((n) => n.id)).toEqual([b.id]);
    socket.disconnect();
  });

  it('skips expired and cancelled notifications and marks expired recipients', async () => {
    const socket = await quiet('cu-3');
    const start = (await sync(socket, null)).head;
    const soon = await send({ to: { userId: 'cu-3' }, title: 'short-lived', ttlSeconds: 1 });
    const later = await send({
      to: { userId: 'cu-3' },
      title: 'scheduled',
      sendAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await dispatched(soon.id);
    const cancelled = await stack.app.inject({
      method: 'POST',
      url: `/v1/notifications/${later.id}/cancel`,
      headers: auth(),
    });
    expect(cancelled.json().status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await sync(socket, start)).notifications).toEqual([]);
    await sweep(stack.db.prisma, stack.app.notificationsQueue);
    const row = await stack.db.prisma.delivery.findFirstOrThrow({ where: { notificationId: soon.id } });
    expect(row.status).toBe('expired');
    expect(row.expiredAt).toBeInstanceOf(Date);
    socket.disconnect();
  });

  it('never sends a notification whose ttl ran out before it went out', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: auth(),
      payload: {
        to: { userIds: ['ex-1', 'ex-2'] },
        title: 'too late',
        ttlSeconds: 1,
        sendAt: new Date(Date.now() + 500).toISOString(),
      },
    });
    const { id } = res.json();
    // Hold the job past its expiry: it is due in 0.5 s and expires at 1.5 s.
    await stack.app.notificationsQueue.getJob(id).then((job) => job?.changeDelay(2000));
    const n = await eventually(async () => {
      const row = await stack.db.prisma.notification.findUnique({ where: { id } });
      return row?.status === 'expired' ? row : undefined;
    }, 8000);
    expect(n.status).toBe('expired');
    const rows = await stack.db.prisma.delivery.findMany({ where: { notificationId: id } });
    expect(rows.map((r) => r.status)).toEqual(['expired', 'expired']);
  });

  it('marks old and already-read notifications silent so they do not pop up', async () => {
    const socket = await quiet('cu-4');
    const start = (await sync(socket, null)).head;
    const old = await send({ to: { userId: 'cu-4' }, title: 'old' });
    const read = await send({ to: { userId: 'cu-4' }, title: 'read elsewhere' });
    const fresh = await send({ to: { userId: 'cu-4' }, title: 'fresh' });
    await dispatched(fresh.id);
    await stack.db.prisma.notification.update({
      where: { id: old.id },
      data: { createdAt: new Date(Date.now() - 3_600_000) },
    });
    await socket.emitWithAck('read', { id: read.id });
    const page = await sync(socket, start);
    const byId = Object.fromEntries(page.notifications.map((n) => [n.id, n]));
    expect(byId[old.id]?.silent).toBe(true);
    expect(byId[read.id]).toMatchObject({ silent: true, readAt: expect.any(String) });
    expect(byId[fresh.id]?.silent).toBe(false);
    socket.disconnect();
  });

  it('answers a malformed sync with an error reply', async () => {
    const socket = await quiet('cu-5');
    await expect(socket.emitWithAck('sync', { since: 'x' })).resolves.toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
    });
    await expect(socket.emitWithAck('sync', { since: 0, limit: 1000 })).resolves.toMatchObject({ ok: false });
    socket.disconnect();
  });
});

describe('inbox', () => {
  it('lists newest first with a cursor, counts unread, and syncs read state to the other sockets live', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await send({ to: { userId: 'ib-1' }, title: `i${i}` })).id);
    await dispatched(ids[4] as string);
    const [phone, laptop] = await Promise.all([quiet('ib-1'), quiet('ib-1')]);

    const page1 = await phone.emitWithAck('inbox:list', { limit: 2 });
    expect(page1.items.map((i: NotificationPayload) => i.id)).toEqual([ids[4], ids[3]]);
    expect(page1.unread).toBe(5);
    const page2 = await phone.emitWithAck('inbox:list', { limit: 10, cursor: page1.nextCursor });
    expect(page2.items.map((i: NotificationPayload) => i.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(page2.nextCursor).toBeNull();

    const heard = new Promise<InboxReadEvent>((resolve) => laptop.once('inbox:read', resolve));
    await expect(phone.emitWithAck('read', { ids: [ids[0], ids[1]] })).resolves.toEqual({ ok: true, unread: 3 });
    await expect(heard).resolves.toEqual({ ids: expect.arrayContaining([ids[0], ids[1]]), unread: 3 });
    await expect(laptop.emitWithAck('inbox:unread', {})).resolves.toEqual({ ok: true, unread: 3 });

    const unreadOnly = await laptop.emitWithAck('inbox:list', { unreadOnly: true });
    expect(unreadOnly.items).toHaveLength(3);

    const all = new Promise<InboxReadEvent>((resolve) => phone.once('inbox:read', resolve));
    await expect(laptop.emitWithAck('read:all', {})).resolves.toEqual({ ok: true, unread: 0 });
    await expect(all).resolves.toEqual({ ids: 'all', unread: 0 });
    const rows = await stack.db.prisma.delivery.findMany({ where: { notificationId: { in: ids } } });
    expect(rows.every((r) => r.status === 'read' && r.readAt)).toBe(true);
    phone.disconnect();
    laptop.disconnect();
  });

  it('is readable and markable over REST, which the user sockets hear about', async () => {
    const a = await send({ to: { userId: 'ib-2' }, title: 'x' });
    const b = await send({ to: { userId: 'ib-2' }, title: 'y' });
    await dispatched(b.id);
    const socket = await quiet('ib-2');
    const list = await stack.app.inject({ url: '/v1/users/ib-2/inbox?limit=1', headers: auth() });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ items: [{ id: b.id, title: 'y' }], unread: 2, nextCursor: expect.any(String) });
    const heard = new Promise<InboxReadEvent>((resolve) => socket.once('inbox:read', resolve));
    const read = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/ib-2/inbox/read',
      headers: auth(),
      payload: { ids: [a.id] },
    });
    expect(read.json()).toEqual({ read: 1, unread: 1 });
    await expect(heard).resolves.toEqual({ ids: [a.id], unread: 1 });
    const again = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/ib-2/inbox/read',
      headers: auth(),
      payload: { ids: [a.id] },
    });
    expect(again.json()).toEqual({ read: 0, unread: 1 });
    const all = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/ib-2/inbox/read',
      headers: auth(),
      payload: { all: true },
    });
    expect(all.json()).toEqual({ read: 1, unread: 0 });
    socket.disconnect();
  });

  it('refuses bad inbox requests with codes', async () => {
    const both = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/ib-2/inbox/read',
      headers: auth(),
      payload: { all: true, ids: ['00000000-0000-4000-8000-000000000000'] },
    });
    expect(both.json()).toMatchObject({ statusCode: 400, code: 'HERALD_ERR_VALIDATION' });
    const unknown = await stack.app.inject({
      method: 'POST',
      url: '/v1/users/nobody-ever/inbox/read',
      headers: auth(),
      payload: { all: true },
    });
    expect(unknown.json()).toMatchObject({ statusCode: 404, code: 'HERALD_ERR_USER_NOT_FOUND' });
    const empty = await stack.app.inject({ url: '/v1/users/nobody-ever/inbox', headers: auth() });
    expect(empty.json()).toEqual({ items: [], nextCursor: null, unread: 0 });
    const socket = await quiet('ib-3');
    await expect(socket.emitWithAck('read', { ids: ['nope'] })).resolves.toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
    });
    socket.disconnect();
  });
});

describe('idempotency', () => {
  it('refuses a reused key for a different request with 422', async () => {
    const headers = { ...auth(), 'idempotency-key': 'order-42' };
    const first = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers,
      payload: { to: { userId: 'id-1' }, title: 'A' },
    });
    expect(first.statusCode).toBe(202);
    const other = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers,
      payload: { to: { userId: 'id-1' }, title: 'B' },
    });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'HERALD_ERR_IDEMPOTENCY_MISMATCH' });
  });

  it('replays, within one batch, an item repeating an earlier one, key and body alike; another body under the key is a 422', async () => {
    const item = { to: { userId: 'id-b' }, title: 'Once', idempotencyKey: 'batch-twice' };
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: { notifications: [item, { ...item }, { ...item, title: 'Other' }] },
    });
    expect(res.statusCode, res.body).toBe(202);
    const [first, again, other] = res.json().results;
    expect(again).toEqual(first);
    expect(other.error).toMatchObject({ statusCode: 422, code: 'HERALD_ERR_IDEMPOTENCY_MISMATCH' });
    expect(res.json().accepted).toBe(2);
    expect(await stack.db.prisma.notification.count({ where: { idempotencyKey: 'batch-twice' } })).toBe(1);
  });

  it('frees a key after 24 hours', async () => {
    const headers = { ...auth(), 'idempotency-key': 'daily-digest' };
    const payload = { to: { userId: 'id-2' }, title: 'Digest' };
    const first = (await stack.app.inject({ method: 'POST', url: '/v1/notifications', headers, payload })).json();
    await stack.db.prisma.notification.update({
      where: { id: first.id },
      data: { createdAt: new Date(Date.now() - 25 * 3600_000) },
    });
    const next = (await stack.app.inject({ method: 'POST', url: '/v1/notifications', headers, payload })).json();
    expect(next.id).not.toBe(first.id);
  });

  it('returns one notification to concurrent retries with the same key', async () => {
    const headers = { ...auth(), 'idempotency-key': 'burst-1' };
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        stack.app.inject({
          method: 'POST',
          url: '/v1/notifications',
          headers,
          payload: { to: { userId: 'id-3' }, title: 'Once' },
        }),
      ),
    );
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    expect(results.every((r) => r.statusCode === 202)).toBe(true);
  });
});

describe('scheduling, cancelling and priorities', () => {
  it('delivers a scheduled notification when it is due', async () => {
    const socket = await quiet('sc-1');
    const got = new Promise<NotificationPayload>((resolve) =>
      socket.once('notification', (n: NotificationPayload, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(n);
      }),
    );
    const sendAt = Date.now() + 1500;
    const { id, status } = await send({
      to: { userId: 'sc-1' },
      title: 'Later',
      sendAt: new Date(sendAt).toISOString(),
    });
    expect(status).toBe('scheduled');
    expect((await got).id).toBe(id);
    expect(Date.now()).toBeGreaterThanOrEqual(sendAt - 50);
    socket.disconnect();
  });

  it('cancels a scheduled notification (twice is fine), and a sent one its offline user never received', async () => {
    const { id } = await send({
      to: { userId: 'sc-2' },
      title: 'Never',
      sendAt: new Date(Date.now() + 60_000).toISOString(),
    });
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'cancelled', cancelledAt: expect.any(String) });
    expect(await stack.app.notificationsQueue.getJob(id)).toBeUndefined();
    const twice = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect(twice.statusCode).toBe(200);
    expect(twice.json()).toMatchObject({ status: 'cancelled', cancelled: 0 });

    const sent = await send({ to: { userId: 'sc-2' }, title: 'Now' });
    await dispatched(sent.id);
    const late = await stack.app.inject({
      method: 'POST',
      url: `/v1/notifications/${sent.id}/cancel`,
      headers: auth(),
    });
    // It went out while sc-2 was offline: its delivery was still waiting for catch-up.
    expect(late.statusCode).toBe(200);
    expect(late.json()).toMatchObject({ status: 'cancelled', cancelled: 1, counts: { queued: 0, cancelled: 1 } });
    const missing = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/00000000-0000-4000-8000-000000000000/cancel',
      headers: auth(),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses to cancel a scheduled send whose ttl ran out before it went out, as an expired one', async () => {
    const { id } = await send({
      to: { userIds: ['lx-1', 'lx-2'] },
      title: 'Too late',
      sendAt: new Date(Date.now() + 60_000).toISOString(),
      ttlSeconds: 3600,
    });
    // Its ttl ran out meanwhile (the sweep has not marked it yet).
    await stack.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const get = async () => (await stack.app.inject({ url: `/v1/notifications/${id}`, headers: auth() })).json();
    expect((await get()).counts).toMatchObject({ expired: 2, queued: 0 });
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect([res.statusCode, res.json().code]).toEqual([409, 'HERALD_ERR_NOT_CANCELLABLE']);
    expect(res.json().message).toMatch(/expired/);
    expect((await get()).status).toBe('scheduled');
  });

  it('answers a cancel of a send that went out and reached everyone before its ttl ran out: received, not expired', async () => {
    const { id } = await send({ to: { userId: 'lx-3' }, title: 'Had it', ttlSeconds: 3600 });
    await dispatched(id);
    await stack.db.prisma.delivery.updateMany({
      where: { notificationId: id },
      data: { status: 'delivered', deliveredAt: new Date() },
    });
    await stack.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect([res.statusCode, res.json().code]).toEqual([409, 'HERALD_ERR_NOT_CANCELLABLE']);
    expect(res.json().message).toMatch(/already received it/);
  });

  it('answers a cancel of a send whose ttl ran out before its user came back: expired, and listed so at once', async () => {
    const { id } = await send({ to: { userId: 'lx-4' }, title: 'Missed', ttlSeconds: 3600 });
    await dispatched(id);
    await stack.db.sql.query(`UPDATE notifications SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    // Before any sweep: the reads say expired, not queued.
    const list = (await stack.app.inject({ url: `/v1/notifications/${id}/recipients`, headers: auth() })).json();
    expect(list.items).toEqual([
      expect.objectContaining({ userId: 'lx-4', status: 'expired', expiredAt: expect.any(String) }),
    ]);
    const res = await stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
    expect([res.statusCode, res.json().code]).toEqual([409, 'HERALD_ERR_NOT_CANCELLABLE']);
    expect(res.json().message).toMatch(/it expired, so whoever has not received it by now never will/);
    const details = (await stack.app.inject({ url: `/v1/notifications/${id}`, headers: auth() })).json();
    expect(details.counts).toMatchObject({ expired: 1, queued: 0, cancelled: 0 });
  });

  it('does not list again as queued a user deleted by hand after the send went out', async () => {
    const { id } = await send({ to: { userIds: ['hd-1', 'hd-2'] }, title: 'Then gone' });
    await dispatched(id);
    await stack.db.sql.query(`DELETE FROM subscribers WHERE app_id = $1 AND external_id = 'hd-1'`, [stack.appId]);
    const list = await stack.app.inject({ url: `/v1/notifications/${id}/recipients`, headers: auth() });
    expect(list.json().items.map((i: { userId: string }) => i.userId)).toEqual(['hd-2']);
    const details = await stack.app.inject({ url: `/v1/notifications/${id}`, headers: auth() });
    expect(details.json().counts.queued).toBe(1);
  });

  it('lists recipients with their state and timeline, a page at a time', async () => {
    const socket = await quiet('rc-b');
    socket.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    const { id } = await send({ to: { userIds: ['rc-a', 'rc-b', 'rc-c'] }, title: 'Team' });
    await eventually(
      async () =>
        (await stack.db.prisma.delivery.findFirst({ where: { notificationId: id, status: 'delivered' } })) !== null,
    );
    const page = await stack.app.inject({ url: `/v1/notifications/${id}/recipients?limit=2`, headers: auth() });
    expect(page.json()).toMatchObject({
      items: [
        { userId: 'rc-a', status: 'queued', deliveredAt: null },
        { userId: 'rc-b', status: 'delivered', deliveredAt: expect.any(String) },
      ],
      nextCursor: 'rc-b',
    });
    const rest = await stack.app.inject({ url: `/v1/notifications/${id}/recipients?cursor=rc-b`, headers: auth() });
    expect(rest.json()).toMatchObject({ items: [{ userId: 'rc-c' }], nextCursor: null });
    const delivered = await stack.app.inject({
      url: `/v1/notifications/${id}/recipients?status=delivered`,
      headers: auth(),
    });
    expect(delivered.json().items.map((i: { userId: string }) => i.userId)).toEqual(['rc-b']);
    socket.disconnect();
  });
});

describe('cancel after it went out', () => {
  const cancel = (id: string) =>
    stack.app.inject({ method: 'POST', url: `/v1/notifications/${id}/cancel`, headers: auth() });
  const acking = async (userId: string) => {
    const socket = await stack.connectUser(userId);
    socket.on('notification', (_n: unknown, ack: (r: unknown) => void) => ack({ ok: true }));
    return socket;
  };
  const deliveredTo = (id: string, n: number) =>
    eventually(
      async () => (await stack.db.prisma.delivery.count({ where: { notificationId: id, status: 'delivered' } })) === n,
    );

  it('cancels the deliveries no device has received, so catch-up never sends them, and says how many', async () => {
    const online = await acking('cn-a');
    const { id } = await send({ to: { userIds: ['cn-a', 'cn-b', 'cn-c'] }, title: 'Flash sale (wrong price)' });
    await dispatched(id);
    await deliveredTo(id, 1);

    const res = await cancel(id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id,
      status: 'cancelled',
      cancelled: 2,
      cancelledAt: expect.any(String),
      counts: { delivered: 1, cancelled: 2, queued: 0, sent: 0 },
    });
    // cn-b comes online: nothing of it is handed out.
    const late = await quiet('cn-b');
    const replay = await sync(late, null);
    expect(replay.ok).toBe(true);
    expect(replay.notifications.map((n) => n.id)).not.toContain(id);
    // Cancelling again stops nobody, and is not an error.
    const again = await cancel(id);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'cancelled', cancelled: 0 });
    online.disconnect();
    late.disconnect();
  });

  it('answers 409 when every recipient already received it, and leaves it as it was', async () => {
    const online = await acking('cn-d');
    const { id } = await send({ to: { userId: 'cn-d' }, title: 'Already seen' });
    await dispatched(id);
    await deliveredTo(id, 1);
    const res = await cancel(id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'HERALD_ERR_NOT_CANCELLABLE',
      message: `Notification ${id} cannot be cancelled: every recipient already received it, so nothing is left to cancel.`,
    });
    expect((await stack.db.prisma.notification.findUniqueOrThrow({ where: { id } })).status).toBe('dispatched');
    online.disconnect();
  });
});

describe('batch send', () => {
  it('accepts the valid items, refuses the others one by one, and replays known idempotency keys', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: {
        notifications: [
          { to: { userId: 'bt-1' }, title: 'one', idempotencyKey: 'bt-key' },
          { to: { userId: 'bt-1', broadcast: true }, title: 'bad target' },
          { to: { userIds: ['bt-2', 'bt-3'] }, title: 'two', priority: 'high' },
        ],
      },
    });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.results[0]).toMatchObject({ status: 'queued', recipients: 1 });
    expect(body.results[1]).toMatchObject({ error: { statusCode: 400, code: 'HERALD_ERR_TARGET_INVALID' } });
    expect(body.results[2]).toMatchObject({ recipients: 2 });
    const again = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: { notifications: [{ to: { userId: 'bt-1' }, title: 'one', idempotencyKey: 'bt-key' }] },
    });
    expect(again.json().results[0].id).toBe(body.results[0].id);
    await dispatched(body.results[2].id);
  });

  it('accepts the valid items when others do not match the schema, refusing each of those on its own', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: {
        notifications: [
          { to: { userId: 'bv-1' }, title: 'fine' },
          { to: { userId: 'bv-1' } },
          { to: { userId: 'bv-2' }, title: 'urgent?', priority: 'urgent' },
          { to: { userId: 'bv-2' }, title: 'typo', colour: 'red' },
          { to: { userIds: 'bv-3' }, title: 'one id where a list goes, as POST /v1/notifications refuses' },
          { to: { userId: 'bv-3' }, title: 'also fine', ttlSeconds: 60 },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body.accepted).toBe(2);
    expect(body.results).toHaveLength(6);
    expect(body.results[0]).toMatchObject({ status: 'queued', recipients: 1 });
    expect(body.results[1]).toEqual({
      error: {
        statusCode: 400,
        code: 'HERALD_ERR_VALIDATION',
        message: 'notifications[1].title is required.',
        details: [{ path: 'notifications[1].title', message: 'is required' }],
      },
    });
    expect(body.results[2].error).toMatchObject({
      statusCode: 400,
      code: 'HERALD_ERR_VALIDATION',
      message: 'notifications[2].priority must be one of "low", "normal", "high".',
    });
    expect(body.results[3].error).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      message: 'notifications[3].colour is not a known property.',
    });
    // JSON is taken as typed, as POST /v1/notifications takes it: a string is not a list of one.
    expect(body.results[4].error).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      message: 'notifications[4].to.userIds must be a list (an array).',
    });
    expect(body.results[5]).toMatchObject({ status: 'queued', recipients: 1 });
    // The valid ones were stored and go out; nothing of the refused ones was stored.
    const stored = await stack.db.prisma.notification.findMany({
      where: { id: { in: [body.results[0].id, body.results[5].id] } },
    });
    expect(stored).toHaveLength(2);
    await dispatched(body.results[0].id);
    expect(await stack.db.prisma.notification.count({ where: { title: { in: ['urgent?', 'typo'] } } })).toBe(0);
  });

  it('refuses a malformed envelope as a whole', async () => {
    for (const payload of [
      { notifications: 'nope' },
      { notifications: [{ to: { userId: 'bv-9' }, title: 'fine' }, 42] },
      { notifications: [{ to: { userId: 'bv-9' }, title: 'fine' }], extra: true },
      {},
    ]) {
      const res = await stack.app.inject({ method: 'POST', url: '/v1/notifications/batch', headers: auth(), payload });
      expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({
        payload,
        status: 400,
        code: 'HERALD_ERR_VALIDATION',
      });
    }
    expect(
      await stack.db.prisma.notification.count({ where: { title: 'fine', target: { equals: { userId: 'bv-9' } } } }),
    ).toBe(0);
    // Its path in the notation the items' errors use.
    const notAnItem = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: { notifications: [{ to: { userId: 'bv-9' }, title: 'fine' }, 42] },
    });
    expect(notAnItem.json().message).toBe('body.notifications[1] must be an object.');
  });

  it('refuses an empty or oversized batch as a whole', async () => {
    const empty = await stack.app.inject({
      method: 'POST',
      url: '/v1/notifications/batch',
      headers: auth(),
      payload: { notifications: [] },
    });
    expect(empty.json()).toMatchObject({ statusCode: 400, code: 'HERALD_ERR_VALIDATION' });
  });
});
