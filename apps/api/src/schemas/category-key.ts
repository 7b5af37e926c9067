import { CategoryKey } from '@herald/protocol/schema';
import Type from 'typebox';
import { refusedWith } from './common.js';

const NOT_A_KEY = {
  code: 'HERALD_ERR_VALIDATION',
  message: 'is not a category key: 1 to 64 letters, digits and _ . : -, starting with a letter or digit (no spaces)',
};

/** A category's key, in a path or a send's `category`: the protocol's rule, refused with a sentence. */
export const CategoryKeyField = (description?: string) =>
  Type.String({
    ...CategoryKey,
    ...(description ? { description } : {}),
    ...refusedWith({ pattern: NOT_A_KEY, minLength: NOT_A_KEY, maxLength: NOT_A_KEY }),
  });
