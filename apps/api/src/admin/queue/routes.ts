import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../../platform/lib/errors.js';
import type { DispatchJobData } from '../../queue/notifications.js';
import { adminSession, Ok, QueueHealth } from '../../schemas/admin.js';
import { errorResponses } from '../../schemas/common.js';
import { QueueRepository } from './repository.js';

/** A job's notification (the first of a batch job's). */
const notificationOf = (j: { data?: DispatchJobData }) =>
  j.data && 'notificationId' in j.data ? j.data.notificationId : j.data?.notificationIds?.[0];

/**
 * When a delayed job is due: a scheduled send's delay counts from when it was added; a retry's
 * backoff from its last attempt (BullMQ keeps when that attempt began, not when it failed: the
 * time is early by how long the attempt ran).
 */
const dueAt = (j: { timestamp: number; delay: number; attemptsMade: number; processedOn?: number }) =>
  (j.attemptsMade > 0 ? (j.processedOn ?? j.timestamp) : j.timestamp) + j.delay;

/** The dashboard's queue health, and retry or removal of failed jobs. Viewers read; admins act. */
const adminQueue: FastifyPluginAsyncTypebox = async (fastify) => {
  const viewer = fastify.requireAdmin('viewer');
  const admin = fastify.requireAdmin('admin');
  const repository = new QueueRepository(fastify.notificationsQueue, fastify.prisma);

  fastify.get(
    '/admin/api/queue',
    {
      onRequest: viewer,
      schema: {
        summary: 'Queue counts, failed jobs and the delayed jobs due soonest',
        description: 'Kept in Redis: a 503 HERALD_ERR_REDIS_UNAVAILABLE while Redis is down or does not answer.',
        tags: ['admin'],
        security: adminSession,
        response: { 200: QueueHealth, ...errorResponses(401, 503) },
      },
    },
    async () => {
      const [counts, failed, delayed] = await repository.health();
      return {
        counts,
        failed: failed.map((j) => ({
          id: j.id,
          name: j.name,
          notificationId: notificationOf(j),
          failedReason: j.failedReason,
          attemptsMade: j.attemptsMade,
          failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
        })),
        delayed: delayed.map((j) => ({
          id: j.id,
          name: j.name,
          notificationId: notificationOf(j),
          dueAt: new Date(dueAt(j)).toISOString(),
          attemptsMade: j.attemptsMade,
          lastFailure: j.attemptsMade > 0 ? (j.failedReason ?? null) : null,
        })),
      };
    },
  );

  const JobParams = Type.Object({ jobId: Type.String({ minLength: 1, maxLength: 100 }) });
  const job = async (jobId: string) => {
    const j = await repository.job(jobId);
    if (!j) throw new Errors.JobNotFound(jobId);
    return j;
  };
  fastify.post(
    '/admin/api/queue/jobs/:jobId/retry',
    {
      onRequest: admin,
      schema: {
        summary: 'Retry a failed job',
        tags: ['admin'],
        security: adminSession,
        params: JobParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const j = await job(request.params.jobId);
      const state = await repository.state(j);
      if (state !== 'failed') throw new Errors.JobConflict(request.params.jobId, state, 'retried');
      await repository.retry(j);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'queue.retry',
        targetType: 'job',
        targetId: request.params.jobId,
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );
  fastify.delete(
    '/admin/api/queue/jobs/:jobId',
    {
      onRequest: admin,
      schema: {
        summary: 'Remove a job that is not running',
        tags: ['admin'],
        security: adminSession,
        params: JobParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request) => {
      const j = await job(request.params.jobId);
      const state = await repository.state(j);
      if (state === 'active') throw new Errors.JobConflict(request.params.jobId, state, 'removed');
      await repository.remove(j);
      await fastify.audit.record({
        actor: request.admin.email,
        adminId: request.admin.id,
        action: 'queue.remove',
        targetType: 'job',
        targetId: request.params.jobId,
        ip: request.ip,
      });
      return { ok: true as const };
    },
  );
};

export default adminQueue;
