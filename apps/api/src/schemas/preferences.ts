import { Category, DeliveryMode, Preferences, PreferencesPatch } from '@herald/protocol/schema';
import Type from 'typebox';
import { CategoryKeyField } from './category-key.js';
import { UserId } from './notifications.js';

export { Preferences, PreferencesPatch };

export const CategoryParams = Type.Object({ category: CategoryKeyField() });

/** `If-None-Match: *` on a category's PUT: create it only (a form that creates cannot overwrite). */
export const CreateOnlyHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({
      maxLength: 200,
      description: '`*`: create the category only; if it exists, 412 `HERALD_ERR_CATEGORY_EXISTS` and nothing changes',
    }),
  ),
});

/** Whether a request asked to create only (`If-None-Match: *`). */
export const createOnly = (headers: { 'if-none-match'?: string }) => headers['if-none-match']?.trim() === '*';
export const UserParams = Type.Object({ userId: UserId });

/** A category as stored: what the device sees, and when it was created. */
export const StoredCategory = Type.Object({
  ...Category.properties,
  createdAt: Type.String({ format: 'date-time' }),
});

export const CategoryList = Type.Object({ categories: Type.Array(StoredCategory) });

/** A category's fields to set; those left out keep their value (a new one: named by its key, popup, not required). */
export const CategoryChange = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 500 })])),
    defaultMode: Type.Optional(DeliveryMode),
    required: Type.Optional(
      Type.Boolean({ description: 'Users cannot turn it off: their `off`, for it or its topic, counts as `inbox`' }),
    ),
  },
  { additionalProperties: false },
);

export const CategoryDeleted = Type.Object({ category: Type.String(), deleted: Type.Literal(true) });
