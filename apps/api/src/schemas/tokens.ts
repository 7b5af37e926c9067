import Type from 'typebox';
import { UserId } from './notifications.js';
import { GRANT_PATTERN } from './topics.js';

export const CreateTokenBody = Type.Object(
  {
    userId: UserId,
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 2_592_000 })),
    topics: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: GRANT_PATTERN }), {
        maxItems: 100,
        uniqueItems: true,
        description:
          'Topics this user may subscribe to (and leave) from the SDK, besides the public ones: names in ' +
          'which * stands for any characters (project:*, team/alpha). Signed into the token as its `topics` claim.',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ userId: 'alice' }] },
);

export const CreateTokenResponse = Type.Object({
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  appId: Type.String(),
  userId: Type.String(),
});
