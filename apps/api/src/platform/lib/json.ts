/**
 * The deepest nesting of arrays and objects Herald accepts in a JSON body. Validation, the
 * `data` size check, the idempotency hash and the database all walk a body; a document nested
 * thousands deep would overflow their stacks, so it is refused before anything walks it.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON `text` nests arrays and objects deeper than `limit`: one pass over the characters
 * (no recursion, no parse), skipping strings. Text that is not JSON may be miscounted; parsing
 * refuses it anyway.
 */
export function jsonDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}
