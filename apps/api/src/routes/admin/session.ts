import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../../lib/errors.js';
import { errorResponses } from '../../schemas/common.js';

const Me = Type.Object({ email: Type.String(), role: Type.Enum(['owner', 'admin', 'viewer']) });

/** After this many failed sign-ins for one email from one address, wait out the window. */
export const MAX_FAILED_SIGN_INS = 10;
const FAILURE_WINDOW_S = 15 * 60;

/**
 * Dashboard sign-in and sign-out. Failed attempts are counted in Redis per address and email (so
 * every node sees them); past the limit, sign-in is refused without checking the password.
 */
const session: FastifyPluginAsyncTypebox<{ queuePrefix: string }> = async (fastify, opts) => {
  fastify.post(
    '/admin/api/session',
    {
      schema: {
        summary: 'Sign in to the dashboard',
        tags: ['admin'],
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Me, ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const key = `${opts.queuePrefix}:sign-in-failures:${request.ip}:${request.body.email.toLowerCase()}`;
      const failures = Number((await fastify.redis.get(key).catch(() => null)) ?? 0);
      if (failures >= MAX_FAILED_SIGN_INS) {
        const ttl = await fastify.redis.ttl(key).catch(() => FAILURE_WINDOW_S);
        throw new Errors.SignInThrottled(Math.max(1, Math.ceil(ttl / 60)));
      }
      const admin = await fastify.adminSessions.signIn(request.body.email, request.body.password, request, reply);
      if (admin) await fastify.redis.del(key).catch(() => 0);
      else
        await fastify.redis
          .multi()
          .incr(key)
          .expire(key, FAILURE_WINDOW_S)
          .exec()
          .catch(() => null);
      await fastify.audit.record({
        actor: admin?.email ?? request.body.email.toLowerCase(),
        adminId: admin?.id,
        action: admin ? 'admin.sign_in' : 'admin.sign_in_failed',
        ip: request.ip,
      });
      if (!admin) throw new Errors.AdminSignInFailed();
      return { email: admin.email, role: admin.role };
    },
  );

  // Not a 401 when signed out: the dashboard asks on every load, and a refused request is a console error.
  fastify.get(
    '/admin/api/session',
    {
      schema: {
        summary: 'Who is signed in',
        tags: ['admin'],
        response: {
          200: Type.Union([
            Type.Intersect([Me, Type.Object({ signedIn: Type.Literal(true) })]),
            Type.Object({ signedIn: Type.Literal(false) }),
          ]),
        },
      },
    },
    async (request) => {
      const admin = await fastify.adminSessions.fromCookieHeader(request.headers.cookie);
      return admin ? { signedIn: true as const, email: admin.email, role: admin.role } : { signedIn: false as const };
    },
  );

  fastify.delete(
    '/admin/api/session',
    {
      schema: {
        summary: 'Sign out',
        tags: ['admin'],
        response: { 200: Type.Object({ ok: Type.Literal(true) }) },
      },
    },
    async (request, reply) => {
      await fastify.adminSessions.signOut(request, reply);
      return { ok: true as const };
    },
  );
};

export default session;
