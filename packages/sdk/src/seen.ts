const LIMIT = 500;

/**
 * Ids already handled, kept in localStorage (shared by the tabs of one origin and surviving
 * reloads) so a notification replayed after a reconnect never pops up twice.
 */
export class SeenIds {
  private _ids: string[];
  private _set: Set<string>;

  constructor(
    private _storage: Storage | null,
    private _key: string,
  ) {
    this._ids = this._load();
    this._set = new Set(this._ids);
  }

  /** Adds an id; false when it was already there (in this tab or, via storage, another). */
  add(id: string): boolean {
    if (this._set.has(id)) return false;
    const stored = this._load();
    if (stored.includes(id)) {
      this._ids = stored;
      this._set = new Set(stored);
      return false;
    }
    this._ids = [...stored, id].slice(-LIMIT);
    this._set = new Set(this._ids);
    try {
      this._storage?.setItem(this._key, JSON.stringify(this._ids));
    } catch {
      // quota or privacy mode: in-memory dedupe still holds for this tab
    }
    return true;
  }

  private _load(): string[] {
    try {
      const raw = this._storage?.getItem(this._key);
      const parsed = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [...(this._ids ?? [])];
    }
  }
}
