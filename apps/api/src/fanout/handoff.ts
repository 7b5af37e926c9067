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
  recipients: number;
  at: number;
}

/**
 * In the `all` role the process that accepts a small send usually runs its `dispatch-batch` job
 * too, a few milliseconds later. The accepting statement returned each recipient's sequence
 * number and the content is in hand, so the job does not read it all back: it deletes its outbox
 * row (which says which of its notifications were not cancelled meanwhile) and emits. The
 * database stays the source of truth: a job run by another process, a retry, or one that comes
 * after its entry was dropped reads what is still queued, as before (`dispatchMany`; the
 * handed path is `dispatchHanded`, both in dispatcher.ts).
 *
 * Bounded: entries older than `maxAgeMs` (their job ran elsewhere, or Redis did not take it) are
 * dropped, and past `maxRecipients` waiting recipients nothing more is kept.
 */
export class DispatchHandoff {
  private readonly entries = new Map<string, Entry>();
  private recipients = 0;

  constructor(
    private readonly maxRecipients = 50_000,
    private readonly maxAgeMs = 10_000,
  ) {}

  /** What a job (by its id, the outbox row's) will find, kept unless the handoff is full. */
  put(jobId: string, notifications: HandedNotification[], now = Date.now()): void {
    this.prune(now);
    const recipients = notifications.reduce((n, x) => n + x.recipients.length, 0);
    if (this.recipients + recipients > this.maxRecipients || this.entries.has(jobId)) return;
    this.entries.set(jobId, { notifications, recipients, at: now });
    this.recipients += recipients;
  }

  /** The job's entry, once: a second run of the job (a retry) reads the database. */
  take(jobId: string, now = Date.now()): HandedNotification[] | undefined {
    const entry = this.entries.get(jobId);
    if (!entry) return undefined;
    this.entries.delete(jobId);
    this.recipients -= entry.recipients;
    return now - entry.at <= this.maxAgeMs ? entry.notifications : undefined;
  }

  /** Entries waiting, for tests. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops the entries past their age: the oldest are first in the map. */
  private prune(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.at <= this.maxAgeMs) return;
      this.entries.delete(id);
      this.recipients -= entry.recipients;
    }
  }
}
