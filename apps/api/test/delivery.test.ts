import type { NotificationPayload } from '@herald/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  type DatabaseKind,
  eventually,
  startStack,
  type TestDatabase,
  type TestStack,
} from './helpers.js';

describe.each<DatabaseKind>(['postgres', 'pglite'])('send → worker → socket → ack, on %s', (kind) => {
  let testDb: TestDatabase;
  let stack: TestStack;

  beforeAll(async () => {
    testDb = await createTestDatabase(kind);
    stack = await startStack(testDb);
  });
  afterAll(async () => {
    await stack?.close();
    await testDb?.cleanup();
  });

  const send = (payload: object) =>
    stack.app.inject({
      method: 'POST',
      url: '/v1/notifications',
      headers: { authorization: `Bearer ${stack.apiKey}` },
      payload,
    });

  it('stores a delivery row and marks it delivered when the client acks', async () => {
    const socket = await stack.connectUser('alice');
    expect(socket.connected).toBe(true);
    const received = new Promise<NotificationPayload>((resolve) => {
      socket.once('notification', (payload: NotificationPayload, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(payload);
      });
    });

    const res = await send({ to: { userId: 'alice' }, title: 'Hi Alice', body: 'Body', data: { orderId: 7 } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json();

    const payload = await received;
    expect(payload).toMatchObject({ id, title: 'Hi Alice', body: 'Body', data: { orderId: 7 }, priority: 'normal' });
    expect(payload.seq).toBeGreaterThan(0);

    const delivery = await eventually(async () => {
      const row = await stack.db.prisma.delivery.findFirst({ where: { notificationId: id } });
      return row?.status === 'delivered' ? row : undefined;
    });
    expect(delivery.deliveredAt).toBeInstanceOf(Date);
    expect(delivery.seq).toBe(payload.seq);

    const details = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${id}`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(details.json()).toMatchObject({
      id,
      status: 'dispatched',
      recipients: 1,
      counts: { delivered: 1, queued: 0 },
    });
    socket.disconnect();
  });

  it('delivers to every socket of a user and to each user of userIds, with increasing sequences', async () => {
    const [bobTab1, bobTab2, carol] = await Promise.all([
      stack.connectUser('bob'),
      stack.connectUser('bob'),
      stack.connectUser('carol'),
    ]);
    const got: Record<string, NotificationPayload[]> = { bob1: [], bob2: [], carol: [] };
    for (const [name, socket] of [
      ['bob1', bobTab1],
      ['bob2', bobTab2],
      ['carol', carol],
    ] as const) {
      socket.on('notification', (p: NotificationPayload, ack: (r: unknown) => void) => {
        got[name]?.push(p);
        ack({ ok: true });
      });
    }
    const first = (await send({ to: { userIds: ['bob', 'carol'] }, title: 'One' })).json();
    const second = (await send({ to: { userId: 'bob' }, title: 'Two' })).json();
    expect(first.recipients).toBe(2);

    await eventually(() => got.bob1?.length === 2 && got.bob2?.length === 2 && got.carol?.length === 1);
    const bobSeqs = got.bob1?.map((p) => p.seq) ?? [];
    expect(got.bob1?.map((p) => p.id).sort()).toEqual([first.id, second.id].sort());
    expect(bobSeqs[0]).not.toBe(bobSeqs[1]);
    expect(new Set(bobSeqs).size).toBe(2);

    const rows = await stack.db.prisma.delivery.findMany({ where: { notificationId: first.id } });
    expect(rows).toHaveLength(2);
    await eventually(async () => {
      const statuses = await stack.db.prisma.delivery.findMany({
        where: { notificationId: { in: [first.id, second.id] } },
      });
      return statuses.length === 3 && statuses.every((r) => r.status === 'delivered');
    });
    for (const s of [bobTab1, bobTab2, carol]) s.disconnect();
  });

  it('counts a user named twice in userIds once: one row, one copy, whether the rows are written at accept or by the worker', async () => {
    const socket = await stack.connectUser('twice-fay');
    const got: NotificationPayload[] = [];
    socket.on('notification', (p: NotificationPayload, ack: (r: unknown) => void) => {
      got.push(p);
      ack({ ok: true });
    });
    const many = Array.from({ length: 150 }, (_, i) => `twice-${i}`);
    const small = (await send({ to: { userIds: ['twice-fay', 'twice-gus', 'twice-fay'] }, title: 'Small' })).json();
    const large = (
      await send({ to: { userIds: ['twice-fay', ...many, 'twice-fay', ...many] }, title: 'Large' })
    ).json();
    expect([small.recipients, large.recipients]).toEqual([2, 151]);
    await eventually(async () => {
      const n = await stack.db.prisma.notification.findUnique({ where: { id: large.id } });
      return n?.status === 'dispatched';
    });
    await eventually(() => got.length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.map((p) => p.title).sort()).toEqual(['Large', 'Small']);
    const rows = async (id: string) => stack.db.prisma.delivery.count({ where: { notificationId: id } });
    expect([await rows(small.id), await rows(large.id)]).toEqual([2, 151]);
    const details = await stack.app.inject({
      method: 'GET',
      url: `/v1/notifications/${large.id}`,
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(details.json()).toMatchObject({ recipients: 151, to: { userIds: ['twice-fay', ...many] } });
    socket.disconnect();
  });

  it('keeps the delivery queued for a user with no open socket', async () => {
    const { id } = (await send({ to: { userId: 'offline-dave' }, title: 'Later' })).json();
    await stack.jobsDone();
    const row = await eventually(async () => {
      const n = await stack.db.prisma.notification.findUnique({ where: { id } });
      return n?.status === 'dispatched'
        ? stack.db.prisma.delivery.findFirst({ where: { notificationId: id } })
        : undefined;
    });
    expect(row?.status).toBe('queued');
    const subscriber = await stack.db.prisma.subscriber.findFirst({ where: { externalId: 'offline-dave' } });
    expect(subscriber?.lastSeq).toBe(row?.seq);
  });

  it('broadcasts to every subscriber of the app', async () => {
    const erin = await stack.connectUser('erin');
    const got = new Promise<NotificationPayload>((resolve) =>
      erin.once('notification', (p: NotificationPayload, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(p);
      }),
    );
    const subscribers = await stack.db.prisma.subscriber.count({ where: { appId: stack.appId } });
    const res = (await send({ to: { broadcast: true }, title: 'Everyone' })).json();
    expect(res.recipients).toBe(subscribers);
    expect((await got).id).toBe(res.id);
    const count = await eventually(async () => {
      const n = await stack.db.prisma.notification.findUnique({ where: { id: res.id } });
      return n?.status === 'dispatched' ? n.recipientCount : undefined;
    });
    expect(count).toBe(subscribers);
    erin.disconnect();
  });

  it('records displayed, clicked and read reports from the socket', async () => {
    const frank = await stack.connectUser('frank');
    const got = new Promise<NotificationPayload>((resolve) =>
      frank.once('notification', (p: NotificationPayload, ack: (r: unknown) => void) => {
        ack({ ok: true });
        resolve(p);
      }),
    );
    const { id } = (await send({ to: { userId: 'frank' }, title: 'Click me' })).json();
    await got;
    for (const event of ['displayed', 'clicked']) {
      const reply = await frank.emitWithAck(event, { id });
      expect(reply).toEqual({ ok: true });
    }
    const bad = await frank.emitWithAck('read', { id: 'nope' });
    expect(bad).toMatchObject({ ok: false, code: 'HERALD_ERR_VALIDATION' });
    const row = await eventually(async () => {
      const r = await stack.db.prisma.delivery.findFirst({ where: { notificationId: id } });
      return r?.status === 'clicked' ? r : undefined;
    });
    expect(row.displayedAt).toBeInstanceOf(Date);
    expect(row.clickedAt).toBeInstanceOf(Date);
    expect(row.deliveredAt).toBeInstanceOf(Date);
    frank.disconnect();
  });
});
