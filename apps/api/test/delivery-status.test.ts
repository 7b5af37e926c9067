import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DELIVERY_STATUSES, NOTIFICATION_STATUSES, PRIORITIES } from '@herald/protocol/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../src/admin/bootstrap.js';
import { DeliveryRecorder } from '../src/delivery/recorder.js';
import {
  advance,
  type DeliveryEvent,
  type DeliveryStatus,
  ENDINGS,
  end,
  PENDING,
  STEPS,
  type Step,
  transition,
} from '../src/delivery/status.js';
import { InboxService } from '../src/inbox/inbox.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './helpers.js';

const STATUSES: DeliveryStatus[] = [...STEPS, ...ENDINGS];
// Every event a writer can make: no statement moves a delivery to `skipped` (it is written so).
const EVENTS: DeliveryEvent[] = [...STEPS.filter((s) => s !== 'queued'), ...ENDINGS].filter(
  (e) => e !== 'skipped',
) as DeliveryEvent[];

/** The values of a Prisma enum, in declaration order (the order PostgreSQL compares them in). */
function prismaEnum(name: string): string[] {
  const schema = readFileSync(resolve(import.meta.dirname, '../../../prisma/schema.prisma'), 'utf8');
  const body = schema.match(new RegExp(`enum ${name} \\{([^}]*)\\}`))?.[1] ?? '';
  return body
    .split('\n')
    .map((line) => line.replace(/\/\/.*/, '').trim())
    .filter(Boolean);
}

describe("the database's enums", () => {
  it('are the protocol lists, in the same order (GREATEST and < compare enum values by position)', () => {
    expect(prismaEnum('DeliveryStatus')).toEqual([...DELIVERY_STATUSES]);
    expect(prismaEnum('NotificationStatus')).toEqual([...NOTIFICATION_STATUSES]);
    expect(prismaEnum('Priority')).toEqual([...PRIORITIES]);
  });
});

describe('the delivery status table', () => {
  it('moves forward only, ends only what no device acknowledged, and never leaves an ending', () => {
    // Spelled out rather than derived: this is the rule every writer follows.
    const table: Record<DeliveryStatus, Partial<Record<DeliveryEvent, DeliveryStatus>>> = {
      queued: {
        sent: 'sent',
        delivered: 'delivered',
        displayed: 'displayed',
        clicked: 'clicked',
        read: 'read',
        expired: 'expired',
        failed: 'failed',
        cancelled: 'cancelled',
      },
      sent: {
        sent: 'sent',
        delivered: 'delivered',
        displayed: 'displayed',
        clicked: 'clicked',
        read: 'read',
        expired: 'expired',
        failed: 'sent',
        cancelled: 'cancelled',
      },
      delivered: {
        sent: 'delivered',
        delivered: 'delivered',
        displayed: 'displayed',
        clicked: 'clicked',
        read: 'read',
        expired: 'delivered',
        failed: 'delivered',
        cancelled: 'delivered',
      },
      displayed: {
        sent: 'displayed',
        delivered: 'displayed',
        displayed: 'displayed',
        clicked: 'clicked',
        read: 'read',
        expired: 'displayed',
        failed: 'displayed',
        cancelled: 'displayed',
      },
      clicked: {
        sent: 'clicked',
        delivered: 'clicked',
        displayed: 'clicked',
        clicked: 'clicked',
        read: 'read',
        expired: 'clicked',
        failed: 'clicked',
        cancelled: 'clicked',
      },
      read: {
        sent: 'read',
        delivered: 'read',
        displayed: 'read',
        clicked: 'read',
        read: 'read',
        expired: 'read',
        failed: 'read',
        cancelled: 'read',
      },
      expired: {},
      failed: {},
      cancelled: {},
      skipped: {},
    };
    for (const from of STATUSES) {
      for (const event of EVENTS)
        expect([from, event, transition(from, event)]).toEqual([from, event, table[from][event] ?? from]);
    }
  });
});

describe.each<DatabaseKind>(['postgres', 'pglite'])('delivery status in SQL (%s)', (kind) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase(kind);
    await bootstrap(testDb.db.prisma, { dataDir: testDb.dataDir });
  });
  afterAll(async () => {
    await testDb?.cleanup();
  });

  /** One notification with one delivery per status, each to its own subscriber. */
  async function rowsInEveryStatus(): Promise<{ notificationId: string; subscriberOf: Map<DeliveryStatus, string> }> {
    const notificationId = randomUUID();
    await testDb.db.prisma.notification.create({
      data: { id: notificationId, appId: 'default', target: { userIds: [] }, title: 'T', status: 'dispatched' },
    });
    const subscriberOf = new Map<DeliveryStatus, string>();
    for (const [i, status] of STATUSES.entries()) {
      const subscriberId = randomUUID();
      await testDb.db.prisma.subscriber.create({
        data: { id: subscriberId, appId: 'default', externalId: `st-${notificationId}-${i}`, lastSeq: 1 },
      });
      // Its times as the writers leave them: its own step's or ending's, and delivered_at for any
      // step past it.
      const past = STEPS.indexOf(status as Step) >= STEPS.indexOf('delivered');
      const times = {
        ...(status === 'queued' || status === 'skipped' ? {} : { [`${status}At`]: new Date() }),
        ...(past ? { deliveredAt: new Date() } : {}),
      };
      await testDb.db.prisma.delivery.create({ data: { notificationId, subscriberId, seq: 1, status, ...times } });
      subscriberOf.set(status, subscriberId);
    }
    return { notificationId, subscriberOf };
  }

  const statuses = async (notificationId: string, subscriberOf: Map<DeliveryStatus, string>) => {
    const rows = await testDb.db.prisma.delivery.findMany({ where: { notificationId } });
    return new Map(
      [...subscriberOf].map(([from, sid]) => [
        from,
        rows.find((r) => r.subscriberId === sid)?.status as DeliveryStatus,
      ]),
    );
  };

  it.each(EVENTS)('the statement for %s does what the table says, from every status', async (event) => {
    const { notificationId, subscriberOf } = await rowsInEveryStatus();
    const { set, guard } = (ENDINGS as readonly string[]).includes(event)
      ? end(event as Exclude<(typeof ENDINGS)[number], 'skipped'>)
      : advance(event as Exclude<(typeof STEPS)[number], 'queued'>);
    const changed = await testDb.db.sql.query(
      `UPDATE deliveries d SET ${set} WHERE d.notification_id = $1 AND ${guard} RETURNING d.subscriber_id`,
      [notificationId],
    );
    const after = await statuses(notificationId, subscriberOf);
    for (const from of STATUSES) expect([from, after.get(from)]).toEqual([from, transition(from, event)]);
    // A row changes (and is counted) when its status moves, or when it takes a step it had skipped
    // (its time is stamped): a clicked one that nobody reported displayed, say.
    const isEnding = (s: string) => (ENDINGS as readonly string[]).includes(s);
    const stamped = (from: DeliveryStatus) =>
      from === event || (event === 'delivered' && STEPS.indexOf(from as Step) >= STEPS.indexOf('delivered'));
    const expected = STATUSES.filter(
      (f) => transition(f, event) !== f || (!isEnding(f) && !isEnding(event) && !stamped(f)),
    );
    expect(changed.length).toBe(expected.length);
    // Applied again, nothing changes.
    const again = await testDb.db.sql.query(
      `UPDATE deliveries d SET ${set} WHERE d.notification_id = $1 AND ${guard} RETURNING 1`,
      [notificationId],
    );
    expect(again).toHaveLength(0);
  });

  it('counts a delivery as pending (what catch-up reads above the settled mark) exactly while a writer leaves it queued or sent', async () => {
    for (const event of EVENTS) {
      const { notificationId, subscriberOf } = await rowsInEveryStatus();
      const { set, guard } = (ENDINGS as readonly string[]).includes(event)
        ? end(event as Exclude<(typeof ENDINGS)[number], 'skipped'>)
        : advance(event as Exclude<(typeof STEPS)[number], 'queued'>);
      await testDb.db.sql.query(
        `UPDATE deliveries d SET ${set} WHERE d.notification_id = $1 AND d.subscriber_id = $2 AND ${guard}`,
        [notificationId, subscriberOf.get('queued')],
      );
      const moved = transition('queued', event);
      const expected = ['sent', ...(moved === 'queued' || moved === 'sent' ? [moved] : [])];
      const pending = await testDb.db.sql.query<{ status: string }>(
        `SELECT d.status::text AS status FROM deliveries d WHERE d.notification_id = $1 AND ${PENDING}`,
        [notificationId],
      );
      expect([event, pending.map((r) => r.status).sort()]).toEqual([event, expected.sort()]);
    }
  });

  it('has no index that an ack or a later step changes: every step after the row is written is a heap-only update', async () => {
    const indexed = await testDb.db.sql.query<{ def: string }>(
      `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'deliveries'::regclass`,
    );
    const steps = [
      'status',
      ...[...STEPS.slice(1), ...ENDINGS.filter((e) => e !== 'skipped'), 'closed'].map((c) => `${c}_at`),
    ];
    expect(indexed.length).toBeGreaterThanOrEqual(2);
    for (const { def } of indexed) for (const column of steps) expect(def).not.toMatch(new RegExp(`\\b${column}\\b`));
  });

  it("leaves room on each page for every row's ack: the ack of a burst of deliveries is heap-only (the row stays on its page)", async () => {
    // Written as the intake writes a burst: 400 rows in one statement, filling pages in turn (a
    // subscriber id is a uuid's text, as Herald makes them).
    const notificationId = randomUUID();
    await testDb.db.prisma.notification.create({
      data: { id: notificationId, appId: 'default', target: { userIds: [] }, title: 'T', status: 'dispatched' },
    });
    const subscribers = Array.from({ length: 400 }, () => randomUUID());
    await testDb.db.sql.query(
      `INSERT INTO deliveries (notification_id, subscriber_id, seq, status)
       SELECT $1, s, 1, 'queued' FROM unnest($2::text[]) AS s`,
      [notificationId, subscribers],
    );
    // A row's page: a heap-only update writes its new version on the same page; an update that
    // finds no room there writes it elsewhere, with a new entry in every index of the table.
    const pages = async () =>
      new Map(
        (
          await testDb.db.sql.query<{ subscriber_id: string; page: string }>(
            `SELECT subscriber_id, (ctid::text::point)[0]::text AS page FROM deliveries WHERE notification_id = $1`,
            [notificationId],
          )
        ).map((r) => [r.subscriber_id, r.page]),
      );
    const before = await pages();
    expect(new Set(before.values()).size).toBeGreaterThan(4);
    const errors: unknown[] = [];
    const recorder = new DeliveryRecorder(testDb.db.sql, { maxDelayMs: 1, onError: (e) => errors.push(e) });
    for (const s of subscribers) recorder.record('delivered', notificationId, s, 'row');
    await recorder.flush();
    expect(errors).toEqual([]);
    const statuses = await testDb.db.sql.query<{ status: string; n: number }>(
      `SELECT status::text AS status, count(*)::int AS n FROM deliveries WHERE notification_id = $1 GROUP BY 1`,
      [notificationId],
    );
    expect(statuses).toEqual([{ status: 'delivered', n: 400 }]);
    const after = await pages();
    expect(subscribers.filter((s) => after.get(s) !== before.get(s))).toEqual([]);
    // (The next step, the popup shown, finds room too once the first versions are pruned; but
    // pruning waits for every older transaction in the database, which another test file running
    // at the same time may hold, so that step is not asserted here.)
  });

  it('a late ack never moves a read delivery back, and a read never revives a cancelled one (through the writers)', async () => {
    const { notificationId, subscriberOf } = await rowsInEveryStatus();
    const recorder = new DeliveryRecorder(testDb.db.sql, { maxDelayMs: 1 });
    recorder.record('delivered', notificationId, subscriberOf.get('read') as string);
    recorder.record('displayed', notificationId, subscriberOf.get('cancelled') as string);
    // The gateway's own acks (rows it emitted from), written without looking for missing rows.
    recorder.record('delivered', notificationId, subscriberOf.get('read') as string, 'row');
    recorder.record('sent', notificationId, subscriberOf.get('delivered') as string, 'row');
    recorder.record('delivered', notificationId, subscriberOf.get('cancelled') as string, 'row');
    await recorder.flush();
    const inbox = new InboxService(testDb.db.prisma, testDb.db.sql, () => undefined, 60_000);
    const cancelled = await testDb.db.prisma.subscriber.findUniqueOrThrow({
      where: { id: subscriberOf.get('cancelled') },
    });
    const { changed } = await inbox.markRead(cancelled, [notificationId]);
    expect(changed).toEqual([]);
    const after = await statuses(notificationId, subscriberOf);
    expect(after.get('read')).toBe('read');
    expect(after.get('delivered')).toBe('delivered');
    expect(after.get('cancelled')).toBe('cancelled');
    const row = await testDb.db.prisma.delivery.findFirstOrThrow({
      where: { notificationId, subscriberId: subscriberOf.get('cancelled') },
    });
    expect([row.displayedAt, row.readAt, row.deliveredAt]).toEqual([null, null, null]);
  });
});
