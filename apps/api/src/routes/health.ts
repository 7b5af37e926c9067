import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const Check = Type.Object({ ok: Type.Boolean(), error: Type.Optional(Type.String()) });
const Readiness = Type.Object({ status: Type.String(), checks: Type.Object({ database: Check, redis: Check }) });

/** The longest `/readyz` waits for either check: a load balancer's probe must not hang on a frozen dependency. */
export const READY_TIMEOUT_MS = 1500;

async function check(fn: () => Promise<unknown>, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([fn(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

const health: FastifyPluginAsyncTypebox<{ timeoutMs?: number }> = async (fastify, opts) => {
  const timeoutMs = opts.timeoutMs ?? READY_TIMEOUT_MS;
  fastify.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  fastify.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and Redis answer',
        description: `Answers within ${READY_TIMEOUT_MS / 1000} s: a dependency that does not answer by then counts as down (503).`,
        tags: ['operations'],
        response: {
          200: Readiness,
          503: Type.Union([Readiness, Type.Ref('ErrorResponse')], {
            description:
              'Not ready: a dependency is down (its checks), or the node is shutting down (HERALD_ERR_SHUTTING_DOWN)',
          }),
        },
      },
    },
    async (_request, reply) => {
      const [database, redis] = await Promise.all([
        check(() => fastify.prisma.$queryRaw`SELECT 1`, timeoutMs),
        check(() => fastify.redis.ping(), timeoutMs),
      ]);
      const ready = database.ok && redis.ok;
      return reply
        .code(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', checks: { database, redis } });
    },
  );
};

export default health;
