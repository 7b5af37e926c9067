import webPush from 'web-push';
import type { Sql } from '../../platform/db/database.js';

/** An app's VAPID key pair, base64url (what `web-push` makes and takes). */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** An app's keys were rotated: its connected browsers must subscribe again with `publicKey`. */
export interface PushKeyEvent {
  appId: string;
  publicKey: string;
}

/** A fresh VAPID key pair, as the columns of a new app's row (an app gets its pair when it is created). */
export function newAppVapidKeys(): { vapidPublicKey: string; vapidPrivateKey: string } {
  const { publicKey, privateKey } = webPush.generateVAPIDKeys();
  return { vapidPublicKey: publicKey, vapidPrivateKey: privateKey };
}

/**
 * Each app's VAPID keys: read from its row, made there the first time they are needed (an app
 * created before Web Push, or by hand), and rotated on request. A few apps per installation: a
 * small cache, dropped on rotation on this node (and on the others, told through the gateway).
 */
export class VapidKeyStore {
  private readonly cache = new Map<string, { keys: VapidKeys; at: number }>();
  private onRotate: (event: PushKeyEvent) => void = () => {};

  /** Told of every rotation made through this store (the gateway tells the browsers). */
  listen(onRotate: (event: PushKeyEvent) => void): void {
    this.onRotate = onRotate;
  }

  /** Drops this node's copy of an app's keys (rotated on another node). */
  forget(appId: string): void {
    this.cache.delete(appId);
  }

  constructor(
    private readonly sql: Sql,
    private readonly ttlMs = 30_000,
  ) {}

  async get(appId: string): Promise<VapidKeys | undefined> {
    const hit = this.cache.get(appId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.keys;
    const [row] = await this.sql.query<{ public_key: string | null; private_key: string | null }>(
      'SELECT vapid_public_key AS public_key, vapid_private_key AS private_key FROM apps WHERE id = $1',
      [appId],
    );
    if (!row) return undefined;
    const keys =
      row.public_key && row.private_key
        ? { publicKey: row.public_key, privateKey: row.private_key }
        : await this.make(appId);
    this.cache.set(appId, { keys, at: Date.now() });
    return keys;
  }

  /** Gives the app a pair if it has none; two nodes doing so at once agree on the first one written. */
  private async make(appId: string): Promise<VapidKeys> {
    const fresh = webPush.generateVAPIDKeys();
    const [row] = await this.sql.query<{ public_key: string; private_key: string }>(
      `UPDATE apps SET vapid_public_key = COALESCE(vapid_public_key, $2), vapid_private_key = COALESCE(vapid_private_key, $3)
        WHERE id = $1 RETURNING vapid_public_key AS public_key, vapid_private_key AS private_key`,
      [appId, fresh.publicKey, fresh.privateKey],
    );
    return row ? { publicKey: row.public_key, privateKey: row.private_key } : fresh;
  }

  /**
   * A new pair for the app. Every subscription made with another key is marked `resubscribe`: push
   * services refuse the new key's JWT for it, so nothing is posted to it until its browser
   * subscribes again (told so on its next connect, or at once if connected). Returns the new public
   * key and how many subscriptions were marked.
   */
  async rotate(appId: string): Promise<{ publicKey: string; marked: number } | undefined> {
    const fresh = webPush.generateVAPIDKeys();
    const [row] = await this.sql.query<{ apps: number; marked: number }>(
      `WITH app AS (
         UPDATE apps SET vapid_public_key = $2, vapid_private_key = $3, vapid_rotated_at = now()
          WHERE id = $1 RETURNING id
       ), marked AS (
         UPDATE push_subscriptions SET status = 'resubscribe'
          WHERE app_id = (SELECT id FROM app) AND public_key <> $2 AND status = 'active'
          RETURNING 1
       )
       SELECT (SELECT count(*) FROM app)::int AS apps, (SELECT count(*) FROM marked)::int AS marked`,
      [appId, fresh.publicKey, fresh.privateKey],
    );
    this.cache.delete(appId);
    if (!row || row.apps === 0) return undefined;
    this.onRotate({ appId, publicKey: fresh.publicKey });
    return { publicKey: fresh.publicKey, marked: row.marked };
  }
}

/** Gives every app without VAPID keys a pair (`herald migrate`); returns how many got one. */
export async function fillVapidKeys(sql: Sql): Promise<number> {
  const apps = await sql.query<{ id: string }>('SELECT id FROM apps WHERE vapid_public_key IS NULL');
  const store = new VapidKeyStore(sql, 0);
  for (const { id } of apps) await store.get(id);
  return apps.length;
}
