import { randomUUID } from 'node:crypto';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import { Errors } from '../lib/errors.js';
import { dispatchJobOptions, JobName, type NotificationsQueue } from '../queues/notifications.js';
import { DELIVERY_STATUSES, type SendNotificationBody, type Target } from '../schemas/notifications.js';

export const MAX_DATA_BYTES = 4096;
const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Accepted {
  id: string;
  status: 'queued' | 'scheduled' | 'processing' | 'dispatched' | 'cancelled' | 'failed';
  recipients: number;
  /** True when an earlier request with the same idempotency key created it. */
  replayed: boolean;
}

type TargetKind = 'userId' | 'userIds' | 'topic' | 'broadcast';

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

/** Accepts notifications (store, then enqueue) and reports on them. */
export class NotificationService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly queue: NotificationsQueue,
    /** Whether the producer's Redis connection is up; when it is not, sends fail fast with 503. */
    private readonly queueReady: () => boolean = () => true,
    private readonly enqueueTimeoutMs = 5000,
  ) {}

  async send(appId: string, input: SendNotificationBody, headerKey?: string): Promise<Accepted> {
    const kind = targetKind(input.to);
    if (kind === 'topic') {
      throw new Errors.TargetUnsupported('Sending to a topic is not supported yet; use userId, userIds or broadcast.');
    }
    const dataBytes = input.data === undefined ? 0 : Buffer.byteLength(JSON.stringify(input.data));
    if (dataBytes > MAX_DATA_BYTES) throw new Errors.DataTooLarge(dataBytes, MAX_DATA_BYTES);

    const now = Date.now();
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
    const expiresAt = input.ttlSeconds ? new Date(startsAt + input.ttlSeconds * 1000) : null;
    const idempotencyKey = input.idempotencyKey ?? headerKey ?? null;

    const recipients =
      kind === 'userId'
        ? 1
        : kind === 'userIds'
          ? (input.to.userIds?.length ?? 0)
          : await this.prisma.subscriber.count({ where: { appId } });

    if (!this.queueReady()) throw new Errors.QueueUnavailable();
    const id = randomUUID();
    const status = sendAt ? 'scheduled' : 'queued';
    try {
      await this.prisma.notification.create({
        data: {
          id,
          appId,
          target: input.to as Prisma.InputJsonValue,
          title: input.title,
          body: input.body ?? null,
          icon: input.icon ?? null,
          image: input.image ?? null,
          url: input.url ?? null,
          tag: input.tag ?? null,
          data: input.data === undefined ? Prisma.DbNull : (input.data as Prisma.InputJsonValue),
          priority: input.priority ?? 'normal',
          ttlSeconds: input.ttlSeconds ?? null,
          expiresAt,
          sendAt,
          idempotencyKey,
          status,
          recipientCount: recipients,
        },
      });
    } catch (error) {
      if (idempotencyKey && isUniqueViolation(error)) {
        const original = await this.prisma.notification.findUnique({
          where: { appId_idempotencyKey: { appId, idempotencyKey } },
          select: { id: true, status: true, recipientCount: true },
        });
        if (original) {
          return { id: original.id, status: original.status, recipients: original.recipientCount, replayed: true };
        }
      }
      throw error;
    }

    try {
      await withTimeout(
        this.queue.add(JobName.Dispatch, { notificationId: id }, dispatchJobOptions(id, startsAt - now)),
        this.enqueueTimeoutMs,
      );
    } catch (error) {
      // Not acknowledged, so not kept: the caller retries (with its idempotency key).
      await this.prisma.notification.delete({ where: { id } }).catch(() => {});
      throw new Errors.QueueUnavailable({ cause: error });
    }
    return { id, status, recipients, replayed: false };
  }

  async get(appId: string, id: string) {
    if (!UUID.test(id)) throw new Errors.NotificationNotFound(id);
    const n = await this.prisma.notification.findFirst({ where: { id, appId } });
    if (!n) throw new Errors.NotificationNotFound(id);
    const groups = await this.prisma.delivery.groupBy({
      by: ['status'],
      where: { notificationId: id },
      _count: { _all: true },
    });
    const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<string, number>;
    for (const g of groups) counts[g.status] = g._count._all;
    return {
      id: n.id,
      status: n.status,
      to: n.target,
      title: n.title,
      body: n.body,
      icon: n.icon,
      image: n.image,
      url: n.url,
      tag: n.tag,
      data: n.data,
      priority: n.priority,
      ttlSeconds: n.ttlSeconds,
      expiresAt: n.expiresAt?.toISOString() ?? null,
      sendAt: n.sendAt?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
      dispatchedAt: n.dispatchedAt?.toISOString() ?? null,
      failureReason: n.failureReason,
      recipients: n.recipientCount,
      counts,
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`enqueue took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
