import { InboxItem } from '@herald/protocol/schema';
import Type from 'typebox';
import { refusedAsCursor, refusedWith } from './common.js';
import { UserId } from './notifications.js';

/** Counting a user's inbox (the dashboard's subscribers, each one's) stops past this many. */
export const INBOX_COUNT_LIMIT = 1000;

/** The REST inbox: a user's notifications read by the integrator's backend. */
export const UserParams = Type.Object({ userId: UserId });

export const InboxQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 8192,
        description: 'nextCursor of the previous page, unchanged (400 HERALD_ERR_CURSOR_INVALID otherwise)',
        ...refusedAsCursor('type', 'minLength', 'maxLength'),
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    unreadOnly: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const InboxPage = Type.Object({
  items: Type.Array(InboxItem),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` for the next (older) page; null at the end. Opaque.',
  }),
  unread: Type.Integer(),
});

export const ReadBody = Type.Object(
  {
    ids: Type.Optional(
      Type.Array(
        Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
        {
          minItems: 1,
          maxItems: 500,
          uniqueItems: true,
        },
      ),
    ),
    all: Type.Optional(Type.Literal(true)),
  },
  {
    additionalProperties: false,
    minProperties: 1,
    maxProperties: 1,
    description: 'Either { ids: [...] } or { all: true }',
    examples: [{ all: true }],
    ...refusedWith({
      minProperties: { code: 'HERALD_ERR_VALIDATION', message: 'must be either { "ids": [...] } or { "all": true }' },
      maxProperties: { code: 'HERALD_ERR_VALIDATION', message: 'must be either { "ids": [...] } or { "all": true }' },
    }),
  },
);

export const ReadResponse = Type.Object({
  read: Type.Integer({ description: 'How many changed to read' }),
  unread: Type.Integer(),
});
