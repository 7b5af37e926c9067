import { DeliveryStatus, Preferences } from '@herald/protocol/schema';
import Type from 'typebox';
import { INBOX_COUNT_LIMIT, InboxPage } from './inbox.js';

/** The dashboard's session cookie, as the OpenAPI document's security requirement. */
export const adminSession = [{ adminSession: [] }];

const NullableTime = Type.Union([Type.String(), Type.Null()]);
const Role = Type.Enum(['owner', 'admin', 'viewer']);

export const Ok = Type.Object({ ok: Type.Literal(true) });

const Counters = {
  sent: Type.Integer(),
  delivered: Type.Integer(),
  displayed: Type.Integer(),
  clicked: Type.Integer(),
  read: Type.Integer(),
};

export const Overview = Type.Object({
  presence: Type.Object({
    sockets: Type.Integer({ description: 'Sockets connected, all nodes' }),
    users: Type.Integer({ description: 'Users connected, all nodes' }),
    nodes: Type.Integer({ description: 'Socket nodes reporting' }),
  }),
  lastHour: Type.Object(Counters, { description: 'Totals over the last hour' }),
  series: Type.Array(
    Type.Object({ t: Type.Integer({ description: 'Start of the minute, ms since the epoch' }), ...Counters }),
    {
      description: 'The last hour, per minute',
    },
  ),
  queue: Type.Object({
    waiting: Type.Integer(),
    active: Type.Integer(),
    delayed: Type.Integer(),
    failed: Type.Integer(),
  }),
});

const Subscriber = {
  id: Type.String(),
  appId: Type.String(),
  userId: Type.String(),
  online: Type.Boolean(),
  lastSeq: Type.Integer({
    description: "The head of the user's personal sequence (their direct sends, and the topics they joined)",
  }),
  notifications: Type.Object(
    {
      count: Type.Integer({ maximum: INBOX_COUNT_LIMIT }),
      more: Type.Boolean({
        description: `Counting stopped at ${INBOX_COUNT_LIMIT.toLocaleString('en')}: there are more`,
      }),
    },
    {
      description:
        "How many notifications the user's inbox holds, read or not: direct sends, topic sends and broadcasts " +
        '(not those their preferences skip, nor one cancelled or expired before it reached them)',
    },
  ),
  createdAt: Type.String(),
  lastSeenAt: NullableTime,
};

export const SubscribersPage = Type.Object({
  items: Type.Array(Type.Object(Subscriber)),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const SubscriberDetails = Type.Object({
  ...Subscriber,
  unread: Type.Integer(),
  preferences: Preferences,
  browsers: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.Union([Type.Literal('active'), Type.Literal('resubscribe')], {
        description:
          'resubscribe: made with a rotated-out key (or refused by its push service): no push until it subscribes again',
      }),
      pushService: Type.String({
        description: "The endpoint's host: which push service (the rest is the browser's secret)",
      }),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      origin: Type.Union([Type.String(), Type.Null()], { description: 'The page origin it subscribed from' }),
      createdAt: Type.String(),
      updatedAt: Type.String({ description: 'When it last registered (every connect of one of its tabs)' }),
      lastSuccessAt: NullableTime,
      lastError: Type.Union([Type.String(), Type.Null()]),
    }),
    { description: "The user's browsers subscribed to Web Push" },
  ),
  inbox: InboxPage.properties.items,
  history: Type.Array(
    Type.Object({
      notificationId: Type.String(),
      title: Type.String(),
      seq: Type.Union([Type.Integer(), Type.Null()], {
        description: 'Null for a topic send or broadcast: in no personal sequence',
      }),
      status: DeliveryStatus,
      queuedAt: Type.String(),
      deliveredAt: NullableTime,
      displayedAt: NullableTime,
      clickedAt: NullableTime,
      readAt: NullableTime,
    }),
  ),
});

export const QueueHealth = Type.Object({
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'Jobs per state' }),
  failed: Type.Array(
    Type.Object({
      id: Type.Optional(Type.String()),
      name: Type.String(),
      notificationId: Type.Optional(Type.String()),
      failedReason: Type.String(),
      attemptsMade: Type.Integer(),
      failedAt: NullableTime,
    }),
    { description: 'The 50 most recent failed jobs' },
  ),
  delayed: Type.Array(
    Type.Object({
      id: Type.Optional(Type.String()),
      name: Type.String(),
      notificationId: Type.Optional(Type.String()),
      dueAt: NullableTime,
      attemptsMade: Type.Integer({ description: 'Attempts already made: 0 for a scheduled send' }),
      lastFailure: Type.Union([Type.String(), Type.Null()], {
        description: "Why its last attempt failed, for a job waiting to retry; null for a scheduled send's",
      }),
    }),
    {
      description:
        'The 50 delayed jobs due soonest: scheduled sends (each due at its `sendAt`), and jobs waiting to ' +
        'retry after a failed attempt (due when their backoff ends)',
    },
  ),
});

export const AuditPage = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      at: Type.String(),
      actor: Type.String(),
      action: Type.String(),
      targetType: Type.Union([Type.String(), Type.Null()]),
      targetId: Type.Union([Type.String(), Type.Null()]),
      details: Type.Unknown(),
      ip: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const AdminView = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Role,
  createdAt: Type.String(),
  lastLoginAt: NullableTime,
});

export const CreatedAdmin = Type.Object({ id: Type.String(), email: Type.String(), role: Role });

/** The `cursor` of a newest-first list: opaque, checked by the route (a made-up one is a 400). */
export const TimeCursor = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'nextCursor of the previous page, unchanged (400 HERALD_ERR_CURSOR_INVALID otherwise)',
});
