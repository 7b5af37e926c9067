import { createHash, randomUUID } from 'node:crypto';
import type { Priority } from '@herald/protocol';
import stableStringify from 'safe-stable-stringify';
import { fansOutAtAccept } from '../fanout/rule.js';
import { Prisma } from '../generated/prisma/client.js';
import { Errors } from '../platform/lib/errors.js';
import { type UrlPolicy, urlProblem } from '../platform/lib/urls.js';
import type { AcceptSource } from '../platform/metrics/metrics.js';
import type { SendNotificationBody, Target } from '../schemas/notifications.js';

export const MAX_DATA_BYTES = 4096;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;

export type TargetKind = 'userId' | 'userIds' | 'topic' | 'broadcast';

/** Checks that `to` names exactly one kind of target and returns which. */
export function targetKind(to: Target): TargetKind {
  const kinds = (['userId', 'userIds', 'topic', 'broadcast'] as const).filter((k) => to[k] !== undefined);
  if (kinds.length !== 1) {
    throw new Errors.TargetInvalid(
      kinds.length === 0
        ? '"to" must name a target: { userId }, { userIds: [...] }, { topic } or { broadcast: true }.'
        : `"to" must name exactly one target, but it has ${kinds.join(' and ')}.`,
    );
  }
  return kinds[0] as TargetKind;
}

/** A request checked and turned into the row to store. */
export interface Prepared {
  row: Prisma.NotificationCreateManyInput & { id: string; status: 'queued' | 'scheduled' };
  kind: TargetKind;
  delayMs: number;
  priority: Priority;
  /** Which front door it came through (metrics). */
  source: AcceptSource;
  /** Users whose delivery rows are written with the notification itself (see `fansOutAtAccept`). */
  users: string[];
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
  const kind = targetKind(input.to);
  for (const field of ['url', 'icon', 'image'] as const) {
    const value = input[field];
    const problem = value === undefined ? null : urlProblem(field, value, policy);
    if (problem) throw new Errors.UrlInvalid(problem);
  }
  if (kind === 'topic') {
    throw new Errors.TargetUnsupported('Sending to a topic is not supported yet; use userId, userIds or broadcast.');
  }
  const dataBytes = input.data === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.data));
  if (dataBytes > MAX_DATA_BYTES) throw new Errors.DataTooLarge(dataBytes, MAX_DATA_BYTES);

  let sendAt: Date | null = null;
  if (input.sendAt !== undefined) {
    sendAt = new Date(input.sendAt);
    if (Number.isNaN(sendAt.getTime())) throw new Errors.SendAtInvalid('"sendAt" is not a valid ISO 8601 time.');
    if (sendAt.getTime() - now > MAX_SCHEDULE_AHEAD_MS) {
      throw new Errors.SendAtInvalid('"sendAt" may be at most one year ahead.');
    }
    if (sendAt.getTime() <= now) sendAt = null;
  }
  const startsAt = sendAt?.getTime() ?? now;
  const idempotencyKey = input.idempotencyKey ?? headerKey ?? null;
  const { idempotencyKey: _key, ...request } = input;
  const priority = input.priority ?? 'normal';
  const recipients = kind === 'userId' ? 1 : kind === 'userIds' ? (input.to.userIds?.length ?? 0) : 0;
  const users = fansOutAtAccept(input.to, sendAt) ? (input.to.userIds ?? [input.to.userId as string]) : [];
  return {
    kind,
    delayMs: startsAt - now,
    priority,
    source,
    users,
    row: {
      id: randomUUID(),
      appId,
      target: input.to as Prisma.InputJsonValue,
      title: input.title,
      body: input.body ?? null,
      icon: input.icon ?? null,
      image: input.image ?? null,
      url: input.url ?? null,
      tag: input.tag ?? null,
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
      status: sendAt ? 'scheduled' : 'queued',
      recipientCount: recipients,
    },
  };
}
