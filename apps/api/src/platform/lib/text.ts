/** NUL, or half of a UTF-16 surrogate pair: text PostgreSQL refuses to store. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The path of the first string (or key) in `value` that PostgreSQL cannot store, if any. Walks
 * with a stack of its own rather than recursion, so no nesting can overflow the call stack.
 */
export function unstorableText(value: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, path] = next;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return path || '(value)';
    } else if (Array.isArray(v)) {
      // Pushed last to first, so the first bad element is the one reported.
      for (let i = v.length - 1; i >= 0; i--) pending.push([v[i], `${path}[${i}]`]);
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries) if (UNSTORABLE.test(k)) return path ? `${path}.${k}` : k;
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] as [string, unknown];
        pending.push([child, path ? `${path}.${k}` : k]);
      }
    }
  }
  return undefined;
}

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID (notification ids are): anything else cannot name a row, so is a 4xx early. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
