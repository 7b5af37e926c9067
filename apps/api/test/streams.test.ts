import type { NotificationPayload, SyncedEvent } from '@herald/protocol';
import pg from 'pg';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamAudienceCounts } from '../src/log/stream-audience.js';
import { TopicRepository } from '../src/topics/repository.js';
import { createTestDatabase, eventually, startStack, type TestDatabase, type TestStack, uid } from './helpers.js';

/**
 * Topic sends and broadcasts as streams (issue 12): stored once, emitted once per node to the
 * rooms of their topics, a per-user row only once something happens, and catch-up that merges the
 * user's streams with their personal one — with the semantics the README states.
 */
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
const api = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
  const res = await stack.app.inject({ method, url, headers: auth(), ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const send = async (payload: object) => {
  const res = await api('POST', '/v1/notifications', payload);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { id: string; recipients: number };
};
const join = (topic: string, userIds: string[]) =>
  api('PUT', `/v1/topics/${encodeURIComponent(topic)}/subscribers`, { userIds });
const leave = (topic: string, userIds: string[]) =>
  api('DELETE', `/v1/topics/${encodeURIComponent(topic)}/subscribers`, { userIds });
/** Out: its job ran (a send to users is `dispatched` from its accept), or it ended. */
const dispatched = async (id: string) => {
  await stack.jobsDone();
  return eventually(async () => {
    const n = await stack.db.prisma.notification.findUnique({ where: { id } });
    return n && ['dispatched', 'expired', 'failed', 'cancelled'].includes(n.status) ? n : undefined;
  });
};

interface Device {
  socket: Socket;
  got: NotificationPayload[];
  synced: Promise<SyncedEvent>;
}

/** A device of `userId`, connected with these cursors, acking what it gets (as the SDK does). */
async function device(userId: string, cursors: { since?: number | null; streams?: object } = {}): Promise<Device> {
  const socket = connectClient(stack.baseUrl, {
    auth: { token: await stack.token(userId), ...cursors },
    transports: ['websocket'],
    reconnection: false,
    autoConnect: false,
  });
  const got: NotificationPayload[] = [];
  socket.on('notification', (n: NotificationPayload, ack: (r: { ok: true }) => void) => {
    got.push(n);
    ack({ ok: true });
  });
  const synced = new Promise<SyncedEvent>((resolve) => socket.once('synced', resolve));
  socket.connect();
  await synced;
  return { socket, got, synced };
}
const titles = (d: Device) => d.got.map((n) => n.title);
const settle = () => new Promise((r) => setTimeout(r, 300));
const rows = async (id: string) => stack.db.prisma.delivery.findMany({ where: { notificationId: id } });

describe('a topic send', () => {
  it('reaches every device of each member live, no one else, and writes two rows, not one per member', async () => {
    const topic = `news-${uid()}`;
    const [a, b, out] = [`a-${uid()}`, `b-${uid()}`, `out-${uid()}`];
    const members = [a, b, ...Array.from({ length: 500 }, (_, i) => `m${i}-${uid()}`)];
    expect((await join(topic, members)).body).toMatchObject({ changed: 502, subscribers: 502 });
    const [a1, a2, b1, other] = await Promise.all([device(a), device(a), device(b), device(out)]);
    const before = await stack.db.prisma.delivery.count();
    const sent = await send({ to: { topic }, title: 'Live' });
    expect(sent.recipients).toBe(502);
    await dispatched(sent.id);
    await eventually(async () => a1.got.length === 1 && a2.got.length === 1 && b1.got.length === 1);
    await settle();
    expect([titles(a1), titles(a2), titles(b1), titles(other)]).toEqual([['Live'], ['Live'], ['Live'], []]);
    expect(a1.got[0]).toMatchObject({ id: sent.id, stream: { name: topic, seq: expect.any(Number) } });
    expect(a1.got[0]?.replay).toBeUndefined();
    // Rows written at send: the notification and its one stream entry. Per member: nothing until an
    // ack, then one receipt per user (two devices of `a` acked: still one row).
    expect(await stack.db.prisma.streamEntry.count({ where: { notificationId: sent.id } })).toBe(1);
    await eventually(async () => (await rows(sent.id)).length === 2);
    expect(await stack.db.prisma.delivery.count()).toBe(before + 2);
    const receipts = await rows(sent.id);
    expect(receipts.every((r) => r.seq === null && r.status === 'delivered' && r.deliveredAt)).toBe(true);
    for (const d of [a1, a2, b1, other]) d.socket.disconnect();
  });

  it('is for those in the topic when it was accepted: not a later member, not one who left before, still one who left after', async () => {
    const topic = `window-${uid()}`;
    const [early, late, leftBefore, leftAfter] = ['early', 'late', 'left-before', 'left-after'].map(
      (u) => `${u}-${uid()}`,
    );
    await join(topic, [early, leftBefore, leftAfter]);
    await leave(topic, [leftBefore]);
    const sent = await send({ to: { topic }, title: 'Windowed' });
    expect(sent.recipients).toBe(2);
    await dispatched(sent.id);
    await join(topic, [late, leftBefore]);
    await leave(topic, [leftAfter]);
    // All of them connect only now: catch-up decides.
    const devices = await Promise.all([early, late, leftBefore, leftAfter].map((u) => device(u)));
    await settle();
    expect(devices.map(titles)).toEqual([['Windowed'], [], [], ['Windowed']]);
    expect(devices[0]?.got[0]).toMatchObject({ replay: true, stream: { name: topic } });
    for (const d of devices) d.socket.disconnect();
  });

  it('a scheduled one is for the members when it was accepted, and takes its place in the stream when it goes out', async () => {
    const topic = `sched-${uid()}`;
    const [before, after] = [`before-${uid()}`, `after-${uid()}`];
    await join(topic, [before]);
    const sent = await send({ to: { topic }, title: 'Later', sendAt: new Date(Date.now() + 1500).toISOString() });
    await join(topic, [after]);
    const [b, a] = await Promise.all([device(before), device(after)]);
    await dispatched(sent.id);
    await eventually(async () => b.got.length === 1);
    await settle();
    expect([titles(b), titles(a)]).toEqual([['Later'], []]);
    for (const d of [b, a]) d.socket.disconnect();
  });

  it('a scheduled one still reaches, live, every open device of a member who left before it went out; a later send does not', async () => {
    const topic = `leaver-${uid()}`;
    const [user, other] = [`leaver-${uid()}`, `other-${uid()}`];
    await join(topic, [user, other]);
    const d = await device(user);
    const scheduled = await send({
      to: { topic },
      title: 'Due soon',
      sendAt: new Date(Date.now() + 2000).toISOString(),
    });
    await leave(topic, [user]);
    const after = await send({ to: { topic }, title: 'After leaving' });
    // A device that connects after the user left was never in the topic's room.
    const later = await device(user);
    const bystander = await device(`by-${uid()}`);
    await dispatched(after.id);
    expect(titles(later)).toEqual([]);
    await dispatched(scheduled.id);
    await eventually(async () => d.got.length === 1 && later.got.length === 1);
    await settle();
    expect([titles(d), titles(later), titles(bystander)]).toEqual([['Due soon'], ['Due soon'], []]);
    expect(later.got[0]).toMatchObject({ stream: { name: topic } });
    expect(later.got[0]?.replay).toBeUndefined();
    for (const x of [d, later, bystander]) x.socket.disconnect();
  });

  it('to several topics reaches a user in more than one of them once, and counts them once', async () => {
    const [t1, t2] = [`multi1-${uid()}`, `multi2-${uid()}`];
    const [both, one] = [`both-${uid()}`, `one-${uid()}`];
    await join(t1, [both, one]);
    await join(t2, [both]);
    const [live] = await Promise.all([device(both)]);
    const sent = await send({ to: { topics: [t1, t2] }, title: 'Once' });
    expect(sent.recipients).toBe(2);
    await dispatched(sent.id);
    await eventually(async () => live.got.length === 1);
    const later = await device(one);
    const another = await device(both, { streams: {} });
    await settle();
    expect([titles(live), titles(later), titles(another)]).toEqual([['Once'], ['Once'], []]);
    // The inbox lists it once too.
    const inbox = await api('GET', `/v1/users/${both}/inbox`);
    expect(inbox.body.items.filter((i: { id: string }) => i.id === sent.id)).toHaveLength(1);
    for (const d of [live, later, another]) d.socket.disconnect();
  });

  it('to a list naming a topic twice goes through that topic once and counts its members once', async () => {
    const [t1, t2] = [`twice1-${uid()}`, `twice2-${uid()}`];
    const [a, b] = [`ta-${uid()}`, `tb-${uid()}`];
    await join(t1, [a, b]);
    await join(t2, [b]);
    const live = await device(a);
    const sent = await send({ to: { topics: [t1, t2, t1] }, title: 'Twice named' });
    expect(sent.recipients).toBe(2);
    const entries = await stack.db.prisma.streamEntry.findMany({
      where: { notificationId: sent.id },
      orderBy: { rank: 'asc' },
    });
    expect(entries.map((e) => [e.stream, e.rank])).toEqual([
      [t1, 0],
      [t2, 1],
    ]);
    await dispatched(sent.id);
    await eventually(async () => live.got.length === 1);
    await settle();
    expect(titles(live)).toEqual(['Twice named']);
    const recipients = await api('GET', `/v1/notifications/${sent.id}/recipients`);
    expect(recipients.status).toBe(200);
    expect(recipients.body.items.map((r: { userId: string }) => r.userId).sort()).toEqual([a, b].sort());
    // A batch item and a single topic named twice alike.
    const batch = await api('POST', '/v1/notifications/batch', {
      notifications: [{ to: { topics: [t2, t2] }, title: 'Batch twice' }],
    });
    expect(batch.body.results[0]).toMatchObject({ status: 'queued', recipients: 1 });
    live.socket.disconnect();
  });

  it('answers 404 for a topic that does not exist, and a batch item says so on its own', async () => {
    const missing = await api('POST', '/v1/notifications', { to: { topic: `nope-${uid()}` }, title: 'x' });
    expect(missing).toMatchObject({ status: 404, body: { code: 'HERALD_ERR_TOPIC_NOT_FOUND' } });
    const topic = `batch-${uid()}`;
    await join(topic, ['x']);
    const batch = await api('POST', '/v1/notifications/batch', {
      notifications: [
        { to: { topic }, title: 'ok' },
        { to: { topic: `nope-${uid()}` }, title: 'no' },
      ],
    });
    expect(batch.status).toBe(202);
    expect(batch.body.results[0]).toMatchObject({ status: 'queued', recipients: 1 });
    expect(batch.body.results[1]).toMatchObject({ error: { statusCode: 404, code: 'HERALD_ERR_TOPIC_NOT_FOUND' } });
  });
});

describe('catch-up from stream cursors', () => {
  it('sends what a device missed after its cursors, then nothing more on the next connect with the heads', async () => {
    const topic = `cu-${uid()}`;
    const user = `cu-${uid()}`;
    await join(topic, [user]);
    const direct = await send({ to: { userId: user }, title: 'direct 1' });
    const t1 = await send({ to: { topic }, title: 'topic 1' });
    const t2 = await send({ to: { topic }, title: 'topic 2' });
    const direct2 = await send({ to: { userId: user }, title: 'direct 2' });
    await Promise.all([direct, t1, t2, direct2].map((n) => dispatched(n.id)));
    const first = await device(user);
    const synced = await first.synced;
    // Oldest first, the personal and the topic's interleaved as they went out.
    expect(titles(first)).toEqual(['direct 1', 'topic 1', 'topic 2', 'direct 2']);
    expect(synced.streams[topic]).toBe(first.got[2]?.stream?.seq);
    // A stream notification carries the personal position already reached, never beyond it.
    const [d1 = 0] = first.got.map((n) => n.seq);
    expect(first.got.map((n) => n.seq)).toEqual([d1, d1, d1, d1 + 1]);
    first.socket.disconnect();
    const again = await device(user, { since: synced.head, streams: synced.streams });
    await settle();
    expect(titles(again)).toEqual([]);
    const t3 = await send({ to: { topic }, title: 'topic 3' });
    await eventually(async () => again.got.length === 1);
    expect(again.got[0]).toMatchObject({ id: t3.id, stream: { name: topic, seq: (synced.streams[topic] ?? 0) + 1 } });
    again.socket.disconnect();
    // A device of the same user with the old cursors gets only what came after them.
    const old = await device(user, { since: synced.head, streams: synced.streams });
    await settle();
    expect(titles(old)).toEqual(['topic 3']);
    old.socket.disconnect();
  });

  it('starts a topic the user joined since a device last caught up at the join, so that device gets what another one already had', async () => {
    const [before, joined] = [`jb-${uid()}`, `jj-${uid()}`];
    const user = `j-${uid()}`;
    await join(before, [user]);
    const x = await device(user);
    const xs = await x.synced;
    x.socket.disconnect();
    await join(joined, [user]);
    // Another device of the user has both, live.
    const y = await device(user);
    const both = await send({ to: { topics: [joined, before] }, title: 'to both topics' });
    const only = await send({ to: { topic: joined }, title: 'to the new topic' });
    await eventually(async () => y.got.length === 2);
    await eventually(async () => (await rows(both.id)).length === 1 && (await rows(only.id)).length === 1);
    y.socket.disconnect();
    // The first device comes back with the cursors it had before the user joined.
    const back = await device(user, { since: xs.head, streams: xs.streams });
    await settle();
    expect(titles(back)).toEqual(['to both topics', 'to the new topic']);
    expect(back.got.every((n) => n.replay === true)).toBe(true);
    // With the cursors it was given then, nothing comes again.
    const synced = await back.synced;
    back.socket.disconnect();
    const again = await device(user, { since: synced.head, streams: synced.streams });
    await settle();
    expect(titles(again)).toEqual([]);
    // A new device (no cursors) starts at what no device of the user received: their inbox has these.
    const fresh = await device(user);
    await settle();
    expect(titles(fresh)).toEqual([]);
    for (const d of [again, fresh]) d.socket.disconnect();
  });

  it('without stream cursors (a third-party client) sends only what no device of the user received', async () => {
    const topic = `tp-${uid()}`;
    const user = `tp-${uid()}`;
    await join(topic, [user]);
    const seen = await device(user);
    const t1 = await send({ to: { topic }, title: 'seen live' });
    await eventually(async () => seen.got.length === 1);
    await eventually(async () => (await rows(t1.id)).length === 1);
    seen.socket.disconnect();
    const t2 = await send({ to: { topic }, title: 'missed' });
    await dispatched(t2.id);
    const fresh = await device(user);
    await settle();
    expect(titles(fresh)).toEqual(['missed']);
    fresh.socket.disconnect();
  });

  it('leaves out what was cancelled or expired before the device came back, and refuses malformed cursors', async () => {
    const topic = `ce-${uid()}`;
    const user = `ce-${uid()}`;
    await join(topic, [user]);
    const cancelled = await send({ to: { topic }, title: 'cancelled' });
    await dispatched(cancelled.id);
    const res = await api('POST', `/v1/notifications/${cancelled.id}/cancel`);
    expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', cancelled: 1 } });
    const expiring = await send({ to: { topic }, title: 'expired', ttlSeconds: 1 });
    await dispatched(expiring.id);
    await new Promise((r) => setTimeout(r, 1100));
    // Its member never had it and never will: nothing is left to cancel.
    const late = await api('POST', `/v1/notifications/${expiring.id}/cancel`);
    expect(late).toMatchObject({ status: 409, body: { code: 'HERALD_ERR_NOT_CANCELLABLE' } });
    expect(late.body.message).toMatch(/it expired, so whoever has not received it by now never will/);
    const kept = await send({ to: { topic }, title: 'kept' });
    await dispatched(kept.id);
    const d = await device(user);
    await settle();
    expect(titles(d)).toEqual(['kept']);
    d.socket.disconnect();
    for (const streams of [[1], { 'no spaces': 1 }, { news: -1 }, { news: 'x' }]) {
      const refused = connectClient(stack.baseUrl, {
        auth: { token: await stack.token(user), streams },
        transports: ['websocket'],
        reconnection: false,
      });
      const error = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
        refused.once('connect_error', resolve),
      );
      expect(error.data?.code).toBe('HERALD_ERR_CURSOR_INVALID');
      refused.disconnect();
    }
  });
});

describe('receipts and the inbox', () => {
  it('records displayed, clicked and read as the user’s row, syncs read across devices, and writes nothing for an id that is not theirs', async () => {
    const topic = `rc-${uid()}`;
    const [user, stranger] = [`rc-${uid()}`, `st-${uid()}`];
    await join(topic, [user]);
    const [phone, laptop, other] = await Promise.all([device(user), device(user), device(stranger)]);
    const sent = await send({ to: { topic }, title: 'Receipt' });
    await eventually(async () => phone.got.length === 1 && laptop.got.length === 1);
    expect(await phone.socket.emitWithAck('displayed', { id: sent.id })).toEqual({ ok: true });
    expect(await phone.socket.emitWithAck('clicked', { id: sent.id })).toEqual({ ok: true });
    // A stranger reporting the same id changes nothing and writes no row of theirs.
    expect(await other.socket.emitWithAck('clicked', { id: sent.id })).toEqual({ ok: true });
    await eventually(async () => (await rows(sent.id)).some((r) => r.clickedAt));
    const [row] = await rows(sent.id);
    expect(row).toMatchObject({ seq: null, status: 'clicked' });
    // Every buffered report written (the stranger's included) before saying it wrote nothing.
    await stack.app.recorder.flush();
    expect((await rows(sent.id)).length).toBe(1);
    const heard = new Promise((resolve) => laptop.socket.once('inbox:read', resolve));
    expect(await phone.socket.emitWithAck('inbox:unread', {})).toEqual({ ok: true, unread: 1 });
    expect(await phone.socket.emitWithAck('read', { id: sent.id })).toEqual({ ok: true, unread: 0 });
    await expect(heard).resolves.toEqual({ ids: [sent.id], unread: 0 });
    const inbox = await laptop.socket.emitWithAck('inbox:list', {});
    expect(inbox.items[0]).toMatchObject({ id: sent.id, status: 'read', stream: { name: topic } });
    for (const d of [phone, laptop, other]) d.socket.disconnect();
  });

  it('lists a user’s inbox newest first across the personal and the topics’ notifications, page by page, none twice', async () => {
    const [t1, t2] = [`ib1-${uid()}`, `ib2-${uid()}`];
    const user = `ib-${uid()}`;
    await join(t1, [user]);
    await join(t2, [user]);
    const sent: string[] = [];
    for (let i = 0; i < 9; i++) {
      const to = i % 3 === 0 ? { userId: user } : { topic: i % 3 === 1 ? t1 : t2 };
      sent.push((await send({ to, title: `n${i}` })).id);
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sent.map(dispatched));
    const listed: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res = await api('GET', `/v1/users/${user}/inbox?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      listed.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(listed).toEqual([...sent].reverse());
    expect((await api('GET', `/v1/users/${user}/inbox?cursor=bm90IGEgY3Vyc29y`)).body.code).toBe(
      'HERALD_ERR_CURSOR_INVALID',
    );
  });
});

describe('a broadcast', () => {
  it('reaches every user the app knew when it was accepted, live or on connect, and not a user it met later', async () => {
    const [online, offline] = [`bo-${uid()}`, `bf-${uid()}`];
    // The app knows `offline` from a send before; `online` is connected.
    await send({ to: { userId: offline }, title: 'hello' });
    const live = await device(online);
    const before = await stack.db.prisma.delivery.count();
    const sent = await send({ to: { broadcast: true }, title: 'Everyone' });
    expect(sent.recipients).toBe(await stack.db.prisma.subscriber.count({ where: { appId: stack.appId } }));
    await eventually(async () => live.got.some((n) => n.id === sent.id));
    const newcomer = await device(`new-${uid()}`);
    const back = await device(offline);
    await settle();
    expect(back.got.map((n) => n.title)).toEqual(['hello', 'Everyone']);
    expect(newcomer.got.filter((n) => n.id === sent.id)).toEqual([]);
    // Rows: the acks' receipts only (the live one and the one that came back).
    await eventually(async () => (await rows(sent.id)).length === 2);
    expect(await stack.db.prisma.delivery.count()).toBeLessThanOrEqual(before + 3);
    for (const d of [live, newcomer, back]) d.socket.disconnect();
  });
});

/**
 * Another session on the test's schema, for a transaction left open across a request: `blocks`
 * resolves once a statement of the server waits for this session's locks.
 */
const sessions: pg.Client[] = [];
async function session() {
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  sessions.push(client);
  const [{ schema }] = (await stack.db.sql.query<{ schema: string }>('SELECT current_schema() AS schema')) as [
    { schema: string },
  ];
  await client.query(`SET search_path TO "${schema}"`);
  const {
    rows: [{ pid }],
  } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return {
    client,
    sql: { query: async (text: string, params?: unknown[]) => (await client.query(text, params)).rows },
    blocks: () =>
      eventually(async () => {
        const {
          rows: [row],
        } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [pid],
        );
        return (row?.n ?? 0) > 0;
      }, 5000),
  };
}

/** The members a recipient list of a topic send or broadcast shows, all statuses together. */
const listed = async (id: string) =>
  [...(await streamAudienceCounts(stack.db.prisma, stack.appId, id)).values()].reduce((a, b) => a + b, 0);

describe('recipients, counted while users join', () => {
  // A test that failed halfway must not leave its transaction holding locks the next one needs.
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((c) => c.end()));
  });

  it('a broadcast counts a user added by a transaction open across its accept, who is in its audience', async () => {
    const late = `late-${uid()}`;
    const t = await session();
    await t.client.query('BEGIN');
    await t.sql.query('INSERT INTO subscribers (id, app_id, external_id) VALUES (gen_random_uuid()::text, $1, $2)', [
      stack.appId,
      late,
    ]);
    const accepting = send({ to: { broadcast: true }, title: 'While one joins' });
    await t.blocks(); // the accept waits for the user-adding transaction
    await t.client.query('COMMIT');
    const sent = await accepting;
    expect(sent.recipients).toBe(await stack.db.prisma.subscriber.count({ where: { appId: stack.appId } }));
    expect(await listed(sent.id)).toBe(sent.recipients);
  });

  it('a user whose transaction began before a broadcast but added them after it is neither in it nor counted', async () => {
    const late = `later-${uid()}`;
    const t = await session();
    await t.client.query('BEGIN');
    await t.sql.query('SELECT now()'); // its clock: before the broadcast's
    const sent = await send({ to: { broadcast: true }, title: 'Before one joins' });
    await t.sql.query('INSERT INTO subscribers (id, app_id, external_id) VALUES (gen_random_uuid()::text, $1, $2)', [
      stack.appId,
      late,
    ]);
    await t.client.query('COMMIT');
    expect(sent.recipients).toBe((await stack.db.prisma.subscriber.count({ where: { appId: stack.appId } })) - 1);
    expect(await listed(sent.id)).toBe(sent.recipients);
    const newcomer = await device(late);
    await settle();
    expect(newcomer.got.filter((n) => n.id === sent.id)).toEqual([]);
    newcomer.socket.disconnect();
  });

  it('a topic send, to one topic or several, counts a member whose subscribe was open across its accept', async () => {
    const [news, sport] = [`n-${uid()}`, `s-${uid()}`];
    await join(news, ['ann', 'bob']);
    await join(sport, ['bob']);
    for (const to of [{ topic: news }, { topics: [news, sport] }]) {
      const late = `joins-${uid()}`;
      const t = await session();
      await t.client.query('BEGIN');
      await new TopicRepository(t.sql).subscribe(stack.appId, news, [late]);
      const accepting = send({ to, title: 'While one subscribes' });
      await t.blocks();
      await t.client.query('COMMIT');
      const sent = await accepting;
      expect(await listed(sent.id)).toBe(sent.recipients);
      const members = await api('GET', `/v1/topics/${news}`);
      expect(sent.recipients, JSON.stringify(to)).toBe(members.body.subscribers);
    }
  });
});

describe('bounds a long-lived user meets', () => {
  it('hands a device at most 300 stream cursors, none for a topic the user left, and takes them back at the next connect', async () => {
    const user = `many-${uid()}`;
    const left = `left-${uid()}`;
    await join(left, [user]);
    await send({ to: { topic: left }, title: 'before leaving' });
    await leave(left, [user]);
    const topics = Array.from({ length: 320 }, (_, i) => `m${i}-${uid()}-${'x'.repeat(60)}`);
    for (const topic of topics) await join(topic, [user]);
    const first = await device(user);
    const synced = await first.synced;
    const names = Object.keys(synced.streams);
    expect(names.length).toBeLessThanOrEqual(300);
    expect(names).toContain('*');
    expect(names).not.toContain(left);
    // What was sent while the user was in the topic they left still came.
    expect(titles(first)).toContain('before leaving');
    first.socket.disconnect();
    // Presented again as the contract says, the cursors are taken.
    const again = await device(user, { since: synced.head, streams: synced.streams });
    expect(again.socket.connected).toBe(true);
    again.socket.disconnect();
  });

  it('pages an inbox over many topics with cursors that stay small, listing each notification once', async () => {
    const user = `pages-${uid()}`;
    const topics = Array.from({ length: 80 }, (_, i) => `p${i}-${uid()}-${'y'.repeat(70)}`);
    for (const topic of topics) await join(topic, [user]);
    const sent: string[] = [];
    for (const round of [0, 1]) {
      for (const topic of topics) sent.push((await send({ to: { topic }, title: `${round} ${topic}` })).id);
    }
    await Promise.all(sent.map(dispatched));
    const listed: string[] = [];
    let cursor: string | null = null;
    let longest = 0;
    for (let page = 0; page < 100; page++) {
      const res = await api('GET', `/v1/users/${user}/inbox?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      listed.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      longest = Math.max(longest, cursor?.length ?? 0);
      if (!cursor) break;
    }
    expect(listed.length).toBe(sent.length);
    expect(new Set(listed).size).toBe(sent.length);
    expect(longest).toBeLessThan(8192);
  });

  it('writes no receipt for a report about a topic send that was cancelled or expired before any device had it', async () => {
    const topic = `gone-${uid()}`;
    const user = `gone-${uid()}`;
    await join(topic, [user]);
    const cancelled = await send({ to: { topic }, title: 'cancelled' });
    await dispatched(cancelled.id);
    expect((await api('POST', `/v1/notifications/${cancelled.id}/cancel`)).status).toBe(200);
    const expired = await send({ to: { topic }, title: 'expired', ttlSeconds: 1 });
    await dispatched(expired.id);
    await new Promise((r) => setTimeout(r, 1100));
    const d = await device(user);
    for (const id of [cancelled.id, expired.id]) {
      expect(await d.socket.emitWithAck('displayed', { id })).toEqual({ ok: true });
      expect(await d.socket.emitWithAck('clicked', { id })).toEqual({ ok: true });
    }
    expect(await d.socket.emitWithAck('read', { ids: [cancelled.id, expired.id] })).toMatchObject({ ok: true });
    await settle();
    expect([...(await rows(cancelled.id)), ...(await rows(expired.id))]).toEqual([]);
    const inbox = await d.socket.emitWithAck('inbox:list', {});
    expect(inbox.items.map((i: { id: string }) => i.id)).not.toContain(cancelled.id);
    d.socket.disconnect();
  });
});
