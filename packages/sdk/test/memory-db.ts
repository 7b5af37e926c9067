import type { HeraldDb, PushRecord } from '../src/push/db.js';

/** An in-memory stand-in for the IndexedDB the SDK and the service worker share (db.ts). */
export function memoryDb(): HeraldDb & { seen: Map<string, number>; saved: PushRecord | undefined } {
  const seen = new Map<string, number>();
  const db = {
    seen,
    saved: undefined as PushRecord | undefined,
    claim: async (id: string) => {
      if (seen.has(id)) return false;
      seen.set(id, Date.now());
      return true;
    },
    forget: async (id: string) => void seen.delete(id),
    record: async () => db.saved,
    setRecord: async (record: PushRecord | null) => {
      db.saved = record ?? undefined;
    },
  };
  return db;
}
