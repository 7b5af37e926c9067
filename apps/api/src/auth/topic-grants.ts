import { TOPIC_PATTERN } from '../schemas/topics.js';

/**
 * The `topics` claim of a user token: the topics this user may subscribe to (and leave) from the
 * SDK, beyond the app's public ones. Each entry is a topic name in which `*` stands for any run of
 * characters: `project:*`, `team/alpha`, `*` (every topic).
 */
export const TOPICS_CLAIM = 'topics';

/** At most this many patterns in one token. */
export const MAX_GRANTS = 100;

const GRANT = /^[A-Za-z0-9_.:/@*-]{1,100}$/;
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

const compiled = new Map<string, RegExp>();

/** Whether one of the patterns covers the topic. */
export function granted(topic: string, patterns: readonly string[]): boolean {
  if (!NAME.test(topic)) return false;
  return patterns.some((pattern) => {
    let re = compiled.get(pattern);
    if (!re) {
      // Only * is special: every other character of a pattern is literal.
      re = new RegExp(`^${pattern.split('*').map(literal).join('.*')}$`);
      if (compiled.size > 10_000) compiled.clear();
      compiled.set(pattern, re);
    }
    return re.test(topic);
  });
}

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
