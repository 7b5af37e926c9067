/**
 * Script-tag entry: `<script src="https://<herald>/sdk.js"></script>` defines one global, `Herald`.
 *
 *   Herald.init({ token })              // url defaults to where sdk.js came from
 *   button.onclick = () => Herald.requestPermission()
 *   Herald.on('notification', (n) => …)
 */
import { HeraldClient, type HeraldEvents, type HeraldOptions } from './client.js';
import { DisconnectCode } from './codes.js';

declare const __VERSION__: string;

let client: HeraldClient | undefined;
const early: Array<[keyof HeraldEvents, HeraldEvents[keyof HeraldEvents]]> = [];

const Herald = {
  version: __VERSION__,
  DisconnectCode,
  /** Connects (once; a second call replaces the first connection). */
  init(options: HeraldOptions): HeraldClient {
    client?.disconnect();
    client = new HeraldClient(options);
    for (const [event, listener] of early) client.on(event, listener);
    return client;
  },
  /** Asks for popup permission; call from a click handler. Works before `init` too. */
  requestPermission(): Promise<NotificationPermission | 'unsupported'> {
    if (client) return client.requestPermission();
    if (typeof Notification === 'undefined') return Promise.resolve('unsupported');
    return Notification.requestPermission();
  },
  /** Listens to client events; listeners added before `init` are kept. */
  on<K extends keyof HeraldEvents>(event: K, listener: HeraldEvents[K]): () => void {
    early.push([event, listener]);
    const off = client?.on(event, listener);
    return () => {
      const i = early.findIndex(([e, l]) => e === event && l === listener);
      if (i >= 0) early.splice(i, 1);
      off?.();
    };
  },
  get client(): HeraldClient | undefined {
    return client;
  },
  get state() {
    return client?.state ?? 'disconnected';
  },
  disconnect(): void {
    client?.disconnect();
  },
};

(globalThis as unknown as { Herald: typeof Herald }).Herald = Herald;
