import Type from 'typebox';
import { refusedWith } from './common.js';

/** What a topic's name may be: also the rule for `to: { topic }`. */
export const TOPIC_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:/@-]{0,99}$';
/** A grant in a token's `topics` claim: a topic name in which `*` stands for any characters. */
export const GRANT_PATTERN = '^[A-Za-z0-9_.:/@*-]{1,100}$';
const TOPIC_RULE =
  '1 to 100 characters: letters, digits and _ - . : / @, starting with a letter or digit (no spaces, no *)';

const NOT_A_NAME = { code: 'HERALD_ERR_VALIDATION', message: `is not a topic name: ${TOPIC_RULE}` };

/** A topic's name, in a path, a body or a send's `to`. */
export const TopicName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: TOPIC_PATTERN,
  description: `A topic of the app, such as news, project:42 or team/alpha: ${TOPIC_RULE}. In a path, encode "/" as %2F.`,
  ...refusedWith({ pattern: NOT_A_NAME, minLength: NOT_A_NAME, maxLength: NOT_A_NAME }),
});
