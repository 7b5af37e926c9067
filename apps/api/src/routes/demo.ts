import { randomBytes } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Errors } from '../lib/errors.js';
import { randomToken } from '../lib/secrets.js';
import { errorResponses } from '../schemas/common.js';
import { TokenError } from '../services/user-tokens.js';

/**
 * The demo page's backend: a visitor gets a throwaway user id and token, and may send test
 * notifications to themselves only. Disabled with HERALD_DEMO=false.
 */
export const DEMO_APP_ID = 'demo';

const demo: FastifyPluginAsyncTypebox<{ appId: string }> = async (fastify, opts) => {
  // Anonymous visitors get tokens here: keep them in a separate app, so they never receive (or
  // count as subscribers of) what operators send to their real apps.
  await fastify.prisma.app.upsert({
    where: { id: opts.appId },
    create: { id: opts.appId, name: 'Demo page', jwtSecret: randomToken(32) },
    update: {},
  });
  await fastify.register(rateLimit, { max: 20, timeWindow: '1 minute' });

  fastify.post(
    '/demo/session',
    {
      schema: {
        summary: 'Start a demo session',
        tags: ['demo'],
        response: {
          200: Type.Object({
            appId: Type.String(),
            userId: Type.String(),
            token: Type.String(),
            expiresAt: Type.String(),
          }),
          ...errorResponses(429),
        },
      },
    },
    async () => {
      const userId = `demo-${randomBytes(6).toString('hex')}`;
      const { token, expiresAt } = await fastify.userTokens.issue(opts.appId, userId, 3600);
      return { appId: opts.appId, userId, token, expiresAt: expiresAt.toISOString() };
    },
  );

  fastify.post(
    '/demo/send',
    {
      schema: {
        summary: 'Send a test notification to the demo visitor',
        tags: ['demo'],
        headers: Type.Object({ authorization: Type.Optional(Type.String()) }),
        response: {
          202: Type.Object({ id: Type.String(), status: Type.String(), recipients: Type.Integer() }),
          ...errorResponses(401, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const token = request.headers.authorization?.replace(/^Bearer\s+/i, '');
      let userId: string;
      try {
        const claims = await fastify.userTokens.verify(token, opts.appId);
        if (claims.appId !== opts.appId) throw new TokenError('invalid', 'not a demo token');
        userId = claims.userId;
      } catch (error) {
        throw new Errors.TokenInvalid((error as Error).message);
      }
      const { replayed: _r, ...accepted } = await fastify.notifications.send(
        opts.appId,
        {
          to: { userId },
          title: 'Hello from Herald 👋',
          body: `This popup went from a REST call through the queue and a socket to your browser at ${new Date().toLocaleTimeString('en-GB')}.`,
          url: '/',
          tag: 'herald-demo',
        },
        undefined,
        'demo',
      );
      return reply.code(202).send(accepted);
    },
  );
};

export default demo;
