import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../../platform/lib/errors.js';
import { errorResponses } from '../../schemas/common.js';
import {
  MAX_SIGN_IN_ATTEMPTS,
  MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS,
  SIGN_IN_WINDOW_S,
  SignInThrottle,
} from './sign-in-throttle.js';

const Me = Type.Object({ email: Type.String(), role: Type.Enum(['owner', 'admin', 'viewer']) });

/**
 * Dashboard sign-in and sign-out. Attempts are counted in Redis per address and email, and per
 * address (so every node sees them), before the password is checked; past the limit, sign-in is refused without
 * checking it, and without Redis it is refused altogether (503) rather than left unthrottled.
 */
const session: FastifyPluginAsyncTypebox<{ queuePrefix: string }> = async (fastify, opts) => {
  const throttle = new SignInThrottle(fastify.redis, opts.queuePrefix);

  fastify.post(
    '/admin/api/session',
    {
      schema: {
        summary: 'Sign in to the dashboard',
        description: `At most ${MAX_SIGN_IN_ATTEMPTS} attempts per email and address, and ${MAX_SIGN_IN_ATTEMPTS_PER_ADDRESS} failed ones per address whatever the email (an IPv6 address counts as its /64), in ${SIGN_IN_WINDOW_S / 60} minutes (429 after that); 503 while Redis, which counts them, does not answer, or while too many passwords are being checked at once (\`HERALD_ERR_SIGN_IN_BUSY\`, with Retry-After).`,
        tags: ['admin'],
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Me, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const admin = await throttle
        .reserve(request.ip, email)
        .then(() => fastify.adminSessions.signIn(email, password, request, reply))
        .catch((error: { code?: string }) => {
          // Refused by a limit: the attempts' throttle (429), or too many password checks at once.
          if (error.code === 'HERALD_ERR_RATE_LIMITED' || error.code === 'HERALD_ERR_SIGN_IN_BUSY') {
            fastify.metrics.rateLimited.inc({ scope: 'sign-in' });
          }
          throw error;
        });
      if (admin) await throttle.reset(request.ip, email);
      await fastify.audit.record({
        actor: admin?.email ?? email.toLowerCase(),
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
      const admin = await fastify.adminSessions.fromCookieHeader(request.headers.cookie);
      await fastify.adminSessions.signOut(request, reply);
      if (admin) {
        await fastify.audit.record({ actor: admin.email, adminId: admin.id, action: 'admin.sign_out', ip: request.ip });
      }
      return { ok: true as const };
    },
  );
};

export default session;
