import Type from 'typebox';
import { refusedWith } from '../../schemas/common.js';

export const Origin = Type.String({
  pattern: '^https?://[^/\\s]+$',
  maxLength: 300,
  description: 'e.g. https://shop.example.com',
  ...refusedWith({
    pattern: {
      code: 'HERALD_ERR_VALIDATION',
      message: 'is not an origin: a scheme and a host, with no path and no trailing slash (https://shop.example.com)',
    },
  }),
});
export const RateLimit = Type.Unsafe<number | null>({
  type: ['integer', 'null'],
  minimum: 0,
  maximum: 10_000_000,
  description:
    'Requests per minute each API key of the app may make to each group of /v1 routes (sends, tokens, the rest); ' +
    "null: the server's default (HERALD_RATE_LIMIT_PER_MINUTE); 0: no limit.",
});
export const RestrictUrls = Type.Boolean({
  description:
    "When true, a notification's click `url` must be a path or on one of the app's allowed origins (an open " +
    'redirect from popups and the inbox otherwise).',
});
export const AppView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  allowedOrigins: Type.Array(Type.String()),
  rateLimitPerMinute: RateLimit,
  /** What null stands for on this server. */
  defaultRateLimitPerMinute: Type.Integer({ description: "The server's default (0: no limit)." }),
  restrictUrls: Type.Boolean({ description: "Click URLs must be paths or on one of the app's allowed origins" }),
  createdAt: Type.String(),
  secretRotatedAt: Type.Union([Type.String(), Type.Null()]),
  previousSecretValidUntil: Type.Union([Type.String(), Type.Null()], {
    description: 'Until when tokens signed with the rotated-out secret are accepted; null when none are',
  }),
  keys: Type.Integer(),
  subscribers: Type.Integer(),
  vapidPublicKey: Type.Union([Type.String(), Type.Null()], {
    description: "The app's VAPID public key (Web Push); null until first needed",
  }),
  vapidRotatedAt: Type.Union([Type.String(), Type.Null()]),
  pushSubscriptions: Type.Integer({ description: 'Browsers subscribed to Web Push (active)' }),
});
export const AppParams = Type.Object({ appId: Type.String({ minLength: 1, maxLength: 64 }) });
