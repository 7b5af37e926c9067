import Type from 'typebox';
import { refusedAsCursor } from './common.js';
import { UserId } from './notifications.js';
import { TOPIC_PATTERN, TopicName } from './topic-name.js';

export { GRANT_PATTERN, TOPIC_PATTERN, TopicName } from './topic-name.js';

export const TopicParams = Type.Object({ topic: TopicName });
export const UserTopicsParams = Type.Object({ userId: UserId });

/** At most this many users per subscribe or unsubscribe call. */
export const MAX_USERS_PER_CALL = 1000;

export const MembersBody = Type.Object(
  {
    userIds: Type.Array(UserId, {
      minItems: 1,
      maxItems: MAX_USERS_PER_CALL,
      description: `The users to add or remove (1 to ${MAX_USERS_PER_CALL} entries; a user named twice counts once)`,
    }),
  },
  { additionalProperties: false },
);

export const MembershipChange = Type.Object({
  topic: Type.String(),
  changed: Type.Integer({
    description: 'How many of the users this call added (or removed); the others already were (or were not) in it',
  }),
  subscribers: Type.Integer({ description: "The topic's size afterwards" }),
});

const Cursor = (what: string) =>
  Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: `nextCursor of the previous page (${what}: the page goes on after it)`,
      ...refusedAsCursor('minLength', 'maxLength'),
    }),
  );
const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 }));

const TopicCursor = Type.Optional(
  Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: TOPIC_PATTERN,
    description: 'nextCursor of the previous page (a topic name; 400 HERALD_ERR_CURSOR_INVALID otherwise)',
    ...refusedAsCursor('pattern', 'minLength', 'maxLength'),
  }),
);

export const TopicsQuery = Type.Object(
  {
    cursor: TopicCursor,
    limit: Limit,
    prefix: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only topics starting with this' })),
  },
  { additionalProperties: false },
);

export const MembersQuery = Type.Object({ cursor: Cursor('a user id'), limit: Limit }, { additionalProperties: false });

/** A user's topics: 1,000 a page unless asked for fewer, as the list was before it had pages. */
export const UserTopicsQuery = Type.Object(
  { cursor: TopicCursor, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })) },
  { additionalProperties: false },
);

export const TopicSummary = Type.Object({
  topic: Type.String(),
  subscribers: Type.Integer(),
  public: Type.Boolean({ description: 'Users may subscribe themselves from the SDK' }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const TopicSettings = Type.Object(
  {
    public: Type.Optional(
      Type.Boolean({
        description:
          'Whether users may subscribe themselves from the SDK (Herald.subscribe). Otherwise only your backend ' +
          "can, or a user whose token's `topics` claim grants the topic. A new topic is not public.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const TopicList = Type.Object({
  topics: Type.Array(TopicSummary),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const MemberPage = Type.Object({
  topic: Type.String(),
  subscribers: Type.Array(Type.Object({ userId: Type.String(), subscribedAt: Type.String({ format: 'date-time' }) })),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const UserTopics = Type.Object({
  userId: Type.String(),
  topics: Type.Array(Type.Object({ topic: Type.String(), subscribedAt: Type.String({ format: 'date-time' }) })),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass it as `cursor` for the next page; null on the last',
  }),
});

export const Deleted = Type.Object({ topic: Type.String(), deleted: Type.Literal(true) });
