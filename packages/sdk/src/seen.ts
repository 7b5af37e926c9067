import type { SafeStore } from './storage.js';

/** Entries kept at most; the oldest go first. */
const LIMIT = 500;
/** An entry older than this is forgotten (a replay that late is silent anyway). */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/**
 * Ids whose popup was shown, kept in localStorage (shared by the tabs of one origin and surviving
 * reloads) so a notification replayed after a reconnect never pops up twice. One key per id: tabs
 * run in different processes and see each other's writes a moment late, so a shared list written
 * back whole by two tabs at once would lose one of their ids.
 */
export class SeenIds {
  private _ids = new Set<string>();

  constructor(
    private _store: SafeStore,
    private _prefix: string,
  ) {
    this._upgradeList();
    this._prune();
  }

  /** Adds an id; false when it was already there (in this tab or, via storage, another). */
  add(id: string): boolean {
    if (this._ids.has(id)) return false;
    this._ids.add(id);
    const key = `${this._prefix}:${id}`;
    if (this._store.get(key) !== null) return false;
    this._store.set(key, String(Date.now()));
    return true;
  }

  /** Drops entries past their age, and the oldest beyond the limit. */
  private _prune(): void {
    const now = Date.now();
    const entries = this._store
      .keys(`${this._prefix}:`)
      .map((key) => ({ key, at: Number(this._store.get(key)) || 0 }))
      .sort((a, b) => b.at - a.at);
    entries.forEach(({ key, at }, i) => {
      if (i >= LIMIT || now - at > MAX_AGE_MS) this._store.remove(key);
    });
  }

  /** Earlier versions kept one JSON list under the prefix itself: move it to one key per id. */
  private _upgradeList(): void {
    const list = this._store.get(this._prefix);
    if (list === null) return;
    try {
      const ids: unknown = JSON.parse(list);
      if (Array.isArray(ids)) {
        const at = String(Date.now());
        for (const id of ids) if (typeof id === 'string') this._store.set(`${this._prefix}:${id}`, at);
      }
    } catch {
      // unreadable: nothing to keep
    }
    this._store.remove(this._prefix);
  }
}
