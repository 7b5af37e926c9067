import { GRANT_PATTERN, TOPIC_PATTERN } from '../schemas/topics.js';

/**
 * The `topics` claim of a user token: the topics this user may subscribe to (and leave) from the
 * SDK, beyond the app's public ones. Each entry is a topic name in which `*` stands for any run of
 * characters: `project:*`, `team/alpha`, `*` (every topic).
 */
export const TOPICS_CLAIM = 'topics';

/** At most this many patterns in one token. */
export const MAX_GRANTS = 100;

const GRANT = new RegExp(GRANT_PATTERN);
const NAME = new RegExp(TOPIC_PATTERN);

/** No grants: one shared (frozen) list, not an empty array kept on every socket. */
const NONE: readonly string[] = Object.freeze([]);

/** The claim's patterns, or a sentence saying what is wrong with it. Absent: no grants. */
export function parseGrants(claim: unknown): readonly string[] | { problem: string } {
  if (claim === undefined || claim === null) return NONE;
  if (
    !Array.isArray(claim) ||
    claim.length > MAX_GRANTS ||
    !claim.every((g) => typeof g === 'string' && GRANT.test(g))
  ) {
    return {
      problem: `the "${TOPICS_CLAIM}" claim must be an array of up to ${MAX_GRANTS} topic patterns (topic names in which * stands for any characters)`,
    };
  }
  return [...new Set(claim as string[])];
}

/** Whether one of the patterns covers the topic. */
export function granted(topic: string, patterns: readonly string[]): boolean {
  return NAME.test(topic) && patterns.some((pattern) => matches(topic, pattern));
}

/**
 * Glob matching where only `*` is special (any run of characters, possibly none), in time
 * proportional to the two lengths' product at worst: on a mismatch after a star, the star takes
 * one more character and matching resumes there, never revisiting earlier stars. (A regular
 * expression with one `.*` per star backtracks exponentially: `*a*a*a*a*a*b` against a
 * 100-character name took seconds and stalled every other request.)
 */
export function matches(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
