/**
 * The notification's priorities and statuses as plain lists, without TypeBox: the SDK and the
 * dashboard import them from the package root; schema.ts builds its enums from them.
 */

export const PRIORITIES = ['low', 'normal', 'high'] as const;
/** A notification's own lifecycle (not its recipients'). */
export const NOTIFICATION_STATUSES = [
  'queued',
  'scheduled',
  'processing',
  'dispatched',
  'cancelled',
  'failed',
  'expired',
] as const;
/** The steps of one recipient's delivery, in order: a delivery only moves forward through them. */
export const DELIVERY_STEPS = ['queued', 'sent', 'delivered', 'displayed', 'clicked', 'read'] as const;
/**
 * The ways a delivery ends without reaching a device. `skipped` is written so at fan-out, for a
 * user whose preferences turned the notification off; nothing moves a delivery there.
 */
export const DELIVERY_ENDINGS = ['expired', 'failed', 'cancelled', 'skipped'] as const;
export const DELIVERY_STATUSES = [...DELIVERY_STEPS, ...DELIVERY_ENDINGS] as const;

/**
 * How a user takes a category's or a topic's notifications, from most to least: a popup (and the
 * inbox), the inbox only (no popup), or not at all.
 */
export const DELIVERY_MODES = ['popup', 'inbox', 'off'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];
