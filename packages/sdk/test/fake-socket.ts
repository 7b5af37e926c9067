import { vi } from 'vitest';

type Handler = (...args: unknown[]) => void;

/** A stand-in for socket.io-client's socket: records emits, lets the test fire server events. */
export function fakeSocket(requests: Record<string, (payload: unknown) => unknown> = {}) {
  const handlers = new Map<string, Handler[]>();
  const emitted: Array<[string, unknown]> = [];
  const asked: Array<[string, unknown]> = [];
  const socket = {
    connected: false,
    active: true,
    timeout: () => ({
      emitWithAck: async (event: string, payload: unknown) => {
        asked.push([event, payload]);
        const answer = requests[event];
        if (!answer) throw new Error(`no fake answer for ${event}`);
        return answer(payload);
      },
    }),
    on(event: string, handler: Handler) {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
      return socket;
    },
    emit(event: string, payload: unknown) {
      emitted.push([event, payload]);
      return socket;
    },
    connect: vi.fn(),
    disconnect: vi.fn(),
    /** The Manager: closed to skip its reconnection backoff. */
    io: { disconnect: vi.fn() },
  };
  const fire = (event: string, ...args: unknown[]) => {
    for (const h of handlers.get(event) ?? []) h(...args);
  };
  const io = vi.fn((_url: string, _options: { auth: (cb: (auth: unknown) => void) => void }) => socket);
  /** Runs the handshake's `auth` option, as Socket.IO does on every connection attempt. */
  const auth = () => new Promise((resolve) => io.mock.calls[0]?.[1].auth(resolve));
  return { socket, emitted, asked, fire, io, auth };
}
