import type { Category, Preferences, PreferencesReply } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { HeraldClient } from '../src/client.js';
import { fakeSocket } from './fake-socket.js';

const categories: Category[] = [
  { key: 'billing', name: 'Billing', description: 'Invoices and receipts', defaultMode: 'popup', required: true },
  { key: 'marketing', name: 'Offers', description: null, defaultMode: 'inbox', required: false },
];
const stored: Preferences = {
  categories: { marketing: 'off' },
  topics: { launches: 'inbox' },
  quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Paris' },
};

function client(requests: Record<string, (payload: unknown) => unknown>) {
  const fake = fakeSocket(requests);
  const herald = new HeraldClient({
    url: 'http://herald.test',
    token: 't',
    io: fake.io as never,
    Notification: null,
    storage: null,
    syncIntervalMs: 0,
  });
  return { herald, fake };
}

describe('HeraldClient preferences', () => {
  it('get asks preferences:get with an empty request and resolves with the preferences and the categories', async () => {
    const reply: PreferencesReply = { ok: true, preferences: stored, categories };
    const { herald, fake } = client({ 'preferences:get': () => reply });
    await expect(herald.preferences.get()).resolves.toEqual({ preferences: stored, categories });
    expect(fake.asked).toEqual([['preferences:get', {}]]);
    herald.disconnect();
  });

  it('set sends the patch as given (null forgets a choice) and resolves with everything as it is now', async () => {
    const after: Preferences = { ...stored, categories: {}, quietHours: null };
    const { herald, fake } = client({
      'preferences:set': () => ({ ok: true, preferences: after, categories }) satisfies PreferencesReply,
    });
    const patch = { categories: { marketing: null }, quietHours: null };
    await expect(herald.preferences.set(patch)).resolves.toEqual({ preferences: after, categories });
    expect(fake.asked).toEqual([['preferences:set', { categories: { marketing: null }, quietHours: null }]]);
    herald.disconnect();
  });

  it('topics() reads every page the server hands out, and one page from a server that does not page', async () => {
    const pages: Record<string, { topics: string[]; nextCursor: string | null }> = {
      '': { topics: ['a', 'b'], nextCursor: 'b' },
      b: { topics: ['c', 'd'], nextCursor: 'd' },
      d: { topics: ['e'], nextCursor: null },
    };
    const { herald, fake } = client({
      'topics:list': (request) => ({ ok: true, ...pages[(request as { after?: string }).after ?? ''] }),
    });
    await expect(herald.topics()).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fake.asked).toEqual([
      ['topics:list', {}],
      ['topics:list', { after: 'b' }],
      ['topics:list', { after: 'd' }],
    ]);
    herald.disconnect();
    const old = client({ 'topics:list': () => ({ ok: true, topics: ['x'] }) });
    await expect(old.herald.topics()).resolves.toEqual(['x']);
    expect(old.fake.asked).toEqual([['topics:list', {}]]);
    old.herald.disconnect();
  });

  it('rejects a refusal with an Error carrying its code and sentence, as the topics methods do', async () => {
    const refusal = {
      ok: false,
      code: 'HERALD_ERR_CATEGORY_REQUIRED',
      message: 'The category "billing" is required: it cannot be turned off.',
    };
    const { herald } = client({
      'preferences:set': () => refusal,
      'preferences:get': () => refusal,
      'topics:list': () => refusal,
    });
    const reasons = await Promise.all(
      [herald.preferences.set({ categories: { billing: 'off' } }), herald.preferences.get(), herald.topics()].map((p) =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(Error);
      expect(reason).toMatchObject({ code: refusal.code, message: refusal.message });
    }
    herald.disconnect();
  });

  it('rejects with HERALD_ERR_REQUEST when the server answers without a reply it understands', async () => {
    const { herald } = client({ 'preferences:get': () => undefined });
    await expect(herald.preferences.get()).rejects.toMatchObject({
      code: 'HERALD_ERR_REQUEST',
      message: '"preferences:get" failed',
    });
    herald.disconnect();
  });
});
