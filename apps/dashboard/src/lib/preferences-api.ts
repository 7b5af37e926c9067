/**
 * The admin API's categories, preferences and skipped deliveries (issue 12, part 4), declared by hand
 * from the contract until docs/openapi.json has those routes. Once it does, each of these becomes an
 * `Ok<…>` of the generated types (`npm run api-types -w @herald/dashboard`) and this file goes.
 */
import type { Category, Preferences } from '@herald/protocol';
import type { Ok } from './api.js';

/** GET /admin/api/apps/:appId/categories, one item; also what PUT answers. */
export type AdminCategory = Category & { createdAt: string };
export interface CategoryList {
  categories: AdminCategory[];
}
/** PUT /admin/api/apps/:appId/categories/:category: creates or replaces it. */
export type CategoryInput = Omit<Category, 'key'>;

/** GET /admin/api/subscribers/:id gains the user's preferences. */
export type SubscriberDetail = Ok<'/admin/api/subscribers/{id}'> & { preferences: Preferences };

type GeneratedDetail = Ok<'/admin/api/notifications/{id}'>;
/** GET /admin/api/notifications/:id: its counts gain `skipped` (deliveries a user's preferences turned off). */
export type NotificationDetail = Omit<GeneratedDetail, 'counts'> & {
  counts: GeneratedDetail['counts'] & { skipped: number };
};

type GeneratedRecipient = Ok<'/admin/api/notifications/{id}/recipients'>['items'][number];
/** A recipient row may be `skipped`, with its `reason` (e.g. `category "marketing" is off`). */
export type Recipient = Omit<GeneratedRecipient, 'status'> & { status: GeneratedRecipient['status'] | 'skipped' };
export interface Recipients {
  items: Recipient[];
  nextCursor: string | null;
}
