import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/common.js';
import { CreateTokenBody, CreateTokenResponse } from '../schemas/tokens.js';

const tokens: FastifyPluginAsyncTypebox<{ defaultTtlSeconds: number }> = async (fastify, opts) => {
  fastify.post(
    '/v1/tokens',
    {
      onRequest: fastify.apiRateLimit.tokens,
      schema: {
        summary: 'Issue a user token',
        description:
          'A short-lived JWT for one of your users, to hand to your page for `Herald.init({ token })`. ' +
          'You may also sign it yourself: HS256 with the app secret, `sub` = user id, `aud` = app id, `exp` required. ' +
          `Tokens expiring more than HERALD_MAX_TOKEN_LIFETIME_SECONDS (here ${fastify.userTokens.maxLifetimeSeconds}) ` +
          'seconds ahead are refused, and a larger `ttlSeconds` is a 400 `HERALD_ERR_TOKEN_TTL_TOO_LONG`.',
        tags: ['tokens'],
        security: [{ apiKey: [] }],
        body: CreateTokenBody,
        response: { 200: CreateTokenResponse, ...errorResponses(400, 401, 413, 415, 429) },
      },
    },
    async (request) => {
      const { appId } = request.tenant;
      const { userId, ttlSeconds = opts.defaultTtlSeconds, topics } = request.body;
      const { token, expiresAt } = await fastify.userTokens.issue(appId, userId, ttlSeconds, topics);
      return { token, expiresAt: expiresAt.toISOString(), appId, userId };
    },
  );
};

export default tokens;
