import { describe, expect, it } from 'vitest';
import { refreshDelay } from '../src/token.js';

describe('refreshDelay', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  const inSeconds = (s: number) => Math.floor(now / 1000) + s;

  it('refreshes a minute before expiry, or at 80% of a short token’s life', () => {
    expect(refreshDelay(inSeconds(600), 0, now)).toBe(540_000);
    expect(refreshDelay(inSeconds(10), 0, now)).toBe(8000);
  });

  it('goes by the server clock when this device’s is off', () => {
    // The device is an hour fast: `now` by its clock is an hour past the server's.
    expect(refreshDelay(inSeconds(600), 3_600_000, now + 3_600_000)).toBe(540_000);
  });

  it('waits at least a second for a stale token, and at most what a timer can wait', () => {
    expect(refreshDelay(inSeconds(-3600), 0, now)).toBe(1000);
    expect(refreshDelay(100_000_000_000, 0, now)).toBe(2 ** 31 - 1);
  });
});
