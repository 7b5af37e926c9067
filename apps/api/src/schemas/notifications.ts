// Over 300 lines: every request and reply schema of the notification routes, with the OpenAPI
// prose each carries; they are read together when the contract changes.
import {
  DELIVERY_STATUSES,
  DeliveryStatus,
  NotificationContent,
  NotificationStatus,
  Priority,
} from '@herald/protocol/schema';
import Type, { type Static } from 'typebox';
import { MAX_JSON_DEPTH } from '../platform/lib/json.js';
import { CategoryKeyField } from './category-key.js';
import { refusedAsCursor, refusedWith } from './common.js';
import { TopicName } from './topic-name.js';

/** An idempotency key is honoured for this long after its notification was accepted (the README's 24 h). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

/** At most this many topics in one send's `to: { topics }`. */
export const MAX_TOPICS_PER_SEND = 10;

export const UserId = Type.String({ minLength: 1, maxLength: 256, description: "The integrator's user id" });

const HttpUrl = Type.String({
  maxLength: 2048,
  pattern: '^(https?://|/)',
  description:
    'An absolute http(s) URL, or a path on the page\'s own origin: one "/" followed by anything but "/" or "\\" ' +
    '(no spaces, control characters, backslashes or credentials; 400 `HERALD_ERR_URL_INVALID` otherwise). An app ' +
    'may restrict click URLs to its allowed origins.',
  ...refusedWith({
    pattern: {
      code: 'HERALD_ERR_URL_INVALID',
      message: 'is not an absolute http(s) URL nor a path on the page’s own origin (/orders/1)',
    },
  }),
});

/** The most users one send's `userIds` may name. */
export const MAX_USERS_PER_SEND = 10_000;

const TargetProperties = {
  userId: Type.Optional(UserId),
  userIds: Type.Optional(
    Type.Array(UserId, {
      minItems: 1,
      maxItems: MAX_USERS_PER_SEND,
      description: `Up to ${MAX_USERS_PER_SEND.toLocaleString('en')} entries; a user named twice is one recipient`,
    }),
  ),
  topic: Type.Optional(TopicName),
  topics: Type.Optional(
    Type.Array(TopicName, {
      minItems: 1,
      maxItems: MAX_TOPICS_PER_SEND,
      description:
        `Up to ${MAX_TOPICS_PER_SEND} topics: a user in several of them gets the notification once; a topic ` +
        'named twice counts once, where it is first named',
    }),
  ),
  broadcast: Type.Optional(Type.Literal(true)),
};
const TARGETS = '{ userId }, { userIds: [...] }, { topic }, { topics: [...] } or { broadcast: true }';

/** `to`: exactly one kind of target. */
export const Target = Type.Object(TargetProperties, {
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description:
    `Exactly one of ${TARGETS}. A topic send reaches the users in the topic when it is accepted (the topic must ` +
    'exist: 404 HERALD_ERR_TOPIC_NOT_FOUND); a broadcast, every user the app knows at that moment.',
  ...refusedWith({
    minProperties: { code: 'HERALD_ERR_TARGET_INVALID', message: `must name a target: ${TARGETS}` },
    maxProperties: { code: 'HERALD_ERR_TARGET_INVALID', message: `must name exactly one target: ${TARGETS}` },
  }),
});
export type Target = Static<typeof Target>;

const notificationProperties = {
  to: Target,
  title: Type.String({ minLength: 1, maxLength: 256 }),
  body: Type.Optional(Type.String({ maxLength: 4096 })),
  icon: Type.Optional(HttpUrl),
  image: Type.Optional(HttpUrl),
  url: Type.Optional(HttpUrl),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  data: Type.Optional(
    Type.Unknown({
      description: `Small JSON value handed to the page: at most 4 KB, and the whole request nests at most ${MAX_JSON_DEPTH} deep`,
    }),
  ),
  priority: Type.Optional(Priority),
  category: Type.Optional(
    CategoryKeyField(
      "One of the app's categories (`PUT /v1/categories/{category}`): each user's preferences for it apply — " +
        'popup, inbox only, or off (skipped, with the reason in the recipient list)',
    ),
  ),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_592_000 })),
  sendAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'At most a year ahead (the same date and time next year); one already past sends now',
      ...refusedWith({
        type: { code: 'HERALD_ERR_SEND_AT_INVALID', message: 'must be a date and time such as 2026-01-31T09:00:00Z' },
        format: {
          code: 'HERALD_ERR_SEND_AT_INVALID',
          message: 'is not a date and time such as 2026-01-31T09:00:00Z (with its time zone: Z or +01:00)',
        },
      }),
    }),
  ),
  idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
};

const EXAMPLE = {
  to: { userId: 'alice' },
  title: 'Your order shipped',
  body: 'Track it',
  url: 'https://shop.example/orders/1',
};

export const SendNotificationBody = Type.Object(notificationProperties, {
  additionalProperties: false,
  examples: [EXAMPLE],
});
export type SendNotificationBody = Static<typeof SendNotificationBody>;

export const SendNotificationResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: NotificationStatus,
    recipients: Type.Integer({ description: 'Number of users targeted' }),
    queueDelayed: Type.Optional(
      Type.Literal(true, {
        description:
          'Present when the notification is stored (so accepted: it will be sent) but the queue in Redis did not ' +
          'take it in time; the housekeeping sweep queues it once Redis answers, so it may arrive late. Do not send ' +
          'it again (a retry with the same idempotency key returns this notification).',
      }),
    ),
  },
  { description: 'Accepted: stored and queued (for a repeated idempotency key, the original one)' },
);

/** Web Push for one notification, counted by browser (docs/web-push.md). */
export const PushFunnel = Type.Object(
  {
    socket: Type.Integer({ description: 'Browsers of recipients whose tab had it on a socket in time: no push' }),
    posted: Type.Integer({
      description:
        'Browsers a push was posted to (its push service answered, or the network failed under a post); one refused before any post (its host not allowed, keys nothing can be encrypted for) counts in `failed` only',
    }),
    skipped: Type.Integer({
      description: "Browsers not posted to: the user's preferences (off, inbox only, quiet hours) or too old to pop up",
    }),
    accepted: Type.Integer({ description: 'Of those, the push service took it (201)' }),
    displayed: Type.Integer({ description: "Herald's service worker showed it" }),
    clicked: Type.Integer({ description: 'It was clicked' }),
    failed: Type.Integer({
      description: 'Gave up: failed, subscription gone (404/410) or to be renewed after a key rotation',
    }),
  },
  { description: 'Web Push, by browser' },
);

export const NotificationDetails = Type.Object({
  id: Type.String(),
  status: Type.Unsafe<NotificationStatus>({
    ...NotificationStatus,
    description:
      '`queued`: accepted, waiting for its job. `dispatched`: its recipients are fixed and it went to delivery (their delivery rows say the rest): an immediate send to at most 100 users once its job read it to emit it, a longer list once its fan-out is written, a topic send or broadcast once its job sent it.',
  }),
  to: Target,
  ...NotificationContent.properties,
  ttlSeconds: Type.Union([Type.Integer(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  sendAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  dispatchedAt: Type.Union([Type.String(), Type.Null()], {
    description:
      'When its recipients were fixed: for an immediate send to at most 100 users, when it was accepted (their rows are written then)',
  }),
  cancelledAt: Type.Union([Type.String(), Type.Null()]),
  failureReason: Type.Union([Type.String(), Type.Null()]),
  recipients: Type.Integer(),
  counts: Type.Object(Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, Type.Integer()])), {
    description:
      "Recipients by their delivery's status now (each in its latest step). A topic send's or broadcast's are its " +
      'whole audience, each member with the status its recipient list gives them (`skipped` by their preferences, ' +
      '`queued` until a device of theirs has it, the ending, or their receipt’s) — for an audience of up to 20,000. ' +
      'A larger one is counted by its receipts, the rest of its audience as `queued` (`countsExact` is false)',
  }),
  countsExact: Type.Boolean({
    description:
      'False for a topic send or broadcast to more than 20,000 users: its members are not read on each request, so ' +
      'those its preferences skip are counted in `queued`; its recipient list, filtered by status, names them',
  }),
  funnel: Type.Object(
    {
      delivered: Type.Integer(),
      displayed: Type.Integer(),
      clicked: Type.Integer(),
      read: Type.Integer(),
    },
    {
      description:
        'Recipients who reached each step, whatever came after: a click that was then read counts as clicked, ' +
        'and one read in the inbox without a popup is not counted as displayed',
    },
  ),
  push: PushFunnel,
});

export const CancelResponse = Type.Object({
  ...NotificationDetails.properties,
  cancelled: Type.Integer({
    description:
      'Recipients this request stopped: every recipient of a notification that had not gone out yet, or, once it ' +
      'went out, those no device had acknowledged (catch-up will not send it to them). 0 when cancelling again.',
  }),
});

export const NotificationParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

/** Largest batch. */
export const MAX_BATCH = 500;

/**
 * The envelope only: each item is checked against `SendNotificationBody` on its own, so that one
 * bad item gets its own error result instead of refusing the others.
 */
export const BatchBody = Type.Object(
  {
    notifications: Type.Array(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description:
            'A notification, exactly as the body of POST /v1/notifications. Each item is validated on its ' +
            'own: one that does not match gets an error result, and the others are still accepted.',
        },
      ),
      { minItems: 1, maxItems: MAX_BATCH },
    ),
  },
  {
    additionalProperties: false,
    examples: [{ notifications: [EXAMPLE, { to: { userIds: ['bob', 'carol'] }, title: 'Sale starts now' }] }],
  },
);

export const ItemError = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'Stable machine-readable code, HERALD_ERR_*' }),
  message: Type.String({ description: 'What is wrong with this item, in a sentence' }),
  details: Type.Optional(
    Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), {
      description: 'Per-field problems, for validation errors (paths start at notifications[<index>])',
    }),
  ),
});
export type ItemError = Static<typeof ItemError>;

export const BatchResponse = Type.Object(
  {
    accepted: Type.Integer({ description: 'How many items were accepted (or replayed)' }),
    results: Type.Array(
      Type.Union(
        [
          SendNotificationResponse,
          Type.Object({ error: ItemError }, { description: 'This item was refused; nothing of it was stored' }),
        ],
        {
          description:
            'One per item, in request order: the accepted notification (or the original, for a known idempotency ' +
            'key), or the error that refused that item alone — a 400 for an item that does not match the schema ' +
            'of POST /v1/notifications, and the same codes that endpoint answers otherwise.',
        },
      ),
    ),
  },
  { description: 'Each item accepted or refused on its own' },
);

const NullableTime = Type.Union([Type.String(), Type.Null()]);

/** One browser's push of one notification: its state and every attempt. */
const PushTimeline = Type.Object({
  browser: Type.String({ description: 'The push subscription (browser) id' }),
  status: Type.Union(
    [
      Type.Literal('socket'),
      Type.Literal('pending'),
      Type.Literal('sent'),
      Type.Literal('failed'),
      Type.Literal('gone'),
      Type.Literal('resubscribe'),
      Type.Literal('skipped'),
    ],
    {
      description:
        'socket: a tab had it (no push); pending: posting or retrying; sent: the push service took it; skipped: not ' +
        "posted (the user's preferences, or too old)",
    },
  ),
  attempts: Type.Array(
    Type.Object({
      at: Type.String(),
      status: Type.Integer({ description: "The push service's HTTP status; 0 when it did not answer" }),
      outcome: Type.String(),
      detail: Type.Optional(Type.String()),
    }),
  ),
  trimmed: Type.Array(Type.String(), { description: 'What was cut to fit 4 KB: data, body' }),
  sentAt: NullableTime,
  displayedAt: NullableTime,
  clickedAt: NullableTime,
  closedAt: NullableTime,
});

export const RecipientsQuery = Type.Object(
  {
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'nextCursor of the previous page (a user id: the page goes on after it)',
        ...refusedAsCursor('minLength', 'maxLength'),
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    status: Type.Optional(DeliveryStatus),
  },
  { additionalProperties: false },
);

export const RecipientsPage = Type.Object({
  items: Type.Array(
    Type.Object({
      userId: Type.String(),
      seq: Type.Union([Type.Integer(), Type.Null()], {
        description: "The user's sequence number; null for a topic send or broadcast (in no personal sequence)",
      }),
      status: DeliveryStatus,
      reason: Type.Union([Type.String(), Type.Null()]),
      queuedAt: Type.String(),
      sentAt: NullableTime,
      deliveredAt: NullableTime,
      displayedAt: NullableTime,
      clickedAt: NullableTime,
      readAt: NullableTime,
      expiredAt: NullableTime,
      failedAt: NullableTime,
      push: Type.Array(PushTimeline, { description: "Web Push to each of the user's browsers that has a row for it" }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
