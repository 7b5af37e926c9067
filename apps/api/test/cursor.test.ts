import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keysetPage, timeCursor, toTimeCursor } from '../src/platform/lib/cursor.js';

describe('keyset pages', () => {
  it("return the first `limit` rows, and the last one's cursor only when the extra row says more follow", () => {
    expect(keysetPage([1, 2, 3], 2, (n) => n * 10)).toEqual({ page: [1, 2], nextCursor: 20 });
    expect(keysetPage([1, 2], 2, (n) => n * 10)).toEqual({ page: [1, 2], nextCursor: null });
    expect(keysetPage([], 2, (n: number) => n)).toEqual({ page: [], nextCursor: null });
  });

  it('write a newest-first cursor that timeCursor reads back, and nothing else', () => {
    const row = { createdAt: new Date('2026-12-01T10:00:00.123Z'), id: randomUUID() };
    expect(timeCursor(toTimeCursor(row))).toEqual({ at: row.createdAt, id: row.id });
    expect(() => timeCursor(`2026-12-01T10:00:00Z|${row.id}`)).toThrow(/cursor/i);
  });
});
