import type { Job } from 'bullmq';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { fromRedis } from '../../platform/lib/errors.js';
import type { DispatchJobData, JobName, NotificationsQueue } from '../../queue/notifications.js';

type DispatchJob = Job<DispatchJobData, void, JobName>;

/**
 * The notifications queue as the dashboard sees it: counts, failed jobs, retry and removal. Every
 * Redis read answers 503 HERALD_ERR_REDIS_UNAVAILABLE (never a 500) while Redis does not answer.
 */
export class QueueRepository {
  constructor(
    private readonly queue: NotificationsQueue,
    private readonly prisma: PrismaClient,
  ) {}

  /** Job counts per state, the 50 newest failed jobs, and the 50 delayed jobs due soonest. */
  health() {
    return fromRedis(
      Promise.all([
        this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
        this.queue.getFailed(0, 49),
        this.queue.getDelayed(0, 49),
      ]),
    );
  }

  /** What the overview shows of the queue: jobs waiting (prioritized ones too), active, delayed and failed. */
  async summary() {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  job(jobId: string) {
    return fromRedis(this.queue.getJob(jobId));
  }

  state(job: DispatchJob) {
    return fromRedis(job.getState());
  }

  /** Runs a failed job again; its failed notifications go back to queued first, so the worker takes them. */
  async retry(job: DispatchJob): Promise<void> {
    await this.prisma.notification.updateMany({
      where: {
        id: { in: 'notificationIds' in job.data ? job.data.notificationIds : [job.data.notificationId] },
        status: 'failed',
      },
      data: { status: 'queued', failureReason: null },
    });
    await fromRedis(job.retry('failed'));
  }

  async remove(job: DispatchJob): Promise<void> {
    await fromRedis(job.remove());
  }
}
