/**
 * The notification's shape and its statuses, written once. These TypeBox schemas are JSON Schema at
 * run time and TypeScript types through `Static`: the API's response schemas, its payload builder
 * and SQL column lists, the socket protocol's types (index.ts) and the dashboard all derive from
 * them. Import this module as `@herald/protocol/schema`; the SDK imports only types from the
 * package root, so TypeBox never reaches sdk.js.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { DELIVERY_MODES, DELIVERY_STATUSES, DELIVERY_STEPS, NOTIFICATION_STATUSES, PRIORITIES } from './statuses.js';

export * from './statuses.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = (description: string) => Type.String({ format: 'date-time', description });
const NullableTime = (description: string) => Nullable(Time(description));

/** A JSON value, as the integrator's `data` carries it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** Any JSON value, null included (an empty schema: the serializer writes it as JSON.stringify does). */
export const JsonValue = Type.Unsafe<JsonValue>({});

export const Priority = Type.Enum(PRIORITIES);
export type Priority = Static<typeof Priority>;

export const NotificationStatus = Type.Enum(NOTIFICATION_STATUSES, {
  description:
    "The send's status, not a recipient's: `scheduled` (waiting for its `sendAt`), `queued` (for a worker), " +
    "`processing` (being sent), `dispatched` (it went out to every recipient's open devices: who had it is in " +
    'its counts), `cancelled`, `failed` (after its last attempt) or `expired` (its ttl ran out before it went out)',
});
export type NotificationStatus = Static<typeof NotificationStatus>;

export const DeliveryStatus = Type.Enum(DELIVERY_STATUSES);
export type DeliveryStatus = Static<typeof DeliveryStatus>;
/** The statuses a user's inbox can show: the steps (an ended delivery never reached the user). */
export const InboxStatus = Type.Enum(DELIVERY_STEPS);

/**
 * What the integrator wrote and every channel shows. The database stores each under the same
 * name, in the `notifications` table.
 */
export const NotificationContent = Type.Object({
  title: Type.String(),
  body: Nullable(Type.String()),
  icon: Nullable(Type.String()),
  image: Nullable(Type.String()),
  url: Nullable(Type.String()),
  tag: Nullable(Type.String()),
  data: JsonValue,
  priority: Priority,
  category: Nullable(Type.String({ description: "One of the app's categories: users' preferences for it apply" })),
});
export type NotificationContent = Static<typeof NotificationContent>;

/** The content's field names, in order: the columns the SQL selects. */
export const CONTENT_FIELDS = Object.keys(NotificationContent.properties) as (keyof NotificationContent)[];

/** The `notification` event's payload: one notification as one user's device receives it. */
export const NotificationPayload = Type.Object({
  id: Type.String(),
  seq: Type.Integer({ description: "Per-user increasing sequence number: the client's resume cursor" }),
  ...NotificationContent.properties,
  createdAt: Time('When the notification was accepted'),
  expiresAt: NullableTime('After this it must not be shown; null for never'),
  silent: Type.Boolean({
    description:
      'True when it should go to the inbox without a popup: it is older than the freshness window (a replay ' +
      'after a long disconnect) or was already read on another device; and, in what a device is sent (live or ' +
      "in catch-up), when the user's preferences (`inbox` for its category or topic) or quiet hours, as they are " +
      'when it is sent, say so. An inbox list pops nothing up: there it says only whether the item is old or read',
  }),
  readAt: NullableTime('When it was read, on any device'),
  replay: Type.Optional(
    Type.Boolean({
      description:
        'True when the catch-up on connect (or an answer to `sync`) sends it and it was accepted before this ' +
        'connection: missed while away. What they send of those accepted since comes without it, as a live one does',
    }),
  ),
  stream: Type.Optional(
    Type.Object(
      {
        name: Type.String({ description: "The topic, or `*` for the app's broadcasts" }),
        seq: Type.Integer({ description: "Its place in that stream: the stream's resume cursor" }),
      },
      {
        description:
          'Set on a topic send or broadcast: the stream it came through. Such a notification is in no personal ' +
          'sequence; its `seq` is the personal position this device already has, so keeping it moves nothing',
      },
    ),
  ),
});
export type NotificationPayload = Static<typeof NotificationPayload>;

/** An inbox entry: the payload with where this user's delivery stands. */
export const InboxItem = Type.Object({ ...NotificationPayload.properties, status: InboxStatus });
export type InboxItem = Static<typeof InboxItem>;

/** How a user takes a category's or topic's notifications: `popup`, `inbox` (no popup) or `off`. */
export const DeliveryMode = Type.Enum(DELIVERY_MODES);

/** A category's key (what a send names), like a topic's name without `/`: letters, digits and `_ . : -`. */
export const CATEGORY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$';
export const CategoryKey = Type.String({ pattern: CATEGORY_PATTERN, minLength: 1, maxLength: 64 });

export const Category = Type.Object({
  key: CategoryKey,
  name: Type.String({ maxLength: 100 }),
  description: Nullable(Type.String({ maxLength: 500 })),
  defaultMode: DeliveryMode,
  required: Type.Boolean({ description: 'Users cannot turn it off (their `off` counts as `inbox`)' }),
});

/** `HH:MM`, 24-hour. */
const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: '24-hour HH:MM' });

export const QuietHours = Type.Object(
  {
    start: ClockTime,
    end: ClockTime,
    timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone, e.g. Europe/Paris' }),
  },
  {
    additionalProperties: false,
    description:
      "From `start` to `end` in the user's time zone (an `end` before `start` ends the next day), what would pop up goes to the inbox silently",
  },
);

/** At most this many choices per map of a user's preferences. */
export const MAX_PREFERENCE_KEYS = 200;

export const Preferences = Type.Object({
  categories: Type.Record(Type.String(), DeliveryMode, { description: 'Mode per category key' }),
  topics: Type.Record(Type.String(), DeliveryMode, { description: 'Mode per topic name' }),
  quietHours: Nullable(QuietHours),
  required: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'The keys of `categories` the app made required, in key order (absent when none): their mode is the one ' +
        'that applies, at least `inbox`. An `off` chosen before the category became required shows as `inbox`; it ' +
        'is kept, and applies again if the category stops being required.',
    }),
  ),
});

export const PreferencesPatch = Type.Object(
  {
    categories: Type.Optional(
      Type.Record(Type.String(), Nullable(DeliveryMode), { maxProperties: MAX_PREFERENCE_KEYS }),
    ),
    topics: Type.Optional(Type.Record(Type.String(), Nullable(DeliveryMode), { maxProperties: MAX_PREFERENCE_KEYS })),
    quietHours: Type.Optional(Nullable(QuietHours)),
  },
  {
    additionalProperties: false,
    description: 'The keys named change (`null` forgets a choice: the default applies again); the rest stay',
  },
);
