import { createHash, randomUUID } from 'node:crypto';
import type { Priority } from '@herald/protocol';
import stableStringify from 'safe-stable-stringify';
import { fansOutAtAccept, streamsOf } from '../fanout/rule.js';
import { Prisma } from '../generated/prisma/client.js';
import { Errors } from '../platform/lib/errors.js';
import { type UrlPolicy, urlProblem } from '../platform/lib/urls.js';
import type { AcceptSource } from '../platform/metrics/metrics.js';
import type { SendNotificationBody, Target } from '../schemas/notifications.js';

export const MAX_DATA_BYTES = 4096;

export type TargetKind = 'userId' | 'userIds' | 'topic' | 'topics' | 'broadcast';

/** Checks that `to` names exactly one kind of target and returns which. */
export function targetKind(to: Target): TargetKind {
  const kinds = (['userId', 'userIds', 'topic', 'topics', 'broadcast'] as const).filter((k) => to[k] !== undefined);
  if (kinds.length !== 1) {
    throw new Errors.TargetInvalid(
      kinds.length === 0
        ? '"to" must name a target: { userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }.'
        : `"to" must name exactly one target, but it has ${kinds.join(' and ')}.`,
    );
  }
  return kinds[0] as TargetKind;
}

/**
 * `to` with each user and each topic once, where it is first named (a topic's rank decides which
 * stream a member of several gets it through), so a repeat neither stores a second row or entry
 * nor counts twice.
 */
export function distinctTarget(to: Target): Target {
  if (to.userIds) return { ...to, userIds: [...new Set(to.userIds)] };
  if (to.topics) return { ...to, topics: [...new Set(to.topics)] };
  return to;
}

/** A request checked and turned into the row to store. */
export interface Prepared {
  /**
   * `dispatched` from the start for a send whose delivery rows are written with it (`users`): its
   * fan-out is done by the accepting statement, and its job only emits (`dispatchMany`), so no
   * write is left for the worker. Its 202 still says `queued` (`answeredStatus`).
   */
  row: Prisma.NotificationCreateManyInput & { id: string; status: 'queued' | 'scheduled' | 'dispatched' };
  kind: TargetKind;
  delayMs: number;
  priority: Priority;
  /** Which front door it came through (metrics). */
  source: AcceptSource;
  /** Users whose delivery rows are written with the notification itself (see `fansOutAtAccept`). */
  users: string[];
  /**
   * A topic send's topics, or `*` for a broadcast: the streams it is stored in once, instead of a
   * row per recipient (intake/streams.ts). Empty for a send to users.
   */
  streams: string[];
}

/** Validates one request beyond its schema and builds its row. Throws a coded 4xx error. */
export function prepare(
  appId: string,
  input: SendNotificationBody,
  headerKey: string | undefined,
  now: number,
  policy: UrlPolicy | undefined,
  source: AcceptSource,
): Prepared {
  const to = distinctTarget(input.to);
  const kind = targetKind(to);
  for (const field of ['url', 'icon', 'image'] as const) {
    const value = input[field];
    const problem = value === undefined ? null : urlProblem(field, value, policy);
    if (problem) throw new Errors.UrlInvalid(problem);
  }
  if (input.category !== undefined && !policy?.categories?.has(input.category)) {
    throw new Errors.CategoryNotFound(input.category);
  }
  const dataBytes = input.data === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.data));
  if (dataBytes > MAX_DATA_BYTES) throw new Errors.DataTooLarge(dataBytes, MAX_DATA_BYTES);

  let sendAt: Date | null = null;
  if (input.sendAt !== undefined) {
    sendAt = new Date(input.sendAt);
    if (Number.isNaN(sendAt.getTime())) throw new Errors.SendAtInvalid('"sendAt" is not a valid ISO 8601 time.');
    const latest = new Date(now);
    latest.setUTCFullYear(latest.getUTCFullYear() + 1);
    if (sendAt.getTime() > latest.getTime()) {
      throw new Errors.SendAtInvalid(`"sendAt" may be at most one year ahead (until ${latest.toISOString()}).`);
    }
    if (sendAt.getTime() <= now) sendAt = null;
  }
  const startsAt = sendAt?.getTime() ?? now;
  if (headerKey !== undefined && input.idempotencyKey !== undefined && headerKey !== input.idempotencyKey) {
    throw new Errors.IdempotencyKeysDiffer(headerKey, input.idempotencyKey);
  }
  const idempotencyKey = input.idempotencyKey ?? headerKey ?? null;
  const { idempotencyKey: _key, ...request } = input;
  const priority = input.priority ?? 'normal';
  const recipients = kind === 'userId' ? 1 : kind === 'userIds' ? (to.userIds?.length ?? 0) : 0;
  const users = fansOutAtAccept(to, sendAt) ? (to.userIds ?? [to.userId as string]) : [];
  return {
    kind,
    delayMs: startsAt - now,
    priority,
    source,
    users,
    streams: streamsOf(to),
    row: {
      id: randomUUID(),
      appId,
      target: to as Prisma.InputJsonValue,
      title: input.title,
      body: input.body ?? null,
      icon: input.icon ?? null,
      image: input.image ?? null,
      url: input.url ?? null,
      tag: input.tag ?? null,
      category: input.category ?? null,
      data: input.data === undefined ? Prisma.DbNull : (input.data as Prisma.InputJsonValue),
      priority,
      ttlSeconds: input.ttlSeconds ?? null,
      expiresAt: input.ttlSeconds ? new Date(startsAt + input.ttlSeconds * 1000) : null,
      sendAt,
      idempotencyKey,
      requestHash: idempotencyKey
        ? createHash('sha256')
            .update(stableStringify(request) ?? '')
            .digest('hex')
        : null,
      status: sendAt ? 'scheduled' : users.length > 0 ? 'dispatched' : 'queued',
      recipientCount: recipients,
    },
  };
}

/**
 * The status a 202 reports: a send dispatched by its accepting statement is still waiting for its
 * emit, so it is `queued` to the caller, as every accepted immediate send is.
 */
export function answeredStatus(p: Prepared): 'queued' | 'scheduled' {
  return p.row.status === 'dispatched' ? 'queued' : p.row.status;
}

/** The notifications' rows as `jsonb_populate_recordset(NULL::notifications, …)` reads them. */
export function notificationRows(prepared: Prepared[], at = new Date()): Array<Record<string, unknown>> {
  // Only the columns that have a value: a key left out is NULL all the same, and every key given
  // costs its parsing (measured here, 500 rows: every column through json_populate_recordset,
  // 18-26 ms of PostgreSQL CPU; only the keys with a value through jsonb_populate_recordset, 2-3 ms).
  return prepared.map(({ row }) =>
    withValues({
      id: row.id,
      app_id: row.appId,
      target: row.target,
      title: row.title,
      body: row.body,
      icon: row.icon,
      image: row.image,
      url: row.url,
      tag: row.tag,
      category: row.category,
      data: row.data === Prisma.DbNull ? null : row.data,
      priority: row.priority,
      ttl_seconds: row.ttlSeconds,
      expires_at: row.expiresAt,
      send_at: row.sendAt,
      idempotency_key: row.idempotencyKey,
      request_hash: row.requestHash,
      status: row.status,
      dispatched_at: row.status === 'dispatched' ? at : null,
      recipient_count: row.recipientCount,
      created_at: at,
    }),
  );
}

/** The entries of `row` that are neither null nor undefined. */
function withValues(row: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key in row) if (row[key] !== null && row[key] !== undefined) kept[key] = row[key];
  return kept;
}
