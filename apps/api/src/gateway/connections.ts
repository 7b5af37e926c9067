import {
  ClientEvent,
  type ClientToServerEvents,
  type LifecycleReply,
  type LifecycleReport,
  type ServerToClientEvents,
  userRoom,
} from '@herald/protocol';
import type { Server, Socket } from 'socket.io';
import type { DeliveryEvent, DeliveryRecorder } from '../services/delivery-recorder.js';

export interface SocketData {
  appId: string;
  userId: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
  subscriberId: string;
}

export type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

interface GatewayDeps {
  recorder: DeliveryRecorder;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// setTimeout's delay is a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Wires authenticated sockets: joins the user's room, closes the socket when its token expires,
 * and turns lifecycle reports into delivery state.
 */
export function handleConnections(io: GatewayServer, deps: GatewayDeps): void {
  io.on('connection', (socket) => {
    socket.join(userRoom(socket.data.appId, socket.data.userId));
    scheduleExpiry(socket);

    const report = (event: DeliveryEvent) => (payload: LifecycleReport, reply?: (r: LifecycleReply) => void) => {
      const id = (payload as Partial<LifecycleReport> | undefined)?.id;
      if (typeof id !== 'string' || !UUID.test(id)) {
        reply?.({ ok: false, code: 'HERALD_ERR_VALIDATION', message: `"${event}" needs { id: <notification id> }.` });
        return;
      }
      deps.recorder.record(event, id, socket.data.subscriberId);
      reply?.({ ok: true });
    };
    socket.on(ClientEvent.Displayed, report('displayed'));
    socket.on(ClientEvent.Clicked, report('clicked'));
    socket.on(ClientEvent.Read, report('read'));
  });
}

function scheduleExpiry(socket: GatewaySocket): void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const ms = socket.data.exp * 1000 - Date.now();
    if (ms <= 0) {
      socket.disconnect(true);
      return;
    }
    timer = setTimeout(arm, Math.min(ms, MAX_TIMER_MS));
  };
  arm();
  socket.once('disconnect', () => clearTimeout(timer));
}
