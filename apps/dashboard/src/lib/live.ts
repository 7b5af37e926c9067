import type { AdminAccepted, AdminPresenceChange, AdminStats } from '@herald/protocol';
import { ADMIN_NAMESPACE, AdminEvent } from '@herald/protocol';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { io, type Socket } from 'socket.io-client';

type Listener = () => void;

/**
 * The one connection to the `/admin` namespace: counters pushed every few seconds, accepted
 * notifications, delivery changes and presence as they happen. Components subscribe through
 * `LiveController`; nothing in the dashboard polls.
 */
export class LiveFeed {
  stats: AdminStats | undefined;
  connected = false;
  /** Set when the server ended the session behind this channel (signed out elsewhere, removed, expired). */
  ended: string | undefined;
  recent: AdminAccepted[] = [];
  private socket: Socket | undefined;
  private listeners = new Set<Listener>();
  private deliveryListeners = new Set<(ids: string[]) => void>();
  private acceptedListeners = new Set<(n: AdminAccepted) => void>();
  private presenceListeners = new Set<(changes: AdminPresenceChange[]) => void>();

  start(): void {
    if (this.socket) return;
    this.socket = io(ADMIN_NAMESPACE, { transports: ['websocket', 'polling'], withCredentials: true });
    this.socket.on('connect', () => this.set({ connected: true }));
    this.socket.on('disconnect', () => this.set({ connected: false }));
    this.socket.on(AdminEvent.Stats, (stats: AdminStats) => this.set({ stats }));
    this.socket.on(AdminEvent.SessionEnded, ({ message }: { message: string }) => this.set({ ended: message }));
    this.socket.on(AdminEvent.Accepted, (n: AdminAccepted) => {
      this.recent = [n, ...this.recent].slice(0, 20);
      for (const l of this.acceptedListeners) l(n);
      this.changed();
    });
    this.socket.on(AdminEvent.Deliveries, ({ ids }: { ids: string[] }) => {
      for (const l of this.deliveryListeners) l(ids);
    });
    this.socket.on(AdminEvent.Presence, (changes: AdminPresenceChange[]) => {
      for (const l of this.presenceListeners) l(changes);
    });
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = undefined;
    this.set({ connected: false, stats: undefined, ended: undefined });
  }

  private set(patch: Partial<Pick<LiveFeed, 'stats' | 'connected' | 'ended'>>): void {
    Object.assign(this, patch);
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  subscribe(l: Listener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onDeliveries(l: (ids: string[]) => void) {
    this.deliveryListeners.add(l);
    return () => this.deliveryListeners.delete(l);
  }
  onAccepted(l: (n: AdminAccepted) => void) {
    this.acceptedListeners.add(l);
    return () => this.acceptedListeners.delete(l);
  }
  onPresence(l: (changes: AdminPresenceChange[]) => void) {
    this.presenceListeners.add(l);
    return () => this.presenceListeners.delete(l);
  }
}

/** Re-renders its host whenever the live feed changes (and runs optional hooks on events). */
export class LiveController implements ReactiveController {
  private offs: Array<() => void> = [];

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly feed: () => LiveFeed | undefined,
    private readonly hooks: {
      deliveries?: (ids: string[]) => void;
      accepted?: (n: AdminAccepted) => void;
      presence?: (changes: AdminPresenceChange[]) => void;
    } = {},
  ) {
    host.addController(this);
  }

  get value(): LiveFeed | undefined {
    return this.feed();
  }

  hostConnected(): void {
    const feed = this.feed();
    if (!feed) return;
    const unsubscribe = feed.subscribe(() => this.host.requestUpdate());
    this.offs.push(() => unsubscribe());
    if (this.hooks.deliveries) {
      const off = feed.onDeliveries(this.hooks.deliveries);
      this.offs.push(() => off());
    }
    if (this.hooks.accepted) {
      const off = feed.onAccepted(this.hooks.accepted);
      this.offs.push(() => off());
    }
    if (this.hooks.presence) {
      const off = feed.onPresence(this.hooks.presence);
      this.offs.push(() => off());
    }
  }

  hostDisconnected(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
