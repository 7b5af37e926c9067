import { BROADCAST_STREAM } from '@herald/protocol';
import type { Target } from '../schemas/notifications.js';

/** Immediate sends to at most this many users get their delivery rows in the accepting statement. */
export const ACCEPT_FANOUT_MAX = 100;

/**
 * Whether a notification's delivery rows (and per-user sequence numbers) are written when it is
 * accepted, rather than by the worker. Doing it at accept time gives a user's notifications
 * sequence numbers in the order they were accepted, whatever order the workers run them in.
 * Scheduled notifications must wait (a sequence number makes a notification visible to catch-up),
 * and broadcasts and large lists are fanned out by the worker in chunks.
 */
export function fansOutAtAccept(target: Target, sendAt: Date | null): boolean {
  if (sendAt) return false;
  if (target.userId !== undefined) return true;
  return target.userIds !== undefined && target.userIds.length <= ACCEPT_FANOUT_MAX;
}

/** The streams a target is sent through: its topics, or the broadcast stream; none for users. */
export function streamsOf(to: Target): string[] {
  if (to.broadcast) return [BROADCAST_STREAM];
  if (to.topic !== undefined) return [to.topic];
  return to.topics ? [...to.topics] : [];
}
