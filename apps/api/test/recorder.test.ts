import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { DeliveryRecorder } from '../src/delivery/recorder.js';
import type { Sql } from '../src/platform/db/database.js';

/** A database whose statements wait until the test lets each one finish. */
function heldDatabase() {
  const held: Array<{ ids: string[]; browsers: boolean; released: boolean; release: () => void }> = [];
  const sql: Sql = {
    query: <T>(text: string, params: unknown[] = []) =>
      new Promise<T[]>((resolve) => {
        const w = {
          ids: params[1] as string[],
          browsers: text.includes('push_deliveries'),
          released: false,
          release: () => {
            w.released = true;
            resolve([]);
          },
        };
        held.push(w);
      }),
  };
  return { sql, held };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('delivery recorder', () => {
  it('keeps two writes in flight at most: acks arriving meanwhile join the next write, and flush waits for all', async () => {
    const { sql, held } = heldDatabase();
    const recorder = new DeliveryRecorder(sql, { maxBatch: 500, maxDelayMs: 1 });
    const notificationId = randomUUID();
    // A broadcast's acks from 3,000 sockets, faster than the database answers.
    for (let i = 0; i < 3000; i++) recorder.record('delivered', notificationId, `sub-${i}`, 'stream');
    await settle();
    expect(held.map((w) => w.ids.length)).toEqual([500, 500]);

    let flushed = false;
    const flushing = recorder.flush().then(() => {
      flushed = true;
    });
    await settle();
    expect(held).toHaveLength(2);
    // A slot frees: the 2,000 that waited go in one statement.
    held[0]?.release();
    await settle();
    expect(held.map((w) => w.ids.length)).toEqual([500, 500, 2000]);
    expect(held[2]?.ids[0]).toBe('sub-1000');
    held[1]?.release();
    await settle();
    expect(flushed).toBe(false);
    held[2]?.release();
    await flushing;
    expect(flushed).toBe(true);
    // Every ack went to the database exactly once.
    const written = held.flatMap((w) => w.ids);
    expect(new Set(written).size).toBe(3000);
    expect(written).toHaveLength(3000);
  });

  it('writes what piled up behind a slow database in statements of at most 5,000', async () => {
    const { sql, held } = heldDatabase();
    const recorder = new DeliveryRecorder(sql, { maxBatch: 500, maxDelayMs: 1, maxInflight: 1 });
    const notificationId = randomUUID();
    for (let i = 0; i < 12_500; i++) recorder.record('delivered', notificationId, `sub-${i}`, 'stream');
    const flushing = recorder.flush();
    for (let round = 0; round < 4; round++) {
      await settle();
      held.at(-1)?.release();
    }
    await flushing;
    expect(held.map((w) => w.ids.length)).toEqual([500, 5000, 5000, 2000]);
  });

  it('writes the browsers tabs acked for in turn with the receipts, under a steady flow of acks', async () => {
    const { sql, held } = heldDatabase();
    const recorder = new DeliveryRecorder(sql, { maxBatch: 10, maxDelayMs: 1 });
    const flushes = vi.spyOn(recorder, 'flush');
    const notificationId = randomUUID();
    let n = 0;
    const ack = () => {
      const s = `sub-${n++}`;
      recorder.record('delivered', notificationId, s, 'stream');
      recorder.recordBrowser(notificationId, `ps-${s}`, 'app', s);
    };
    // The database answers one statement at a time while acks keep coming.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 5; i++) ack();
      await settle();
      held.find((w) => !w.released)?.release();
    }
    const browserWrites = held.filter((w) => w.browsers).length;
    expect(browserWrites).toBeGreaterThanOrEqual(10);
    // The timer starts writes; it does not start a flush() that waits for all (one per tick, piling up).
    expect(flushes).not.toHaveBeenCalled();
    const flushing = recorder.flush();
    for (let i = 0; i < 200 && held.some((w) => !w.released); i++) {
      for (const w of held) if (!w.released) w.release();
      await settle();
    }
    await flushing;
    const browsers = held.filter((w) => w.browsers).flatMap((w) => w.ids);
    const receipts = held.filter((w) => !w.browsers).flatMap((w) => w.ids);
    expect([browsers.length, new Set(browsers).size, receipts.length]).toEqual([250, 250, 250]);
  });
});
