import Type from 'typebox';
import { UserId } from './notifications.js';

export const CreateTokenBody = Type.Object(
  {
    userId: UserId,
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 2_592_000 })),
  },
  { additionalProperties: false, examples: [{ userId: 'alice' }] },
);

export const CreateTokenResponse = Type.Object({
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  appId: Type.String(),
  userId: Type.String(),
});
