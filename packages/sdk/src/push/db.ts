/**
 * What Herald's pages and Herald's service worker share in one browser, in IndexedDB (database
 * `herald`, the same on the site's origin for both): `seen`, the notifications that already had a
 * popup here (key = notification id, value = when), so the tab and the worker never both show one;
 * and `push`, this browser's push registration (`PushRecord`) for the worker's
 * `pushsubscriptionchange`, where it has no user token. Used by the SDK (push.js, the ESM build) and
 * by herald-sw.js: one module, one schema.
 */

const NAME = 'herald';
/** Bumped only with a new store: an older worker still opening version 1 would fail against 2. */
const VERSION = 1;
const SEEN = 'seen';
const PUSH = 'push';
/** A seen id older than this is forgotten (the push service keeps no message that long). */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** This browser's push registration with Herald, written by the SDK, renewed by the worker. */
export interface PushRecord {
  /** Herald's base URL: the worker POSTs `/push/renew` there. */
  url: string;
  /** The token for `POST /push/renew` (from the `push:subscribe` reply). */
  renew: string;
  /** The subscription's endpoint: the worker renews only Herald's own subscription. */
  endpoint: string;
  /** The `applicationServerKey` it was made with (base64url), for a renewal without the old subscription. */
  publicKey: string;
}

export interface HeraldDb {
  /**
   * Records a notification as seen, atomically: true when this call recorded it (show the popup),
   * false when a tab or the worker already had.
   */
  claim(id: string): Promise<boolean>;
  /** Forgets a seen id (a popup that could not be shown after all). */
  forget(id: string): Promise<void>;
  record(): Promise<PushRecord | undefined>;
  /** Stores the record, or deletes it (`null`). */
  setRecord(record: PushRecord | null): Promise<void>;
}

/** The database on this origin. Nothing is opened before the first call. */
export function heraldDb(factory: IDBFactory | undefined = globalThis.indexedDB): HeraldDb {
  let opening: Promise<IDBDatabase> | undefined;
  const open = (): Promise<IDBDatabase> => {
    opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (!factory) throw new Error('IndexedDB is not available');
      const request = factory.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const store of [SEEN, PUSH]) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another context upgrading the database: step aside, reopen on the next call.
        db.onversionchange = () => {
          db.close();
          opening = undefined;
        };
        prune(db);
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('IndexedDB is blocked by an older version'));
    });
    opening.catch(() => {
      opening = undefined;
    });
    return opening;
  };

  /** Runs `work` in one transaction; resolves with what it returns once the transaction committed. */
  const run = async <T>(store: string, mode: IDBTransactionMode, work: (s: IDBObjectStore) => () => T) => {
    const db = await open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(result());
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  };

  return {
    claim: (id) =>
      run(SEEN, 'readwrite', (seen) => {
        // The read and the write are one readwrite transaction: IndexedDB runs those on one store
        // one after another, across tabs and the worker alike.
        let fresh = false;
        const found = seen.getKey(id);
        found.onsuccess = () => {
          if (found.result !== undefined) return;
          fresh = true;
          seen.put(Date.now(), id);
        };
        return () => fresh;
      }),
    forget: (id) =>
      run(SEEN, 'readwrite', (seen) => {
        seen.delete(id);
        return () => undefined;
      }),
    record: () =>
      run(PUSH, 'readonly', (push) => {
        const got = push.get(PUSH);
        return () => got.result as PushRecord | undefined;
      }),
    setRecord: (record) =>
      run(PUSH, 'readwrite', (push) => {
        if (record) push.put(record, PUSH);
        else push.delete(PUSH);
        return () => undefined;
      }),
  };
}

/** Drops seen ids past their age, once per opening (the store stays a few hundred entries at most). */
function prune(db: IDBDatabase): void {
  try {
    const before = Date.now() - MAX_AGE_MS;
    const cursor = db.transaction(SEEN, 'readwrite').objectStore(SEEN).openCursor();
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (!at) return;
      if (!(Number(at.value) >= before)) at.delete();
      at.continue();
    };
  } catch {
    // best effort
  }
}
