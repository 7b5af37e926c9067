import type { DeliveryMode, NotificationPayload, Preferences, PreferencesReply, SyncedEvent } from '@herald/protocol';
import { io as connectClient, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CategoryRule, inQuietHours, modeOf, notPopupReason } from '../src/delivery/preferences.js';
import { STREAM_COUNTS_MAX } from '../src/log/notification-log.js';
import { createTestDatabase, eventually, startStack, type TestDatabase, type TestStack, uid } from './helpers.js';

/**
 * Categories and preferences (issue 12): a send respects each user's choice per category and per
 * topic — popup, inbox only, or off (skipped, with the reason on the recipient list) — and quiet
 * hours; required categories cannot be turned off; changes reach open devices at once.
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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const api = async (method: Method, url: string, payload?: object) => {
  const res = await stack.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${stack.apiKey}` },
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const send = async (payload: object) => {
  const res = await api('POST', '/v1/notifications', payload);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { id: string; recipients: number };
};
const category = (key: string, change: object) => api('PUT', `/v1/categories/${key}`, change);
const prefer = (userId: string, patch: object) => api('PATCH', `/v1/users/${userId}/preferences`, patch);
/** Out: its job ran (a send to users is `dispatched` from its accept), or it ended. */
const dispatched = async (id: string) => {
  await stack.jobsDone();
  return eventually(async () => {
    const n = await stack.db.prisma.notification.findUnique({ where: { id } });
    return n && ['dispatched', 'expired', 'failed', 'cancelled'].includes(n.status) ? n : undefined;
  });
};
const settle = () => new Promise((r) => setTimeout(r, 300));

interface Device {
  socket: Socket;
  got: NotificationPayload[];
}
async function device(userId: string): Promise<Device> {
  const socket = connectClient(stack.baseUrl, {
    auth: { token: await stack.token(userId) },
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
  return { socket, got };
}
const inboxOf = async (d: Device) =>
  (await d.socket.emitWithAck('inbox:list', { limit: 50 })) as { items: NotificationPayload[]; unread: number };

/** A quiet-hours window around now (UTC), or one that excludes now. */
function quietAroundNow(inside: boolean) {
  const now = new Date();
  const at = (minutes: number) => {
    const t = (((now.getUTCHours() * 60 + now.getUTCMinutes() + minutes) % 1440) + 1440) % 1440;
    return `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
  };
  return inside ? { start: at(-60), end: at(60), timeZone: 'UTC' } : { start: at(120), end: at(240), timeZone: 'UTC' };
}

describe('the rule', () => {
  it('is the same in TypeScript (live sends) and in SQL (fan-out, catch-up, inbox)', async () => {
    const prefs = (categories: Record<string, DeliveryMode>, topics: Record<string, DeliveryMode> = {}) => ({
      categories,
      topics,
      quietHours: null,
    });
    // [preferences, category, its rule (or none), topic, expected mode]
    const cases: Array<[Partial<Preferences>, string | null, CategoryRule | null, string | null, DeliveryMode]> = [
      [{}, null, null, null, 'popup'],
      [{}, 'news', ['popup', false], null, 'popup'],
      [{}, 'promo', ['off', false], null, 'off'],
      [{}, 'digest', ['inbox', false], null, 'inbox'],
      [prefs({ promo: 'popup' }), 'promo', ['off', false], null, 'popup'],
      [prefs({ news: 'off' }), 'news', ['popup', false], null, 'off'],
      [prefs({ news: 'inbox' }), 'news', ['popup', false], null, 'inbox'],
      [prefs({ security: 'off' }), 'security', ['popup', true], null, 'inbox'],
      [prefs({ security: 'inbox' }), 'security', ['popup', true], null, 'inbox'],
      [prefs({}, { sports: 'off' }), null, null, 'sports', 'off'],
      [prefs({}, { sports: 'inbox' }), 'news', ['popup', false], 'sports', 'inbox'],
      [prefs({ news: 'inbox' }, { sports: 'popup' }), 'news', ['popup', false], 'sports', 'inbox'],
      [prefs({}, { sports: 'off' }), 'security', ['popup', true], 'sports', 'inbox'],
      [prefs({}, { '*': 'off' }), null, null, '*', 'popup'], // broadcasts have no topic choice
      [prefs({ gone: 'off' }), 'gone', null, null, 'popup'], // a category the app deleted
      // Names every object has (apps may choose them): no choice was made for them.
      [prefs({ news: 'inbox' }), 'constructor', ['off', false], null, 'off'],
      [prefs({}, { news: 'popup' }), null, null, 'toString', 'popup'],
      [prefs({ news: 'popup' }, { news: 'popup' }), 'valueOf', ['inbox', false], 'hasOwnProperty', 'inbox'],
      [
        prefs({ toString: 'off' as const }, { valueOf: 'inbox' as const }),
        'toString',
        ['popup', false],
        'valueOf',
        'off',
      ],
    ];
    for (const [stored, key, rule, topic, expected] of cases) {
      expect([stored, key, topic, modeOf(stored, key, rule ?? undefined, topic)]).toEqual([
        stored,
        key,
        topic,
        expected,
      ]);
      const [row] = await stack.db.sql.query<{ mode: string }>(
        `SELECT herald_mode($1::jsonb, $2, $3, $4, NULLIF($5, '*')) AS mode`,
        [JSON.stringify(stored), rule ? key : null, rule?.[0] ?? null, rule?.[1] ?? null, topic],
      );
      expect([stored, key, topic, row?.mode]).toEqual([stored, key, topic, expected]);
    }
  });

  it('reads quiet hours in the user’s time zone, across midnight too', () => {
    const at = Date.parse('2026-06-01T21:30:00Z'); // 23:30 in Paris (summer time), 17:30 in New York
    expect(inQuietHours({ start: '22:00', end: '07:00', timeZone: 'Europe/Paris' }, at)).toBe(true);
    expect(inQuietHours({ start: '22:00', end: '07:00', timeZone: 'America/New_York' }, at)).toBe(false);
    expect(inQuietHours({ start: '17:00', end: '18:00', timeZone: 'America/New_York' }, at)).toBe(true);
    expect(inQuietHours({ start: '23:30', end: '23:30', timeZone: 'Europe/Paris' }, at)).toBe(false);
    expect(inQuietHours(null, at)).toBe(false);
  });

  it('says why something does not pop up: whose choice of which category or topic, or quiet hours', () => {
    const digest: CategoryRule = ['inbox', false];
    const security: CategoryRule = ['popup', true];
    expect(notPopupReason({}, 'digest', digest, null)).toBe('category "digest" is inbox (its default)');
    expect(notPopupReason({ categories: { digest: 'off' } }, 'digest', digest, 'news')).toBe(
      'category "digest" is off (the user\'s choice)',
    );
    // A required category turned off (before it became required) still reaches the inbox.
    expect(notPopupReason({ categories: { security: 'off' } }, 'security', security, null)).toBe(
      'category "security" is off (the user\'s choice), but it is required: inbox only',
    );
    expect(notPopupReason({ topics: { news: 'off' } }, 'security', security, 'news')).toBe(
      'topic "news" is off (the user\'s choice), but category "security" is required: inbox only',
    );
    expect(notPopupReason({ topics: { news: 'off' } }, 'digest', digest, 'news')).toBe(
      'topic "news" is off (the user\'s choice)',
    );
    expect(notPopupReason({ topics: { news: 'inbox' } }, null, undefined, 'news')).toBe(
      'topic "news" is inbox (the user\'s choice)',
    );
    expect(
      notPopupReason({ quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' } }, null, undefined, null),
    ).toBe("inside the user's quiet hours");
  });
});

describe('categories and preferences over REST', () => {
  it('defines categories, and keeps a user’s choices: set, forget, refuse what cannot be', async () => {
    const key = `promo-${uid()}`;
    const created = await category(key, { name: 'Promotions', defaultMode: 'off' });
    expect(created).toMatchObject({
      status: 200,
      body: { key, name: 'Promotions', description: null, defaultMode: 'off', required: false },
    });
    expect((await category(key, { description: 'Deals' })).body).toMatchObject({
      name: 'Promotions',
      defaultMode: 'off',
    });
    expect((await category(key, { description: null })).body).toMatchObject({ description: null });
    const list = await api('GET', '/v1/categories');
    expect(list.body.categories.map((c: { key: string }) => c.key)).toContain(key);
    const sec = `security-${uid()}`;
    await category(sec, { name: 'Security', required: true });

    const user = `u-${uid()}`;
    expect((await api('GET', `/v1/users/${user}/preferences`)).body).toEqual({
      categories: {},
      topics: {},
      quietHours: null,
    });
    const quiet = { start: '22:00', end: '07:00', timeZone: 'Europe/Paris' };
    expect(
      (await prefer(user, { categories: { [key]: 'popup' }, topics: { news: 'inbox' }, quietHours: quiet })).body,
    ).toEqual({
      categories: { [key]: 'popup' },
      topics: { news: 'inbox' },
      quietHours: quiet,
    });
    // Keys left out stay; null forgets.
    expect((await prefer(user, { topics: { news: null, sports: 'off' } })).body).toEqual({
      categories: { [key]: 'popup' },
      topics: { sports: 'off' },
      quietHours: quiet,
    });
    expect((await prefer(user, { quietHours: null })).body.quietHours).toBeNull();

    expect(await prefer(user, { categories: { [sec]: 'off' } })).toMatchObject({
      status: 400,
      body: { code: 'HERALD_ERR_CATEGORY_REQUIRED' },
    });
    expect((await prefer(user, { categories: { [sec]: 'inbox' } })).status).toBe(200);
    expect(await prefer(user, { categories: { nope: 'off' } })).toMatchObject({
      status: 404,
      body: { code: 'HERALD_ERR_CATEGORY_NOT_FOUND' },
    });
    expect(await prefer(user, { quietHours: { ...quiet, timeZone: 'Mars/Olympus' } })).toMatchObject({
      status: 400,
      body: { code: 'HERALD_ERR_VALIDATION', message: expect.stringContaining('time zone') },
    });
    // Only the real problem: not the complaints of the field's other form (null).
    expect(await prefer(user, { quietHours: { ...quiet, start: '25:00' } })).toMatchObject({
      status: 400,
      body: { details: [{ path: 'body.quietHours.start', message: expect.stringContaining('HH:MM') }] },
    });
    expect((await prefer(user, { quietHours: { ...quiet, start: '25:00' } })).body.details).toHaveLength(1);
    expect(await prefer(user, { quietHours: { ...quiet, days: 'weekdays' } })).toMatchObject({
      status: 400,
      body: { code: 'HERALD_ERR_VALIDATION', message: expect.stringContaining('days') },
    });
    expect((await prefer(user, { topics: { 'no spaces': 'off' } })).status).toBe(400);
    // One problem, said once: not also "must be null" and "is none of the forms" for the other form.
    expect((await prefer(user, { categories: { [key]: 'loud' } })).body).toMatchObject({
      code: 'HERALD_ERR_VALIDATION',
      details: [{ path: `body.categories.${key}`, message: 'must be one of "popup", "inbox", "off"' }],
    });
    expect((await prefer(user, { categories: { [key]: 'loud' } })).body.details).toHaveLength(1);
    // Neither form: both, in one sentence.
    expect((await prefer(user, { quietHours: 'tonight' })).body.details).toEqual([
      { path: 'body.quietHours', message: 'must be an object or null' },
    ]);

    // A send names a category that exists, or is refused.
    expect(
      await api('POST', '/v1/notifications', { to: { userId: user }, title: 'x', category: 'nope' }),
    ).toMatchObject({
      status: 404,
      body: { code: 'HERALD_ERR_CATEGORY_NOT_FOUND' },
    });
    expect(await api('DELETE', `/v1/categories/${key}`)).toMatchObject({ status: 200, body: { deleted: true } });
    expect((await api('DELETE', `/v1/categories/${key}`)).status).toBe(404);
    // The choice made for the deleted category is no longer shown; a new choice for it is refused.
    expect((await api('GET', `/v1/users/${user}/preferences`)).body.categories).toEqual({ [sec]: 'inbox' });
    expect(await prefer(user, { categories: { [key]: 'off' } })).toMatchObject({
      status: 404,
      body: { code: 'HERALD_ERR_CATEGORY_NOT_FOUND' },
    });
    // It is kept, though: should the app make the category again, the user's choice holds again;
    // and null forgets it, whatever became of its category.
    expect((await category(key, { name: 'Back', defaultMode: 'inbox' })).status).toBeLessThan(300);
    expect((await api('GET', `/v1/users/${user}/preferences`)).body.categories).toEqual({
      [key]: 'popup',
      [sec]: 'inbox',
    });
    expect((await api('DELETE', `/v1/categories/${key}`)).status).toBe(200);
    expect(await prefer(user, { categories: { [key]: null, nope: null } })).toMatchObject({
      status: 200,
      body: { categories: { [sec]: 'inbox' } },
    });
    expect((await category(key, { name: 'Again', defaultMode: 'inbox' })).status).toBeLessThan(300);
    expect((await api('GET', `/v1/users/${user}/preferences`)).body.categories).toEqual({ [sec]: 'inbox' });
  });

  it('refuses a change that would store more than 32 KB of choices, with a code and a sentence, and keeps what was there', async () => {
    const user = `big-${uid()}`;
    // 200 choices (the most one change may name) of 100-character topics: some 22 KB each.
    const choices = (batch: string) =>
      Object.fromEntries(
        Array.from({ length: 200 }, (_, i) => [`${batch}${String(i).padStart(3, '0')}`.padEnd(100, 'x'), 'inbox']),
      );
    const first = await prefer(user, { topics: choices('a') });
    expect(first.status).toBe(200);
    expect(Buffer.byteLength(JSON.stringify(first.body))).toBeLessThan(32 * 1024);
    const refused = await prefer(user, { topics: choices('b') });
    expect(refused).toEqual({
      status: 400,
      body: {
        statusCode: 400,
        code: 'HERALD_ERR_PREFERENCES_TOO_LARGE',
        error: 'Bad Request',
        message: 'These preferences would hold more than 32 KB of choices; forget some (set them to null) first.',
      },
    });
    expect((await api('GET', `/v1/users/${user}/preferences`)).body).toEqual(first.body);
    // A body past HERALD_BODY_LIMIT is refused before anything reads it, also with a code and a sentence.
    const huge = await api('PATCH', `/v1/users/${user}/preferences`, { topics: { a: 'x'.repeat(300_000) } });
    expect(huge).toMatchObject({
      status: 413,
      body: {
        code: 'HERALD_ERR_PAYLOAD_TOO_LARGE',
        message: `The request body is larger than the 256 KB PATCH /v1/users/${user}/preferences takes.`,
      },
    });
  });

  it('creates a category only, leaving one that exists as it is, when asked with If-None-Match: *', async () => {
    const key = `security-${uid()}`;
    const createOnly = (change: object, url = `/v1/categories/${key}`, headers: Record<string, string> = {}) =>
      stack.app.inject({
        method: 'PUT',
        url,
        payload: change,
        headers: { 'if-none-match': '*', ...headers },
      });
    const made = await createOnly({ name: 'Security', required: true, defaultMode: 'inbox' }, undefined, {
      authorization: `Bearer ${stack.apiKey}`,
    });
    expect([made.statusCode, made.json()]).toEqual([200, expect.objectContaining({ key, required: true })]);
    // A second "create" (a form filled in again): refused, the category as it was.
    for (const [url, headers] of [
      [`/v1/categories/${key}`, { authorization: `Bearer ${stack.apiKey}` }],
      [
        `/admin/api/apps/${stack.appId}/categories/${key}`,
        { cookie: await stack.adminCookie('admin', `cat-${uid()}@example.com`) },
      ],
    ] as const) {
      const again = await createOnly({ name: 'Security again', required: false }, url, headers);
      expect([again.statusCode, again.json()], url).toEqual([
        412,
        expect.objectContaining({
          code: 'HERALD_ERR_CATEGORY_EXISTS',
          message: `Category "${key}" already exists in this app; edit it instead (this request asked to create it only: If-None-Match: *).`,
        }),
      ]);
    }
    const stored = (await api('GET', '/v1/categories')).body.categories.find((c: { key: string }) => c.key === key);
    expect(stored).toMatchObject({ name: 'Security', required: true, defaultMode: 'inbox' });
    // Any other value is no precondition of ours (an ETag); one too long is a 400 with a sentence.
    const etag = await createOnly({ name: 'Security (etag)' }, undefined, {
      authorization: `Bearer ${stack.apiKey}`,
      'if-none-match': '"abc"',
    });
    expect([etag.statusCode, etag.json().name]).toEqual([200, 'Security (etag)']);
    const long = await createOnly({ name: 'x' }, undefined, {
      authorization: `Bearer ${stack.apiKey}`,
      'if-none-match': '*'.repeat(300),
    });
    expect([long.statusCode, long.json().code]).toEqual([400, 'HERALD_ERR_VALIDATION']);
    expect(long.json().message).toMatch(/if-none-match/);
    // Without the header, a PUT still changes it.
    expect((await category(key, { name: 'Security (edited)' })).body).toMatchObject({
      name: 'Security (edited)',
      required: true,
    });
  });

  it('refuses a required category that would be off by default, however the two are set', async () => {
    const key = `alerts-${uid()}`;
    const refused = {
      status: 400,
      body: { code: 'HERALD_ERR_VALIDATION', message: expect.stringContaining('"inbox"') },
    };
    expect(await category(key, { required: true, defaultMode: 'off' })).toMatchObject(refused);
    expect((await api('GET', '/v1/categories')).body.categories.map((c: { key: string }) => c.key)).not.toContain(key);
    expect((await category(key, { defaultMode: 'off' })).status).toBe(200);
    expect(await category(key, { required: true })).toMatchObject(refused);
    expect((await category(key, { required: true, defaultMode: 'inbox' })).body).toMatchObject({
      required: true,
      defaultMode: 'inbox',
    });
    expect(await category(key, { defaultMode: 'off' })).toMatchObject(refused);
    expect((await category(key, { required: false, defaultMode: 'off' })).body).toMatchObject({
      required: false,
      defaultMode: 'off',
    });
  });
});

describe('a send to users', () => {
  it('pops up, goes to the inbox silently, or skips each user by their choice, and says why', async () => {
    const key = `news-${uid()}`;
    await category(key, { name: 'News' });
    const [loud, calm, none] = [`loud-${uid()}`, `calm-${uid()}`, `none-${uid()}`];
    await prefer(calm, { categories: { [key]: 'inbox' } });
    await prefer(none, { categories: { [key]: 'off' } });
    const [dl, dc, dn] = await Promise.all([device(loud), device(calm), device(none)]);

    const sent = await send({ to: { userIds: [loud, calm, none] }, title: 'Headline', category: key });
    await dispatched(sent.id);
    await eventually(async () => dl.got.length === 1 && dc.got.length === 1);
    await settle();
    expect(dl.got[0]).toMatchObject({ title: 'Headline', category: key, silent: false });
    expect(dc.got[0]).toMatchObject({ title: 'Headline', silent: true });
    expect(dn.got).toEqual([]);
    expect((await inboxOf(dn)).items.map((i) => i.id)).not.toContain(sent.id);
    expect((await inboxOf(dc)).items.map((i) => i.id)).toContain(sent.id);

    const log = await api('GET', `/v1/notifications/${sent.id}/recipients`);
    const skipped = log.body.items.find((r: { userId: string }) => r.userId === none);
    expect(skipped).toMatchObject({
      status: 'skipped',
      seq: null,
      reason: `category "${key}" is off (the user's choice)`,
    });
    expect((await api('GET', `/v1/notifications/${sent.id}`)).body.counts).toMatchObject({ skipped: 1 });

    // The skipped user's next notification still comes, with the next number: no gap.
    const next = await send({ to: { userId: none }, title: 'Direct' });
    await dispatched(next.id);
    await eventually(async () => dn.got.length === 1);
    for (const d of [dl, dc, dn]) d.socket.disconnect();
  });

  it('judges each item of one batch by its own category (one statement stores them all)', async () => {
    const [news, alerts] = [`news-${uid()}`, `alerts-${uid()}`];
    await category(news, { name: 'News' });
    await category(alerts, { name: 'Alerts' });
    const [reader, other] = [`reader-${uid()}`, `other-${uid()}`];
    await prefer(reader, { categories: { [news]: 'off' } });
    const res = await api('POST', '/v1/notifications/batch', {
      notifications: [
        { to: { userIds: [reader, other] }, title: 'N1', category: news },
        { to: { userId: reader }, title: 'A1', category: alerts },
        { to: { userIds: [other, reader] }, title: 'Plain' },
        { to: { userId: reader }, title: 'N2', category: news },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const ids = (res.body.results as Array<{ id: string }>).map((r) => r.id);
    const rows = await stack.db.prisma.delivery.findMany({
      where: { notificationId: { in: ids } },
      select: { notificationId: true, status: true, seq: true, subscriber: { select: { externalId: true } } },
    });
    const of = (i: number, user: string) =>
      rows.find((r) => r.notificationId === ids[i] && r.subscriber.externalId === user);
    expect(of(0, reader)).toMatchObject({ status: 'skipped', seq: null });
    // Those that reach the user have a row with a number (a missing row fails here too).
    for (const [i, user] of [
      [0, other],
      [1, reader],
      [2, reader],
    ] as const) {
      expect(of(i, user)).toMatchObject({ seq: expect.any(Number) });
      expect(of(i, user)?.status).not.toBe('skipped');
    }
    expect(of(3, reader)).toMatchObject({ status: 'skipped', seq: null });
    // The reader's numbers count only what reaches them, in the batch's order.
    const seqs = [of(1, reader)?.seq, of(2, reader)?.seq];
    expect(seqs[1]).toBe((seqs[0] as number) + 1);
  });

  it('skips, in the worker’s fan-out too, a new user of a category that is off by default', async () => {
    const key = `digest-${uid()}`;
    await category(key, { name: 'Digest', defaultMode: 'off' });
    const users = Array.from({ length: 150 }, (_, i) => `w${i}-${uid()}`); // more than the accept-time fan-out
    const keen = users[0] as string;
    await prefer(keen, { categories: { [key]: 'popup' } });
    const d = await device(keen);
    const sent = await send({ to: { userIds: users }, title: 'Weekly', category: key });
    await dispatched(sent.id);
    await eventually(async () => d.got.length === 1);
    const rows = await stack.db.prisma.delivery.groupBy({
      by: ['status'],
      where: { notificationId: sent.id },
      _count: { _all: true },
    });
    expect(Object.fromEntries(rows.map((r) => [r.status, r._count._all]))).toMatchObject({ skipped: 149 });
    const one = await stack.db.prisma.delivery.findFirst({ where: { notificationId: sent.id, status: 'skipped' } });
    expect(one).toMatchObject({ seq: null, reason: `category "${key}" is off (its default)` });
    d.socket.disconnect();
  });
});

describe('a topic send', () => {
  it('follows each member’s choice for the topic — live, in catch-up and in the inbox — and a required category stays', async () => {
    const topic = `sports-${uid()}`;
    const [fan, muted, quietFan] = [`fan-${uid()}`, `muted-${uid()}`, `qf-${uid()}`];
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [fan, muted, quietFan] });
    await prefer(muted, { topics: { [topic]: 'off' } });
    await prefer(quietFan, { topics: { [topic]: 'inbox' } });
    const [df, dm, dq] = await Promise.all([device(fan), device(muted), device(quietFan)]);

    const sent = await send({ to: { topic }, title: 'Goal' });
    await dispatched(sent.id);
    await eventually(async () => df.got.length === 1 && dq.got.length === 1);
    await settle();
    expect(df.got[0]).toMatchObject({ title: 'Goal', silent: false });
    expect(dq.got[0]).toMatchObject({ title: 'Goal', silent: true });
    expect(dm.got).toEqual([]);
    // Not in the muted member's inbox, unread count or catch-up on another device.
    const inbox = await inboxOf(dm);
    expect(inbox.items.map((i) => i.id)).not.toContain(sent.id);
    expect(inbox.unread).toBe(0);
    const later = await device(muted);
    await settle();
    expect(later.got.map((n) => n.id)).not.toContain(sent.id);

    // A required category cannot be turned off, by the topic's choice either: the inbox, silently.
    const sec = `security-${uid()}`;
    await category(sec, { name: 'Security', required: true });
    const alert = await send({ to: { topic }, title: 'New sign-in', category: sec });
    await dispatched(alert.id);
    await eventually(async () => dm.got.length === 1 && later.got.some((n) => n.id === alert.id));
    expect(dm.got[0]).toMatchObject({ id: alert.id, silent: true });
    expect((await inboxOf(dm)).items.map((i) => i.id)).toContain(alert.id);
    for (const d of [df, dm, dq, later]) d.socket.disconnect();
  });
});

describe('topics and categories named like what every object has', () => {
  it('follow the user’s choices and quiet hours like any other name — live, in catch-up, and in why they did not pop up', async () => {
    // Exact names (the app's to choose): only this test uses them.
    const topic = 'toString';
    const user = `proto-${uid()}`;
    const off = `off-${uid()}`;
    expect((await category(off, { name: 'Off', defaultMode: 'off' })).status).toBe(200);
    expect((await category('valueOf', { name: 'Value', defaultMode: 'inbox' })).status).toBe(200);
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [user] });
    // Any stored choice: the lookups then read a document, not nothing.
    await prefer(user, { topics: { [`elsewhere-${uid()}`]: 'popup' } });
    const d = await device(user);

    const muted = await send({ to: { topic }, title: 'Off by default', category: off });
    const quiet = await send({ to: { userId: user }, title: 'Inbox by default', category: 'valueOf' });
    const plain = await send({ to: { topic }, title: 'Plain' });
    await Promise.all([muted, quiet, plain].map((n) => dispatched(n.id)));
    await eventually(async () => d.got.some((n) => n.id === plain.id) && d.got.some((n) => n.id === quiet.id));
    await settle();
    expect(d.got.map((n) => n.id)).not.toContain(muted.id);
    expect(d.got.find((n) => n.id === quiet.id)).toMatchObject({ silent: true });
    expect(d.got.find((n) => n.id === plain.id)).toMatchObject({ silent: false });
    // Quiet hours hold for the topic too.
    await prefer(user, { quietHours: quietAroundNow(true) });
    const hushed = await send({ to: { topic }, title: 'In quiet hours' });
    await dispatched(hushed.id);
    await eventually(async () => d.got.some((n) => n.id === hushed.id));
    expect(d.got.find((n) => n.id === hushed.id)).toMatchObject({ silent: true });
    // The recipient list says the same: skipped, as for any category that is off.
    const listed = await api('GET', `/v1/notifications/${muted.id}/recipients`);
    expect(listed.body.items).toEqual([expect.objectContaining({ userId: user, status: 'skipped' })]);
    expect(notPopupReason({ topics: { news: 'popup' } }, 'valueOf', ['inbox', false], 'toString')).toBe(
      'category "valueOf" is inbox (its default)',
    );
    d.socket.disconnect();
    await api('DELETE', '/v1/categories/valueOf');
    await api('DELETE', `/v1/topics/${topic}`);
  });
});

describe('the counts of a topic send or broadcast', () => {
  /** Every member of its recipient list by status, read page by page to the end. */
  const listed = async (id: string) => {
    const tally: Record<string, number> = {};
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/v1/notifications/${id}/recipients?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of page.body.items as Array<{ status: string }>) tally[r.status] = (tally[r.status] ?? 0) + 1;
      cursor = page.body.nextCursor;
    } while (cursor);
    return tally;
  };
  const counted = async (id: string) => {
    const counts = (await api('GET', `/v1/notifications/${id}`)).body.counts as Record<string, number>;
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  };

  it('count each member as the recipient list shows them: skipped by their preferences, queued, or their receipt', async () => {
    const topic = `league-${uid()}`;
    const key = `scores-${uid()}`;
    await category(key, { name: 'Scores' });
    const [online, away, muted, noScores] = ['on', 'away', 'muted', 'noscores'].map((u) => `${u}-${uid()}`) as [
      string,
      string,
      string,
      string,
    ];
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [online, away, muted, noScores] });
    await prefer(muted, { topics: { [topic]: 'off' } });
    await prefer(noScores, { categories: { [key]: 'off' } });
    const d = await device(online);

    const sent = await send({ to: { topic }, title: 'Final score', category: key });
    await dispatched(sent.id);
    await eventually(async () => d.got.length === 1);
    const tally = await eventually(async () => {
      const t = await listed(sent.id);
      return t.delivered === 1 ? t : undefined;
    });
    expect(tally).toEqual({ delivered: 1, queued: 1, skipped: 2 });
    expect(await counted(sent.id)).toEqual(tally);
    expect((await api('GET', `/v1/notifications/${sent.id}`)).body.countsExact).toBe(true);
    // Cancelling it stops the one still queued: not those it skipped, nor the one who has it.
    const cancel = await api('POST', `/v1/notifications/${sent.id}/cancel`);
    expect(cancel.body).toMatchObject({ status: 'cancelled', cancelled: 1 });
    expect(await counted(sent.id)).toEqual({ delivered: 1, cancelled: 1, skipped: 2 });
    // A send every member skips has nobody left to stop, and the refusal says why.
    const quiet = `quiet-${uid()}`;
    await api('PUT', `/v1/topics/${quiet}/subscribers`, { userIds: [noScores] });
    const unheard = await send({ to: { topic: quiet }, title: 'Unheard', category: key });
    await dispatched(unheard.id);
    const refused = await api('POST', `/v1/notifications/${unheard.id}/cancel`);
    expect([refused.status, refused.body.code]).toEqual([409, 'HERALD_ERR_NOT_CANCELLABLE']);
    expect(refused.body.message).toMatch(/skips it by their preferences/);

    // A broadcast, in a category its users turned off: the same.
    const all = await send({ to: { broadcast: true }, title: 'Season over', category: key });
    await dispatched(all.id);
    const everyone = await listed(all.id);
    expect(everyone.skipped).toBeGreaterThanOrEqual(1);
    expect(Object.values(everyone).reduce((a, b) => a + b, 0)).toBe(all.recipients);
    expect(await counted(all.id)).toEqual(everyone);
    d.socket.disconnect();
  });

  it('past 20,000 members, counts receipts and the rest as queued, and says they are not exact', async () => {
    const topic = `crowd-${uid()}`;
    const members = Array.from({ length: STREAM_COUNTS_MAX + 1 }, (_, i) => `crowd-${i}-${uid()}`);
    for (let i = 0; i < members.length; i += 1000) {
      const res = await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: members.slice(i, i + 1000) });
      expect(res.status).toBe(200);
    }
    const d = await device(members[0] as string);
    const sent = await send({ to: { topic }, title: 'To the crowd' });
    expect(sent.recipients).toBe(STREAM_COUNTS_MAX + 1);
    await dispatched(sent.id);
    await eventually(async () => d.got.length === 1);
    const details = await eventually(async () => {
      const body = (await api('GET', `/v1/notifications/${sent.id}`)).body;
      return body.counts.delivered === 1 ? body : undefined;
    });
    expect(details.countsExact).toBe(false);
    expect(await counted(sent.id)).toEqual({ delivered: 1, queued: STREAM_COUNTS_MAX });
    // Once it ended, the rest count by its ending, as the list shows them.
    expect((await api('POST', `/v1/notifications/${sent.id}/cancel`)).body.cancelled).toBe(STREAM_COUNTS_MAX);
    expect(await counted(sent.id)).toEqual({ delivered: 1, cancelled: STREAM_COUNTS_MAX });
    d.socket.disconnect();
  });
});

describe('a send to several topics', () => {
  it('reaches a member through the topic they let through most, whatever order the topics are listed in', async () => {
    const [off, on, quiet, other] = ['off', 'on', 'quiet', 'other'].map((t) => `${t}-${uid()}`) as [
      string,
      string,
      string,
      string,
    ];
    // Two members with the same choices: one online during the sends, one who catches up after.
    const [member, away, bystander] = [`m-${uid()}`, `a-${uid()}`, `b-${uid()}`];
    for (const t of [off, on, quiet]) await api('PUT', `/v1/topics/${t}/subscribers`, { userIds: [member, away] });
    await api('PUT', `/v1/topics/${other}/subscribers`, { userIds: [bystander] });
    for (const u of [member, away]) await prefer(u, { topics: { [off]: 'off', [quiet]: 'inbox' } });
    const live = await device(member);

    // [topics listed, the topic it comes through, silent], 'none' when it is not theirs at all.
    const cases: Array<[string[], string, boolean]> = [
      [[off, on], on, false],
      [[on, off], on, false],
      [[other, off, on], on, false],
      [[quiet, on], on, false],
      [[off, quiet], quiet, true],
      [[quiet, off], quiet, true],
      [[other, off], 'none', false],
    ];
    const sent: Array<{ id: string; via: string; silent: boolean }> = [];
    for (const [topics, via, silent] of cases) {
      const { id } = await send({ to: { topics }, title: `to ${topics.length} topics` });
      await dispatched(id);
      sent.push({ id, via, silent });
    }
    const theirs = sent.filter((x) => x.via !== 'none');
    await eventually(async () => live.got.length === theirs.length);
    const later = await device(away);
    await eventually(async () => later.got.length === theirs.length);
    await settle();
    const check = (got: NotificationPayload[], replay: boolean) => {
      expect(got.map((n) => [n.id, n.stream?.name, n.silent, n.replay === true])).toEqual(
        theirs.map((x) => [x.id, x.via, x.silent, replay]),
      );
    };
    check(live.got, false);
    check(later.got, true);
    // In the inbox, and in each send's recipient list, the same.
    const inbox = await inboxOf(later);
    expect(inbox.items.map((i) => i.id).sort()).toEqual(theirs.map((x) => x.id).sort());
    for (const x of sent) {
      for (const u of [member, away]) {
        const row = await eventually(async () => {
          const res = await api('GET', `/v1/notifications/${x.id}/recipients`);
          const found = res.body.items.find((r: { userId: string }) => r.userId === u);
          return x.via === 'none' || found?.status === 'delivered' ? found : undefined;
        });
        if (x.via === 'none') {
          expect(row).toMatchObject({ status: 'skipped', reason: `topic "${off}" is off (the user's choice)` });
        } else expect(row).toMatchObject({ status: 'delivered', reason: null });
      }
    }
    for (const d of [live, later]) d.socket.disconnect();
  });
});

describe('the recipient list of a topic send or broadcast', () => {
  it('lists the audience at accept: who has it, who waits for a device, who turned it off and why', async () => {
    const topic = `league-${uid()}`;
    const key = `scores-${uid()}`;
    await category(key, { name: 'Scores', defaultMode: 'popup' });
    // User ids sort in this order: the page order.
    const [online, offline, muted, noCategory, late] = ['a', 'b', 'c', 'd', 'e'].map((p) => `${p}-${uid()}`) as [
      string,
      string,
      string,
      string,
      string,
    ];
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [online, offline, muted, noCategory] });
    await prefer(muted, { topics: { [topic]: 'off' } });
    await prefer(noCategory, { categories: { [key]: 'off' } });
    const d = await device(online);
    const sent = await send({ to: { topic }, title: 'Final score', category: key });
    await dispatched(sent.id);
    await eventually(async () => d.got.length === 1);
    // Joined after the send: not its audience.
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [late] });
    // The online member's receipt is written a moment after the ack.
    const list = await eventually(async () => {
      const res = await api('GET', `/v1/notifications/${sent.id}/recipients`);
      return res.body.items[0]?.status === 'delivered' ? res.body : undefined;
    });
    expect(
      list.items.map((r: { userId: string; status: string; reason: string | null }) => [r.userId, r.status, r.reason]),
    ).toEqual([
      [online, 'delivered', null],
      [offline, 'queued', null],
      [muted, 'skipped', `topic "${topic}" is off (the user's choice)`],
      [noCategory, 'skipped', `category "${key}" is off (the user's choice)`],
    ]);
    expect(list.nextCursor).toBeNull();
    expect(list.items[1]).toMatchObject({ seq: null, sentAt: null, deliveredAt: null, push: [] });

    // Pages by user id, and a filter reads the whole audience for its page.
    const first = await api('GET', `/v1/notifications/${sent.id}/recipients?limit=2`);
    expect(first.body.items.map((r: { userId: string }) => r.userId)).toEqual([online, offline]);
    const rest = await api('GET', `/v1/notifications/${sent.id}/recipients?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.items.map((r: { userId: string }) => r.userId)).toEqual([muted, noCategory]);
    const skipped = await api('GET', `/v1/notifications/${sent.id}/recipients?status=skipped&limit=1`);
    expect(skipped.body.items.map((r: { userId: string }) => r.userId)).toEqual([muted]);
    const next = await api(
      'GET',
      `/v1/notifications/${sent.id}/recipients?status=skipped&limit=1&cursor=${skipped.body.nextCursor}`,
    );
    expect(next.body.items.map((r: { userId: string }) => r.userId)).toEqual([noCategory]);

    // Leaving the topic afterwards does not take a member out of a send they were in.
    await api('DELETE', `/v1/topics/${topic}/subscribers`, { userIds: [offline] });
    const after = await api('GET', `/v1/notifications/${sent.id}/recipients`);
    expect(after.body.items.map((r: { userId: string }) => r.userId)).toEqual([online, offline, muted, noCategory]);

    // Cancelled: who had nothing yet is cancelled; the receipt stays.
    expect((await api('POST', `/v1/notifications/${sent.id}/cancel`)).status).toBe(200);
    const cancelled = await api('GET', `/v1/notifications/${sent.id}/recipients`);
    expect(cancelled.body.items.map((r: { status: string }) => r.status)).toEqual([
      'delivered',
      'cancelled',
      'skipped',
      'skipped',
    ]);
    d.socket.disconnect();
  });
});

describe('the recipient list of a large topic send', () => {
  /** A topic of `size` members in user-id order, the last of whom turned it off, and a send to it. */
  async function crowd(size: number) {
    const topic = `crowd-${uid()}`;
    const run = uid();
    const users = Array.from({ length: size }, (_, i) => `m${String(i).padStart(5, '0')}-${run}`);
    for (let i = 0; i < users.length; i += 1000) {
      expect((await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: users.slice(i, i + 1000) })).status).toBe(
        200,
      );
    }
    const last = users.at(-1) as string;
    await prefer(last, { topics: { [topic]: 'off' } });
    const sent = await send({ to: { topic }, title: 'To the crowd' });
    await dispatched(sent.id);
    return { topic, users, last, sent };
  }

  it('finds, through a status filter, a member past the first thousand', async () => {
    const { topic, users, last, sent } = await crowd(1500);
    const skipped = await api('GET', `/v1/notifications/${sent.id}/recipients?status=skipped`);
    expect(skipped.body).toEqual({
      items: [expect.objectContaining({ userId: last, reason: `topic "${topic}" is off (the user's choice)` })],
      nextCursor: null,
    });
    const page = await api('GET', `/v1/notifications/${sent.id}/recipients?limit=500&cursor=${users[999]}`);
    expect(page.body.items.map((r: { userId: string }) => r.userId)).toEqual(users.slice(1000));
  });

  it('reads at most twenty thousand members for a filtered page, which then says where to go on', async () => {
    const { users, last, sent } = await crowd(20_500);
    // The first twenty thousand hold nobody skipped: an empty page that goes on after them.
    const first = await api('GET', `/v1/notifications/${sent.id}/recipients?status=skipped`);
    expect(first.body).toEqual({ items: [], nextCursor: users[19_999] });
    const next = await api(
      'GET',
      `/v1/notifications/${sent.id}/recipients?status=skipped&cursor=${first.body.nextCursor}`,
    );
    expect(next.body).toEqual({
      items: [expect.objectContaining({ userId: last, status: 'skipped' })],
      nextCursor: null,
    });
  }, 60_000);
});

describe('the recipient list of a broadcast', () => {
  it('lists every user the app knew when it was accepted, and nobody who came after', async () => {
    const early = `early-${uid()}`;
    await prefer(early, { quietHours: null }); // makes the user known to the app
    const sent = await send({ to: { broadcast: true }, title: 'To everyone' });
    await dispatched(sent.id);
    const late = `late-${uid()}`;
    await prefer(late, { quietHours: null });
    const listed: Array<{ userId: string; status: string }> = [];
    let cursor: string | null = null;
    do {
      const res = await api(
        'GET',
        `/v1/notifications/${sent.id}/recipients?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      listed.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(listed).toHaveLength(sent.recipients);
    expect(listed.find((r) => r.userId === early)).toMatchObject({ status: 'queued' });
    expect(listed.some((r) => r.userId === late)).toBe(false);
  });
});

describe('quiet hours and changes', () => {
  it('silences popups inside quiet hours, live and in catch-up, and an open device follows a change at once', async () => {
    const user = `night-${uid()}`;
    await prefer(user, { quietHours: quietAroundNow(true) });
    const d = await device(user);
    const first = await send({ to: { userId: user }, title: 'At night' });
    await eventually(async () => d.got.length === 1);
    expect(d.got[0]).toMatchObject({ id: first.id, silent: true });

    // Changed from the device itself: effective for the next send, no reconnect.
    const reply = (await d.socket.emitWithAck('preferences:set', {
      quietHours: quietAroundNow(false),
    })) as PreferencesReply;
    expect(reply).toMatchObject({ ok: true, preferences: { quietHours: quietAroundNow(false) } });
    expect(Array.isArray(reply.categories)).toBe(true);
    const second = await send({ to: { userId: user }, title: 'By day' });
    await eventually(async () => d.got.length === 2);
    expect(d.got[1]).toMatchObject({ id: second.id, silent: false });

    // Changed by the backend (REST) while the device is open: the same.
    await prefer(user, { quietHours: quietAroundNow(true) });
    const third = await send({ to: { userId: user }, title: 'Night again' });
    await eventually(async () => d.got.length === 3);
    expect(d.got[2]).toMatchObject({ id: third.id, silent: true });

    // Catch-up of what a device missed is silenced too.
    d.socket.disconnect();
    const missed = await send({ to: { userId: user }, title: 'Missed' });
    await dispatched(missed.id);
    const back = await device(user);
    expect(back.got.find((n) => n.id === missed.id)).toMatchObject({ replay: true, silent: true });

    const refused = (await back.socket.emitWithAck('preferences:set', { categories: { nope: 'off' } })) as {
      ok: boolean;
      code: string;
    };
    expect(refused).toMatchObject({ ok: false, code: 'HERALD_ERR_CATEGORY_NOT_FOUND' });
    expect(await back.socket.emitWithAck('preferences:set', { quietHours: 'always' })).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
    });
    // Text PostgreSQL cannot store is refused as REST refuses it, not answered as an internal error.
    for (const categories of [{ 'a\u0000': 'popup' }, { 'a\u0000': null }, { '\ud800': 'off' }]) {
      expect(await back.socket.emitWithAck('preferences:set', { categories })).toMatchObject({
        ok: false,
        code: 'HERALD_ERR_VALIDATION',
        message: expect.stringMatching(/^categories\..* contains a NUL character or an unpaired surrogate/),
      });
    }
    // Sent without a payload, it says what it needs.
    expect(await back.socket.emitWithAck('preferences:set')).toMatchObject({
      ok: false,
      code: 'HERALD_ERR_VALIDATION',
      message: expect.stringMatching(/^"preferences:set" needs \{ categories\?/),
    });
    back.socket.disconnect();
  });

  it('applies a category’s new default to the next send at once', async () => {
    const key = `tips-${uid()}`;
    await category(key, { name: 'Tips' });
    const topic = `t-${uid()}`;
    const user = `tipped-${uid()}`;
    await api('PUT', `/v1/topics/${topic}/subscribers`, { userIds: [user] });
    const d = await device(user);
    const get = (await d.socket.emitWithAck('preferences:get', {})) as PreferencesReply;
    expect(get.categories.find((c) => c.key === key)).toEqual({
      key,
      name: 'Tips',
      description: null,
      defaultMode: 'popup',
      required: false,
    });
    await category(key, { defaultMode: 'inbox' });
    const sent = await send({ to: { topic }, title: 'Tip', category: key });
    await eventually(async () => d.got.length === 1);
    expect(d.got[0]).toMatchObject({ id: sent.id, silent: true });
    await category(key, { defaultMode: 'off' });
    const off = await send({ to: { topic }, title: 'Tip 2', category: key });
    await dispatched(off.id);
    await settle();
    expect(d.got.map((n) => n.id)).not.toContain(off.id);
    d.socket.disconnect();
  });
});

describe('a category made required after a user turned it off', () => {
  it('shows the mode that applies, inbox, and says the category is required — over REST and the socket', async () => {
    const sec = `sec-${uid()}`;
    const other = `news-${uid()}`;
    await category(sec, { name: 'Security' });
    await category(other, { name: 'News' });
    const user = `was-off-${uid()}`;
    const chosen = { categories: { [sec]: 'off', [other]: 'off' }, topics: {}, quietHours: null };
    expect((await prefer(user, { categories: { [sec]: 'off', [other]: 'off' } })).body).toEqual(chosen);
    await category(sec, { required: true });

    // What applies: a send in it reaches the user's inbox, silently.
    const d = await device(user);
    const sent = await send({ to: { userId: user }, title: 'New sign-in', category: sec });
    await eventually(async () => d.got.length === 1);
    expect(d.got[0]).toMatchObject({ id: sent.id, silent: true });

    // And what is shown says so, wherever it is read.
    const shown = { categories: { [sec]: 'inbox', [other]: 'off' }, topics: {}, quietHours: null, required: [sec] };
    expect((await api('GET', `/v1/users/${user}/preferences`)).body).toEqual(shown);
    const { id: subscriberId } = await stack.db.prisma.subscriber.findFirstOrThrow({ where: { externalId: user } });
    const dashboard = await stack.app.inject({
      url: `/admin/api/subscribers/${subscriberId}`,
      headers: { cookie: await stack.adminCookie('viewer') },
    });
    expect(dashboard.json().preferences).toEqual(shown);
    expect((await prefer(user, { topics: { sports: 'inbox' } })).body).toEqual({
      ...shown,
      topics: { sports: 'inbox' },
    });
    const got = (await d.socket.emitWithAck('preferences:get', {})) as PreferencesReply;
    expect(got.preferences).toEqual({ ...shown, topics: { sports: 'inbox' } });
    expect(got.categories.find((c) => c.key === sec)).toMatchObject({ required: true });
    const set = (await d.socket.emitWithAck('preferences:set', { topics: { sports: null } })) as PreferencesReply;
    expect(set.preferences).toEqual(shown);

    // The user's own choice is kept: once the category is no longer required, it applies again.
    await category(sec, { required: false });
    expect((await api('GET', `/v1/users/${user}/preferences`)).body).toEqual(chosen);
    const again = await send({ to: { userId: user }, title: 'Not required now', category: sec });
    await dispatched(again.id);
    await settle();
    expect(d.got.map((n) => n.id)).not.toContain(again.id);
    d.socket.disconnect();
  });
});
