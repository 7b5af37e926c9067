import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StateContext } from '../src/codes.js';
import { backoff, Connection, refusal } from '../src/connection.js';
import type { Emit, TokenSource } from '../src/types.js';
import { fakeSocket } from './fake-socket.js';

/** A browser window whose `online`/`offline` events the test fires. */
function fakeWindow() {
  const listeners = new Map<string, Set<() => void>>();
  return {
    addEventListener: (type: string, listener: () => void) => {
      listeners.set(type, (listeners.get(type) ?? new Set()).add(listener));
    },
    removeEventListener: (type: string, listener: () => void) => void listeners.get(type)?.delete(listener),
    fire: (type: string) => {
      for (const listener of listeners.get(type) ?? []) listener();
    },
  };
}

const label = (s: StateContext) =>
  `${s.state}${s.code === undefined ? '' : `:${s.code}`}${s.error ? ` ${s.error}` : ''}`;

/** A connection over a fake socket; `log` records its hooks and `state` events in the order they came. */
function open(token: TokenSource = 't', extra: { appId?: string; active?: boolean } = {}) {
  const fake = fakeSocket();
  fake.socket.active = extra.active ?? true;
  const win = fakeWindow();
  const log: string[] = [];
  const errors: string[] = [];
  const emit: Emit = (event, ...args) => {
    if (event === 'state') log.push(`state ${label(args[0] as StateContext)}`);
    if (event === 'error') errors.push(`${(args[0] as { code?: string }).code}: ${(args[0] as Error).message}`);
  };
  const handshake = vi.fn((_token: string) => ({ since: 7, streams: {} }));
  const connection = new Connection(
    'http://h',
    { token, appId: extra.appId, io: fake.io as never, window: win as never },
    emit,
    {
      handshake,
      connected: () => log.push('connected'),
      disconnected: () => log.push('disconnected'),
      refused: (code) => log.push(`refused ${code}`),
    },
  );
  const refuse = (code?: string, retryAfterMs?: number) =>
    fake.fire('connect_error', Object.assign(new Error(`refused: ${code}`), { data: { code, retryAfterMs } }));
  return { fake, win, log, errors, handshake, connection, refuse };
}

describe('Connection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits state only when the state, its code or the server error code changes, yet keeps the latest reason', () => {
    const { fake, log, connection, refuse } = open(async () => 'h.e30.s');
    fake.fire('connect_error', new Error('xhr poll error'));
    fake.fire('connect_error', new Error('websocket error'));
    expect(connection.stateContext).toMatchObject({
      state: 'disconnected',
      code: 6,
      reason: 'Connection failed (websocket error)',
      retryInMs: expect.any(Number),
    });
    fake.fire('connect');
    fake.fire('connect');
    fake.socket.active = false;
    refuse('HERALD_ERR_TOKEN_INVALID');
    refuse('HERALD_ERR_TOKEN_EXPIRED');
    refuse('HERALD_ERR_TOKEN_EXPIRED');
    expect(log.filter((l) => l.startsWith('state'))).toEqual([
      'state connecting',
      'state disconnected:6',
      'state connected',
      'state disconnected:3 HERALD_ERR_TOKEN_INVALID',
      'state disconnected:3 HERALD_ERR_TOKEN_EXPIRED',
    ]);
    connection.disconnect();
  });

  it('tells the catch-up it is connected before the page hears so, and that it closed before the page hears that', () => {
    const { fake, log, connection } = open();
    fake.fire('connect');
    fake.fire('disconnect', 'transport close');
    expect(log).toEqual(['state connecting', 'connected', 'state connected', 'disconnected', 'state disconnected:2']);
    vi.advanceTimersByTime(connection.stateContext.retryInMs as number);
    expect(log.at(-1)).toBe('state connecting:2');
    expect(connection.state).toBe('connecting');
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
  });

  it('retries a server it cannot reach itself, with backoff, and says each time when the next attempt comes', () => {
    const { fake, log, connection } = open();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      fake.fire('connect_error', new Error('websocket error'));
      expect(connection.stateContext).toMatchObject({ state: 'disconnected', code: 6 });
      const delay = connection.stateContext.retryInMs as number;
      delays.push(delay);
      vi.advanceTimersByTime(delay - 1);
      expect(fake.socket.connect).toHaveBeenCalledTimes(attempt);
      vi.advanceTimersByTime(1);
      expect(fake.socket.connect).toHaveBeenCalledTimes(attempt + 1);
      expect(connection.state).toBe('connecting');
    }
    // 1 s doubling, each with up to half off.
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(500 * 2 ** i);
      expect(d).toBeLessThanOrEqual(1000 * 2 ** i);
    });
    expect(log.filter((l) => l.startsWith('state'))).toEqual([
      'state connecting',
      ...Array.from({ length: 4 }, () => ['state disconnected:6', 'state connecting:6']).flat(),
    ]);
    fake.fire('connect');
    expect(connection.state).toBe('connected');
    connection.disconnect();
  });

  it.each([
    // code, token function?, state code, stops?
    ['HERALD_ERR_TOKEN_EXPIRED', false, 3, true],
    ['HERALD_ERR_TOKEN_EXPIRED', true, 3, false],
    ['HERALD_ERR_TOKEN_REVOKED', false, 3, true],
    ['HERALD_ERR_ORIGIN_FORBIDDEN', true, 5, true],
    ['HERALD_ERR_APP_UNKNOWN', true, 5, true],
    ['HERALD_ERR_TOKEN_TOO_LONG_LIVED', true, 5, true],
    ['HERALD_ERR_UNAVAILABLE', false, 6, false],
    ['HERALD_ERR_RATE_LIMITED', false, 6, false],
    ['HERALD_ERR_CURSOR_INVALID', false, 3, false],
    [undefined, false, 3, true],
  ] as const)(
    'a handshake refused with %s (token function: %s) is disconnected:%i, stopped: %s',
    (code, fn, state, stops) => {
      expect(refusal(code ?? 'HERALD_ERR_CONNECT', fn)).toEqual({ stop: stops, code: state });
      const { fake, log, connection, refuse } = open(fn ? async () => 'h.e30.s' : 't', { active: false });
      refuse(code);
      expect(log).toContain(`refused ${code ?? 'HERALD_ERR_CONNECT'}`);
      expect(connection.stateContext).toMatchObject({
        state: 'disconnected',
        code: state,
        error: code ?? 'HERALD_ERR_CONNECT',
      });
      expect(connection.stateContext.retryInMs === undefined).toBe(stops);
      vi.advanceTimersByTime(60_000);
      expect(fake.socket.connect).toHaveBeenCalledTimes(stops ? 0 : 1);
      expect(connection.state).toBe(stops ? 'disconnected' : 'connecting');
      connection.disconnect();
    },
  );

  it('says offline at once, and when back online skips the backoff, until disconnect() stops listening', () => {
    const { fake, win, connection, refuse } = open(async () => 'h.e30.s', { active: false });
    refuse('HERALD_ERR_UNAVAILABLE');
    win.fire('offline');
    expect(connection.stateContext).toEqual({ state: 'disconnected', code: 1, reason: 'browser offline' });
    win.fire('online');
    expect(connection.stateContext).toEqual({ state: 'connecting', code: 1, reason: 'browser back online' });
    expect(fake.socket.io.disconnect).toHaveBeenCalledTimes(1);
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    // The pending retry was cancelled: nothing connects a second time.
    vi.advanceTimersByTime(60_000);
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);

    connection.disconnect();
    expect(connection.stateContext).toMatchObject({ state: 'disconnected', code: 0 });
    win.fire('online');
    win.fire('offline');
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    expect(connection.stateContext).toMatchObject({ state: 'disconnected', code: 0 });

    // connect() after disconnect() listens again, once.
    connection.connect();
    win.fire('offline');
    expect(connection.stateContext).toEqual({ state: 'disconnected', code: 1, reason: 'browser offline' });
    win.fire('online');
    expect(fake.socket.connect).toHaveBeenCalledTimes(3);
  });

  it('offline, tries only as often as backoff ever waits, and back online makes one attempt with no made-up close', () => {
    const { fake, win, log, connection } = open(async () => 'h.e30.s');
    fake.fire('connect');
    // The network goes: the browser says so, then the transport notices (or the other way round).
    vi.stubGlobal('navigator', { onLine: false });
    try {
      win.fire('offline');
      fake.fire('disconnect', 'transport close');
      // One attempt now and then (the browser may be wrong), not the usual backoff from 1 s.
      expect(connection.stateContext).toMatchObject({ state: 'disconnected', code: 2, retryInMs: 30_000 });
      vi.advanceTimersByTime(29_000);
      expect(fake.socket.connect).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
    // Back online: the hanging attempt is dropped (socket.io-client says "forced close"), then one attempt.
    log.length = 0;
    fake.socket.io.disconnect.mockImplementation(() => fake.fire('disconnect', 'forced close'));
    win.fire('online');
    expect(log).toEqual(['disconnected', 'state connecting:1']);
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(120_000);
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    connection.disconnect();
  });

  it('comes back after a close it did not cause, whatever socket.io-client calls it (an engine closed elsewhere: "forced close")', () => {
    const { fake, connection } = open(async () => 'h.e30.s');
    fake.fire('connect');
    fake.fire('disconnect', 'forced close');
    expect(connection.stateContext).toMatchObject({ state: 'disconnected', code: 2 });
    expect(connection.stateContext.retryInMs).toBeGreaterThan(0);
    vi.advanceTimersByTime(60_000);
    expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    connection.disconnect();
  });

  it('puts off an attempt it had planned when the browser goes offline', () => {
    const { fake, win, connection } = open(async () => 'h.e30.s');
    fake.fire('connect');
    fake.fire('disconnect', 'transport close');
    expect(connection.stateContext.retryInMs).toBeGreaterThan(0);
    vi.stubGlobal('navigator', { onLine: false });
    try {
      win.fire('offline');
      vi.advanceTimersByTime(29_000);
      expect(fake.socket.connect).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1_000);
      expect(fake.socket.connect).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
    connection.disconnect();
  });

  it('sends the token with the catch-up cursor and the app id in the handshake', async () => {
    const token = 'h.eyJzdWIiOiJ1In0.s';
    const { fake, handshake } = open(async () => token, { appId: 'shop' });
    expect(await fake.auth()).toEqual({ token, since: 7, streams: {}, appId: 'shop' });
    expect(handshake).toHaveBeenCalledWith(token);
  });

  it('reports a failing token source once, and names it as the reason of the refusal that follows', async () => {
    const { fake, errors, handshake, connection, refuse } = open(
      async () => {
        throw new Error('The backend is down.');
      },
      { active: false },
    );
    expect(await fake.auth()).toEqual({ token: '' });
    expect(handshake).not.toHaveBeenCalled();
    refuse('HERALD_ERR_TOKEN_MISSING');
    expect(errors).toEqual(['HERALD_ERR_TOKEN_SOURCE: The backend is down.']);
    expect(connection.stateContext).toMatchObject({
      state: 'disconnected',
      code: 3,
      reason: 'The backend is down.',
      error: 'HERALD_ERR_TOKEN_SOURCE',
    });
    expect(connection.stateContext.retryInMs).toBeGreaterThan(0);
    connection.disconnect();
  });

  it('after a server-side close, waits at least as long as the server asked', () => {
    const { fake, connection } = open('t');
    fake.fire('connect');
    fake.socket.active = false;
    fake.fire('closing', {
      code: 'HERALD_ERR_RATE_LIMITED',
      message: 'Slow down.',
      reconnect: true,
      retryAfterMs: 45_000,
    });
    fake.fire('disconnect', 'io server disconnect');
    expect(connection.stateContext).toEqual({
      state: 'disconnected',
      code: 4,
      reason: 'Slow down.',
      error: 'HERALD_ERR_RATE_LIMITED',
      retryInMs: 45_000,
    });
    vi.advanceTimersByTime(44_999);
    expect(fake.socket.connect).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(connection.stateContext).toMatchObject({ state: 'connecting', code: 4, error: 'HERALD_ERR_RATE_LIMITED' });
    connection.disconnect();
  });
});

describe('backoff', () => {
  it('doubles from 1 s to a 30 s ceiling, jittered between half and all of it, never before the server allows', () => {
    expect([0, 1, 2, 4, 5, 20].map((n) => backoff(n, 0, 0))).toEqual([500, 1000, 2000, 8000, 15_000, 15_000]);
    expect([0, 1, 2, 4, 5, 20].map((n) => backoff(n, 0, 1))).toEqual([1000, 2000, 4000, 16_000, 30_000, 30_000]);
    expect(backoff(0, 45_000, 1)).toBe(45_000);
  });
});
