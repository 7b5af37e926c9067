import { describe, expect, it } from 'vitest';
import { SeenIds } from '../src/seen.js';
import { SafeStore } from '../src/storage.js';
import { memoryStorage } from './memory-storage.js';

const PREFIX = 'herald:seen:https://push.example.com';

describe('SeenIds', () => {
  it('keeps the ids two tabs record at the same time, so a third tab knows both', () => {
    const storage = memoryStorage();
    const tabA = new SeenIds(new SafeStore(storage), PREFIX);
    const tabB = new SeenIds(new SafeStore(storage), PREFIX);
    expect(tabA.add('x')).toBe(true);
    expect(tabB.add('y')).toBe(true);
    expect(tabB.add('x')).toBe(false);
    const tabC = new SeenIds(new SafeStore(storage), PREFIX);
    expect(tabC.add('x')).toBe(false);
    expect(tabC.add('y')).toBe(false);
    expect(tabC.add('z')).toBe(true);
  });

  it('takes over the list that earlier versions kept, and removes it', () => {
    const storage = memoryStorage();
    storage.setItem(PREFIX, JSON.stringify(['old-1', 'old-2']));
    const seen = new SeenIds(new SafeStore(storage), PREFIX);
    expect(seen.add('old-1')).toBe(false);
    expect(seen.add('new')).toBe(true);
    expect(storage.getItem(PREFIX)).toBeNull();
  });

  it('forgets entries older than a week and keeps at most 500, the newest', () => {
    const storage = memoryStorage();
    const now = Date.now();
    storage.setItem(`${PREFIX}:ancient`, String(now - 8 * 24 * 3600 * 1000));
    for (let i = 0; i < 510; i++) storage.setItem(`${PREFIX}:n${i}`, String(now - (510 - i) * 1000));
    storage.setItem('unrelated', 'kept');
    new SeenIds(new SafeStore(storage), PREFIX);
    const kept = [...storage.data.keys()].filter((k) => k.startsWith(`${PREFIX}:`));
    expect(kept).toHaveLength(500);
    expect(kept).not.toContain(`${PREFIX}:ancient`);
    expect(kept).not.toContain(`${PREFIX}:n0`);
    expect(kept).toContain(`${PREFIX}:n509`);
    expect(storage.getItem('unrelated')).toBe('kept');
  });

  it('works without storage (privacy modes), within the page', () => {
    const seen = new SeenIds(new SafeStore(null), PREFIX);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
  });
});
