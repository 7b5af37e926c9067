import type { NotificationPayload } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { CatchUp, Cursor } from '../src/catchup.js';
import { Popups } from '../src/popups.js';
import { SeenIds } from '../src/seen.js';
import { SafeStore } from '../src/storage.js';
import type { Emit } from '../src/types.js';
import { memoryStorage } from './memory-storage.js';

/** A JWT-shaped token with these claims. */
const token = (claims: { sub?: string; aud?: string }) => `h.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.s`;

const replay = (id: string, seq: number) => ({ id, seq, title: id, silent: true, replay: true }) as NotificationPayload;

describe('Cursor', () => {
  it('keeps one cursor per server, app and user, in storage', () => {
    const storage = memoryStorage();
    const cursor = new Cursor(new SafeStore(storage), 'herald:cursor:http://h', 'fallback-app');
    cursor.use(token({ sub: 'u1', aud: 'shop' }));
    cursor.save(5);
    cursor.use(token({ sub: 'u2', aud: 'shop' }));
    expect(cursor.value).toBeNull();
    cursor.use(token({ sub: 'u1' }));
    cursor.save(9);
    expect([...storage.data]).toEqual([
      ['herald:cursor:http://h:shop:u1', '5'],
      ['herald:cursor:http://h:fallback-app:u1', '9'],
    ]);
    const again = new Cursor(new SafeStore(storage), 'herald:cursor:http://h', undefined);
    again.use(token({ sub: 'u1', aud: 'shop' }));
    expect(again.value).toBe(5);
    const otherServer = new Cursor(new SafeStore(storage), 'herald:cursor:http://other', undefined);
    otherServer.use(token({ sub: 'u1', aud: 'shop' }));
    expect(otherServer.value).toBeNull();
  });

  it('moves forward only, except to a server head behind it (the server’s sequence restarted)', () => {
    const storage = memoryStorage();
    const cursor = new Cursor(new SafeStore(storage), 'c', undefined);
    cursor.use(token({ sub: 'u', aud: 'a' }));
    cursor.save(5);
    cursor.save(3);
    expect(cursor.value).toBe(5);
    cursor.head(8);
    expect(cursor.value).toBe(8);
    cursor.head(2);
    expect(cursor.value).toBe(2);
    expect(storage.data.get('c:a:u')).toBe('2');
  });

  it('ignores a stored value that is not a sequence number', () => {
    const storage = memoryStorage();
    storage.setItem('c:a:u', 'not a number');
    const cursor = new Cursor(new SafeStore(storage), 'c', undefined);
    cursor.use(token({ sub: 'u', aud: 'a' }));
    expect(cursor.value).toBeNull();
  });
});

describe('CatchUp', () => {
  function catchUp(storage = memoryStorage()) {
    const store = new SafeStore(storage);
    const events: string[] = [];
    const emit: Emit = (event, ...args) => {
      if (event === 'notification') {
        const [n, context] = args as [NotificationPayload, { replay: boolean }];
        events.push(`notification ${n.id}${context.replay ? ' (replay)' : ''}`);
      } else events.push(`${event} ${JSON.stringify(args[0])}`);
    };
    const popups = new Popups(
      null,
      new SeenIds(store, 's'),
      null,
      {},
      () => {},
      () => {},
      () => true,
    );
    const request = () => Promise.reject(new Error('no server'));
    return { events, catchUp: new CatchUp(new Cursor(store, 'c', undefined), popups, request, () => true, emit, 0) };
  }

  it('hands the handshake the stored cursor, and drops it when the server refuses it', () => {
    const storage = memoryStorage();
    storage.setItem('c:a:u', '41');
    const { catchUp: c } = catchUp(storage);
    const t = token({ sub: 'u', aud: 'a' });
    expect(c.handshake(t)).toEqual({ since: 41, streams: {} });
    c.refused('HERALD_ERR_TOKEN_EXPIRED');
    expect(c.handshake(t)).toEqual({ since: 41, streams: {} });
    c.refused('HERALD_ERR_CURSOR_INVALID');
    expect(c.handshake(t)).toEqual({ since: null, streams: {} });
  });

  it('keeps a cursor per stream of topic sends and broadcasts, across page loads, and takes the heads at synced', () => {
    const storage = memoryStorage();
    const t = token({ sub: 'u', aud: 'a' });
    const { catchUp: c } = catchUp(storage);
    c.handshake(t);
    c.connected();
    const replay = (id: string, seq: number, stream?: { name: string; seq: number }) =>
      ({ id, seq, title: id, createdAt: new Date().toISOString(), replay: true, stream }) as never;
    c.receive(replay('n1', 3));
    c.receive(replay('n2', 3, { name: 'news', seq: 7 }));
    c.receive(replay('n3', 3, { name: 'news', seq: 5 }));
    c.receive(replay('n4', 3, { name: '*', seq: 2 }));
    // A stream notification carries the personal position already reached: the cursor stays at 3.
    expect(c.handshake(t)).toEqual({ since: 3, streams: { news: 7, '*': 2 } });
    // Another page load of the same browser starts where this one stands.
    expect(catchUp(storage).catchUp.handshake(t)).toEqual({ since: 3, streams: { news: 7, '*': 2 } });
    // `synced` gives every stream's head; a stream it leaves out is no longer the user's.
    c.synced({ count: 4, head: 3, streams: { news: 9, '*': 2, sport: 1 }, now: Date.now() });
    expect(c.handshake(t)).toEqual({ since: 3, streams: { news: 9, '*': 2, sport: 1 } });
    c.refused('HERALD_ERR_CURSOR_INVALID');
    expect(c.handshake(t)).toEqual({ since: null, streams: {} });
    c.stop();
  });

  it('still hands what arrived of a catch-up the socket lost to the page, then says synced', async () => {
    const { events, catchUp: c } = catchUp();
    c.handshake(token({ sub: 'u', aud: 'a' }));
    c.connected();
    c.receive(replay('a', 1));
    c.receive(replay('b', 2));
    c.receive(replay('a', 1));
    expect(events).toEqual([]);
    c.disconnected();
    await new Promise((r) => setTimeout(r, 0));
    expect(events).toEqual(['notification a (replay)', 'notification b (replay)', 'synced {"count":2,"cursor":2}']);
    c.stop();
  });
});
