import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { TokenError } from '../auth/user-tokens.js';
import { newAppVapidKeys } from '../delivery/push/keys.js';
import { Errors } from '../platform/lib/errors.js';
import { randomToken } from '../platform/lib/secrets.js';
import { errorResponses, refusedWith } from '../schemas/common.js';

/**
 * The demo page's backend: a visitor gets a throwaway user id and token, and may send test
 * notifications to themselves only. Disabled with HERALD_DEMO=false.
 */
export const DEMO_APP_ID = 'demo';

/** The longest the demo lets a visitor schedule their test notification: time to close the tab. */
const MAX_DEMO_DELAY_SECONDS = 60;

/**
 * Optional: `{ delaySeconds }` schedules the send (as `sendAt` does). A request without a body is
 * read as `null` by the validator, hence the union.
 */
const DemoSendBody = Type.Union([
  Type.Object(
    {
      delaySeconds: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: MAX_DEMO_DELAY_SECONDS,
          description: 'Send it this many seconds from now (long enough to close the tab first)',
          ...refusedWith({
            minimum: { code: 'HERALD_ERR_VALIDATION', message: `must be from 0 to ${MAX_DEMO_DELAY_SECONDS} seconds` },
            maximum: { code: 'HERALD_ERR_VALIDATION', message: `must be from 0 to ${MAX_DEMO_DELAY_SECONDS} seconds` },
          }),
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);

const demo: FastifyPluginAsyncTypebox<{ appId: string }> = async (fastify, opts) => {
  // Anonymous visitors get tokens here: keep them in a separate app, so they never receive (or
  // count as subscribers of) what operators send to their real apps.
  await fastify.prisma.app.upsert({
    where: { id: opts.appId },
    create: { id: opts.appId, name: 'Demo page', jwtSecret: randomToken(32), ...newAppVapidKeys() },
    update: {},
  });
  // Per address, shared by every node (platform/http/rate-limits.ts).
  fastify.addHook('onRequest', fastify.demoRateLimit);

  fastify.post(
    '/demo/session',
    {
      schema: {
        summary: 'Start a demo session',
        description:
          'A throwaway user id and a one-hour token for it, in an app of its own. 20 calls a minute per address.',
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
      const { token, expiresAt } = await fastify.userTokens.issue(
        opts.appId,
        userId,
        Math.min(3600, fastify.userTokens.maxLifetimeSeconds),
      );
      return { appId: opts.appId, userId, token, expiresAt: expiresAt.toISOString() };
    },
  );

  // The visitor's token is checked first, as every credential is: a caller without one learns nothing else.
  const visitors = new WeakMap<FastifyRequest, string>();
  const requireVisitor = async (request: FastifyRequest) => {
    const token = request.headers.authorization?.replace(/^Bearer\s+/i, '');
    try {
      const claims = await fastify.userTokens.verify(token, opts.appId);
      if (claims.appId !== opts.appId) throw new TokenError('invalid', 'not a demo token');
      visitors.set(request, claims.userId);
    } catch (error) {
      throw new Errors.TokenInvalid((error as Error).message);
    }
  };

  fastify.post(
    '/demo/send',
    {
      onRequest: requireVisitor,
      schema: {
        summary: 'Send a test notification to the demo visitor',
        description:
          'To the user of the token from `POST /demo/session`, only. With `{ "delaySeconds": n }` (0 to 60) it is ' +
          'scheduled that far ahead, so the visitor can close the tab and get it through Web Push. ' +
          '20 calls a minute per address.',
        tags: ['demo'],
        security: [{ userToken: [] }],
        body: DemoSendBody,
        response: {
          202: Type.Object({ id: Type.String(), status: Type.String(), recipients: Type.Integer() }),
          ...errorResponses(400, 401, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const userId = visitors.get(request) as string;
      const delaySeconds = request.body?.delaySeconds ?? 0;
      const now = new Date();
      const at = now.toLocaleTimeString('en-GB');
      const { replayed: _r, ...accepted } = await fastify.notifications.send(
        opts.appId,
        {
          to: { userId },
          title: 'Hello from Herald 👋',
          body:
            delaySeconds > 0
              ? `Scheduled at ${at} for ${delaySeconds} s later: it came over the socket if a tab of this page was open, else through your browser's push service.`
              : `This popup went from a REST call through the queue and a socket to your browser at ${at}.`,
          url: '/',
          tag: 'herald-demo',
          ...(delaySeconds > 0 ? { sendAt: new Date(now.getTime() + delaySeconds * 1000).toISOString() } : {}),
        },
        undefined,
        'demo',
      );
      return reply.code(202).send(accepted);
    },
  );
};

export default demo;
