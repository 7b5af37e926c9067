/**
 * The notification's shape and its statuses, written once. These TypeBox schemas are JSON Schema at
 * run time and TypeScript types through `Static`: the API's response schemas, its payload builder
 * and SQL column lists, the socket protocol's types (index.ts) and the dashboard all derive from
 * them. Import this module as `@herald/protocol/schema`; the SDK imports only types from the
 * package root, so TypeBox never reaches sdk.js.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { DELIVERY_STATUSES, DELIVERY_STEPS, NOTIFICATION_STATUSES, PRIORITIES } from './statuses.js';

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

export const NotificationStatus = Type.Enum(NOTIFICATION_STATUSES);
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
      'after a long disconnect) or was already read on another device',
  }),
  readAt: NullableTime('When it was read, on any device'),
  replay: Type.Optional(
    Type.Boolean({
      description: 'True when it is part of the catch-up sent on connect (sent while this socket was away)',
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
