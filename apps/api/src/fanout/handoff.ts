import type { StoredContent } from '../delivery/payload.js';
import type { Outgoing } from '../delivery/socket-channel.js';

/** A small send as its accepting statement stored it: its content, and each recipient's user, row and number. */
export interface HandedNotification extends StoredContent {
  id: string;
  appId: string;
  createdAt: Date;
  expiresAt: Date | null;
  recipients: Outgoing['recipients'];
}

interface Entry {
  notifications: HandedNotification[];
  /** What it counts against the bounds: its recipients, and the notifications themselves. */
  weight: { recipients: number; notifications: number };
  at: number;
}

/**
 * In the `all` role the process that accepts a small send usually runs its `dispatch-batch` job
 * too, a few milliseconds later. The accepting statement returned each recipient's sequence
 * number and the content is in hand, so the job does not read it all back: it deletes its outbox
 * row (which says which of its notifications were not cancelled meanwhile) and emits. The
 * database stays the source of truth: a job run by another process (several `all` nodes share a
 * queue), a retry, or one that comes after its entry was dropped reads what is still queued, as
 * before (`dispatchMany`; the handed path is `dispatchHanded`, both in dispatcher.ts).
 *
 * What the reading path would judge by the rows' state is judged at accept time instead: a row
 * caught up and acknowledged by one of the user's devices before the job ran still goes out live
 * to their other sockets (a copy clients drop by id). So entries are kept briefly (`maxAgeMs`, 2 s:
 * a job that waited longer reads the database), and bounded (`maxNotifications`, whose content
 * can reach some 14 KB each, and `maxRecipients`): past either, nothing more is kept.
 */
export class DispatchHandoff {
  private readonly entries = new Map<string, Entry>();
  private readonly held = { recipients: 0, notifications: 0 };

  constructor(
    private readonly maxNotifications = 5_000,
    private readonly maxRecipients = 50_000,
    private readonly maxAgeMs = 2_000,
  ) {}

  /** What a job (by its id, the outbox row's) will find, kept unless the handoff is full. */
  put(jobId: string, notifications: HandedNotification[], now = Date.now()): void {
    this.prune(now);
    const weight = {
      recipients: notifications.reduce((n, x) => n + x.recipients.length, 0),
      notifications: notifications.length,
    };
    if (
      this.entries.has(jobId) ||
      this.held.recipients + weight.recipients > this.maxRecipients ||
      this.held.notifications + weight.notifications > this.maxNotifications
    )
      return;
    this.entries.set(jobId, { notifications, weight, at: now });
    this.held.recipients += weight.recipients;
    this.held.notifications += weight.notifications;
  }

  /** The job's entry, once: a second run of the job (a retry) reads the database. */
  take(jobId: string, now = Date.now()): HandedNotification[] | undefined {
    this.prune(now);
    const entry = this.entries.get(jobId);
    if (!entry) return undefined;
    this.drop(jobId, entry);
    return entry.notifications;
  }

  /** Entries waiting, for tests. */
  get size(): number {
    return this.entries.size;
  }

  private drop(jobId: string, entry: Entry): void {
    this.entries.delete(jobId);
    this.held.recipients -= entry.weight.recipients;
    this.held.notifications -= entry.weight.notifications;
  }

  /** Drops the entries past their age (their job runs elsewhere, or late): the oldest are first in the map. */
  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.at <= this.maxAgeMs) return;
      this.drop(id, entry);
    }
  }
}
