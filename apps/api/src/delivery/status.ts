import { DELIVERY_ENDINGS, DELIVERY_STEPS, type DeliveryStatus } from '@herald/protocol/schema';

/**
 * The one authority over a delivery's status: every statement that moves a delivery (the ack
 * recorder, inbox sync and read, cancel, the sweep, the dispatcher, a failed dispatch) takes its
 * SET clause and its guard from here, so the rule is written once, in SQL.
 *
 * A delivery moves forward through the steps queued < sent < delivered < displayed < clicked < read
 * (PostgreSQL compares enum values in declaration order, so `GREATEST` never moves one back: a late
 * ack leaves `read` alone). It may end instead, only while no device has acknowledged it (queued or
 * sent): expired, cancelled, or failed (failed only from queued: a sent one reached a socket); a
 * row written `skipped` (the user's preferences turned it off) never moves at all. An
 * ended delivery never moves again. Each step's and each ending's timestamp is set once; reaching a
 * step after `delivered` implies it was delivered. So once a delivery is no longer pending (queued
 * or sent: `PENDING`) it never is again, which is what a user's settled mark rests on
 * (`subscribers.settled_seq`: their rows numbered at or below it are all settled). A closed popup
 * is a fact with a time, not a step.
 */

/** The steps of a delivery, in order. */
export const STEPS = DELIVERY_STEPS;
/** The ways a delivery ends without reaching a device. */
export const ENDINGS = DELIVERY_ENDINGS;

export type Step = (typeof STEPS)[number];
export type Ending = (typeof ENDINGS)[number];
export type { DeliveryStatus };
/** What can happen to a delivery after it was written (`queued` is where it starts). */
export type DeliveryEvent = Exclude<Step, 'queued'> | Exclude<Ending, 'skipped'>;

/** From which statuses each ending may be reached (`skipped` from none: a row is written so). */
const ENDS_FROM: Record<Ending, readonly Step[]> = {
  expired: ['queued', 'sent'],
  cancelled: ['queued', 'sent'],
  failed: ['queued'],
  skipped: [],
};

const isEnding = (s: DeliveryStatus): s is Ending => (ENDINGS as readonly string[]).includes(s);

/** The transition table: the status a delivery in `from` has after `event` (unchanged if not allowed). */
export function transition(from: DeliveryStatus, event: DeliveryEvent): DeliveryStatus {
  if (isEnding(from)) return from;
  if (isEnding(event)) return ENDS_FROM[event].includes(from) ? event : from;
  return STEPS.indexOf(event) > STEPS.indexOf(from) ? event : from;
}

const column = (event: DeliveryEvent) => `${event}_at`;
const statusList = (list: readonly string[]) => list.map((s) => `'${s}'`).join(', ');

/**
 * SQL that moves deliveries (table alias `d`) one step forward: `SET` and the guard to AND into the
 * statement's WHERE, which leaves out rows that ended or already took the step (so `RETURNING`
 * counts each change once). The caller's WHERE picks the rows.
 */
export function advance(step: Exclude<Step, 'queued'>): { set: string; guard: string } {
  const at = column(step);
  const implied = step === 'sent' || step === 'delivered' ? '' : `, delivered_at = COALESCE(d.delivered_at, now())`;
  return {
    set: `status = GREATEST(d.status, '${step}'::"DeliveryStatus"), ${at} = COALESCE(d.${at}, now())${implied}`,
    guard: `d.status < 'expired'::"DeliveryStatus" AND d.${at} IS NULL`,
  };
}

/** SQL that ends deliveries (table alias `d`) that no device acknowledged: `SET` and the guard. */
export function end(ending: Exclude<Ending, 'skipped'>, reason?: string): { set: string; guard: string } {
  const why = reason === undefined ? '' : `, reason = '${reason.replaceAll("'", "''")}'`;
  return {
    set: `status = '${ending}'::"DeliveryStatus", ${column(ending)} = now()${why}`,
    guard: `d.status IN (${statusList(ENDS_FROM[ending])})`,
  };
}

/** SQL that stamps when a popup was closed (alias `d`): once, and whatever the status. */
export const CLOSED = { set: `closed_at = COALESCE(d.closed_at, now())`, guard: `d.closed_at IS NULL` } as const;

/**
 * Deliveries (alias `d`) still pending: queued or sent. No index holds them (an ack would then
 * write index entries): a lookup by user reads the (subscriber_id, seq) key after the user's
 * settled mark, `PENDING_OF(s)`.
 */
export const PENDING = `d.status IN ('queued', 'sent')`;

/**
 * The pending deliveries (alias `d`) of the user `s` (a subscribers row, or a query returning
 * theirs with `id` and `settled_seq`): a short range of their (subscriber_id, seq) key.
 */
export const PENDING_OF = (s: string) => `d.subscriber_id = ${s}.id AND d.seq > ${s}.settled_seq AND ${PENDING}`;

/** Statuses in which a delivery is still in the user's inbox (not ended). */
export const IN_INBOX = `d.status < 'expired'::"DeliveryStatus"`;
