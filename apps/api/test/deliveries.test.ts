import { randomUUID } from 'node:crypto';
import { notificationPayload } from '@herald/test-support';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  channelDelivery,
  deliveriesChannel,
  localDelivery,
  type Outgoing,
  subscribeDeliveries,
} from '../src/delivery/socket-channel.js';
import {
  createTestDatabase,
  eventually,
  REDIS_URL,
  startStack,
  type TestDatabase,
  type TestStack,
  uid,
} from './helpers.js';

let testDb: TestDatabase;
let stack: TestStack;

beforeAll(async () => {
  testDb = await createTestDatabase('postgres');
  stack = await startStack(testDb, { worker: false });
});
afterAll(async () => {
  await stack?.close();
  await testDb?.cleanup();
});

// Sockets get each recipient's own sequence number; the notification itself has none.
const { seq: _seq, ...personal } = notificationPayload('00000000-0000-4000-8000-000000000001', {
  title: 'Hello',
});
const notification = (recipients: Outgoing['recipients']): Outgoing => ({
  appId: 'default',
  payload: personal,
  recipients,
});

describe('channel delivery (a worker in a cluster)', () => {
  it('carries a whole dispatched batch in one message to every subscribed gateway', async () => {
    const channel = deliveriesChannel(`{herald-test-${uid()}}`);
    const pub = new Redis(REDIS_URL);
    const subs = [new Redis(REDIS_URL), new Redis(REDIS_URL)];
    const received: Outgoing[][] = [[], []];
    const errors: unknown[] = [];
    try {
      await Promise.all(
        subs.map((sub, i) =>
          subscribeDeliveries(
            sub,
            channel,
            async (batch) => {
              received[i]?.push(...batch);
            },
            (e) => errors.push(e),
          ),
        ),
      );
      const publish = vi.spyOn(pub, 'spublish');
      const batch = [
        notification([['u1', 's1', 1]]),
        notification([
          ['u2', 's2', 7],
          ['u3', 's3', 9],
        ]),
      ];
      await channelDelivery(pub, channel)(batch);
      await eventually(async () => received.every((r) => r.length === 2));
      expect(publish).toHaveBeenCalledTimes(1);
      expect(received[0]).toEqual(batch);
      expect(received[1]).toEqual(batch);
      expect(errors).toEqual([]);
    } finally {
      for (const c of [pub, ...subs]) c.disconnect();
    }
  });
});

describe('local delivery (a gateway node)', () => {
  it('emits to the users connected here with their own sequence number, records acks, skips the others', async () => {
    const user = await stack.connectUser('ld-here');
    const got: Array<{ id: string; seq: number }> = [];
    user.on('notification', (payload: { id: string; seq: number }, ack: (r: unknown) => void) => {
      got.push(payload);
      ack({ ok: true });
    });
    const record = vi.spyOn(stack.app.recorder, 'record');
    localDelivery(
      stack.app.io,
      stack.app.recorder,
      2000,
    )([
      notification([
        ['ld-here', 'sub-here', 41],
        ['ld-elsewhere', 'sub-elsewhere', 5],
      ]),
    ]);
    await eventually(async () => record.mock.calls.length === 1);
    expect(got).toEqual([expect.objectContaining({ id: '00000000-0000-4000-8000-000000000001', seq: 41 })]);
    expect(record).toHaveBeenCalledWith('delivered', '00000000-0000-4000-8000-000000000001', 'sub-here', 'row');
    user.disconnect();
  });

  it('marks a row sent, not delivered, when the socket does not ack in time', async () => {
    const user = await stack.connectUser('ld-silent');
    user.on('notification', () => {});
    const record = vi.spyOn(stack.app.recorder, 'record');
    record.mockClear();
    await localDelivery(stack.app.io, stack.app.recorder, 200)([notification([['ld-silent', 'sub-silent', 1]])]);
    await eventually(async () => record.mock.calls.length === 1);
    expect(record).toHaveBeenCalledWith('sent', '00000000-0000-4000-8000-000000000001', 'sub-silent', 'row');
    user.disconnect();
  });
});

describe('a gateway whose deliveries channel dropped', () => {
  it('sends its connected users what is still queued for them once the channel is back', async () => {
    const clustered = await startStack(testDb, { worker: false, clusterAdapter: true });
    const admin = new Redis(REDIS_URL);
    try {
      const got: string[] = [];
      let synced = false;
      const user = await clustered.connectUser('rq-1', {
        // Before it connects: `synced` can come in the same read as the connect itself.
        listen: (socket) => {
          socket.on('synced', () => {
            synced = true;
          });
          socket.on('notification', (payload: { id: string }, ack: (r: unknown) => void) => {
            got.push(payload.id);
            ack({ ok: true });
          });
        },
      });
      // Its catch-up on connect is over, so only the re-send can bring the row written next.
      await eventually(async () => synced);
      // Dispatched while the channel was down: its row is still queued.
      const subscriber = await testDb.db.prisma.subscriber.update({
        where: { appId_externalId: { appId: 'default', externalId: 'rq-1' } },
        data: { lastSeq: { increment: 1 } },
      });
      const id = randomUUID();
      await testDb.db.prisma.notification.create({
        data: { id, appId: 'default', target: { userId: 'rq-1' }, title: 'missed', status: 'dispatched' },
      });
      await testDb.db.prisma.delivery.create({
        data: { notificationId: id, subscriberId: subscriber.id, seq: subscriber.lastSeq },
      });

      const name = `herald:gateway:deliveries:${clustered.config.queuePrefix}`;
      const clients = String(await admin.client('LIST'));
      const line = clients.split('\n').find((l) => l.includes(`name=${name} `));
      expect(line).toBeDefined();
      expect(got).toEqual([]);
      await admin.client('KILL', 'ID', line?.match(/^id=(\d+)/)?.[1] ?? '');

      await eventually(async () => got.includes(id));
      await eventually(async () => {
        const row = await testDb.db.prisma.delivery.findFirstOrThrow({ where: { notificationId: id } });
        return row.status === 'delivered';
      });
      // And the channel is subscribed again: the next dispatched batch arrives as usual.
      const next = notification([['rq-1', subscriber.id, subscriber.lastSeq + 1]]);
      next.payload = { ...next.payload, id: randomUUID() };
      await channelDelivery(admin, deliveriesChannel(clustered.config.queuePrefix))([next]);
      await eventually(async () => got.includes(next.payload.id));
      user.disconnect();
    } finally {
      admin.disconnect();
      await clustered.close();
    }
  });
});
