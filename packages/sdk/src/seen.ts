import type { SafeStore } from './storage.js';

const LIMIT = 500;

/**
 * Ids whose popup was shown, kept in localStorage (shared by the tabs of one origin and surviving
 * reloads) so a notification replayed after a reconnect never pops up twice.
 */
export class SeenIds {
  private _ids: string[] = [];

  constructor(
    private _store: SafeStore,
    private _key: string,
  ) {}

  /** Adds an id; false when it was already there (in this tab or, via storage, another). */
  add(id: string): boolean {
    const stored = this._load();
    if (stored.includes(id) || this._ids.includes(id)) return false;
    this._ids = [...stored, id].slice(-LIMIT);
    this._store.set(this._key, JSON.stringify(this._ids));
    return true;
  }

  private _load(): string[] {
    try {
      const parsed = JSON.parse(this._store.get(this._key) ?? '[]');
      return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : this._ids;
    } catch {
      return this._ids;
    }
  }
}
