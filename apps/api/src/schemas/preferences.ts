import { Category, DeliveryMode, Preferences, PreferencesPatch } from '@herald/protocol/schema';
import Type from 'typebox';
import { CategoryKeyField } from './category-key.js';
import { UserId } from './notifications.js';

export { Preferences, PreferencesPatch };

export const CategoryParams = Type.Object({ category: CategoryKeyField() });

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
