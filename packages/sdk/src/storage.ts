/** localStorage that may be missing or throw (privacy modes, sandboxed iframes): never breaks delivery. */
export class SafeStore {
  constructor(private _storage: Storage | null) {}

  get(key: string): string | null {
    try {
      return this._storage?.getItem(key) ?? null;
    } catch {
      return null;
    }
  }

  set(key: string, value: string): void {
    try {
      this._storage?.setItem(key, value);
    } catch {
      // quota exceeded or storage blocked: in-memory state still holds for this page
    }
  }

  remove(key: string): void {
    try {
      this._storage?.removeItem(key);
    } catch {
      // storage blocked: nothing to remove
    }
  }

  /** The keys that start with `prefix`. */
  keys(prefix: string): string[] {
    const found: string[] = [];
    try {
      const storage = this._storage;
      if (!storage) return found;
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(prefix)) found.push(key);
      }
    } catch {
      // storage blocked: none
    }
    return found;
  }
}

/** The unverified claims of a JWT, to key per-user state. Never used for trust decisions. */
export function peekClaims(token: string): { sub?: string; aud?: string; exp?: number } {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown; aud?: unknown; exp?: unknown };
    return {
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      aud: typeof claims.aud === 'string' ? claims.aud : undefined,
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
    };
  } catch {
    return {};
  }
}

/** Where the SDK remembers that this browser has a push subscription with the Herald server at `url`. */
export function pushFlagKey(url: string): string {
  return `herald:push:${url}`;
}
