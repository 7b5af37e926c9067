import { ClientEvent, type NotificationPayload } from '@herald/protocol';
import { safeHref } from './safe-url.js';
import type { SeenIds } from './seen.js';

/** How long a tab keeps a notification's popup lock after claiming it (see `claim`). */
const CLAIM_HOLD_MS = 5000;

/** What the page decided about popups (a subset of `HeraldOptions`). */
export interface PopupOptions {
  popups?: boolean;
  shouldPopup?: (notification: NotificationPayload) => boolean;
  maxCatchUpPopups?: number;
}

type Report = typeof ClientEvent.Displayed | typeof ClientEvent.Clicked | typeof ClientEvent.Closed;

/**
 * This tab's native popups: which notifications deserve one, the claim that lets exactly one tab
 * of a browser show it, the popups themselves and their lifecycle reports (displayed, clicked,
 * closed), and closing them once read anywhere.
 */
export class Popups {
  private readonly _open = new Map<string, Notification>();

  constructor(
    private readonly _N: typeof Notification | null,
    private readonly _seen: SeenIds,
    private readonly _locks: LockManager | null,
    private readonly _options: PopupOptions,
    /** Tells the server what became of a popup. */
    private readonly _report: (event: Report, id: string) => void,
    /** The page's `click` event. */
    private readonly _onClick: (notification: NotificationPayload) => void,
    /** Web Push's seen-list, shared with the service worker: false when the worker showed it already. */
    private readonly _gate: (id: string) => boolean | Promise<boolean>,
  ) {}

  /** Whether a notification deserves a popup here: fresh, not silent, allowed by the page and the user. */
  wants(n: NotificationPayload): boolean {
    if (n.silent || (n.expiresAt && Date.parse(n.expiresAt) <= Date.now())) return false;
    if (this._options.popups === false || !this._N || this._N.permission !== 'granted') return false;
    return this._options.shouldPopup ? this._options.shouldPopup(n) !== false : true;
  }

  /**
   * Exactly one tab of a browser pops a notification up: a Web Lock per notification makes the
   * check-and-record on the shared seen-list atomic across tabs (the popup's tag is the backstop).
   * The winner keeps the lock a few seconds past its decision: tabs live in different processes,
   * which see each other's localStorage writes a moment later, so a tab that took the lock right
   * after the winner released it could still read a seen-list without the id. Then, in a browser
   * with a push subscription, the service worker's seen-list (IndexedDB) has its say.
   */
  async claim(id: string): Promise<boolean> {
    return (await this._claim(id)) && this._gate(id);
  }

  private _claim(id: string): Promise<boolean> {
    const locks = this._locks;
    if (!locks) return Promise.resolve(this._seen.add(id));
    return new Promise<boolean>((resolve) => {
      locks
        .request(`herald:popup:${id}`, { ifAvailable: true }, async (lock) => {
          if (!lock) return resolve(false);
          resolve(this._seen.add(id));
          await new Promise((held) => setTimeout(held, CLAIM_HOLD_MS));
        })
        .catch(() => resolve(this._seen.add(id)));
    });
  }

  /**
   * Catch-up pops up a few fresh notifications one by one, or one summary for many: never a flood.
   * Returns the ids that got a popup of their own.
   */
  async catchUp(replayed: NotificationPayload[]): Promise<Set<string>> {
    const fresh: NotificationPayload[] = [];
    for (const n of replayed) if (this.wants(n) && (await this.claim(n.id))) fresh.push(n);
    const max = this._options.maxCatchUpPopups ?? 3;
    const shown = new Set<string>();
    if (fresh.length > max) {
      const latest = fresh[fresh.length - 1] as NotificationPayload;
      const summary: NotificationPayload = {
        ...latest,
        id: `summary:${latest.id}`,
        title: `${fresh.length} new notifications`,
        body: `Latest: ${latest.title}`,
        url: null,
        tag: 'herald-summary',
      };
      this.show(summary, false);
    } else {
      for (const n of fresh) if (this.show(n)) shown.add(n.id);
    }
    return shown;
  }

  /** Closes this tab's popups of these notifications (read here or elsewhere). */
  close(ids: string[] | 'all'): void {
    for (const [id, popup] of this._open) {
      if (ids === 'all' || ids.includes(id)) {
        popup.close();
        this._open.delete(id);
      }
    }
  }

  /** Raises the popup; `report` false for a summary, which is no notification of the server's. */
  show(payload: NotificationPayload, report = true): boolean {
    const N = this._N;
    if (!N) return false;
    let popup: Notification;
    try {
      popup = new N(payload.title, {
        body: payload.body ?? undefined,
        icon: payload.icon ?? undefined,
        // The tag makes the OS replace rather than stack a second popup for the same notification.
        tag: payload.tag ?? payload.id,
        data: { id: payload.id, url: payload.url },
      });
    } catch {
      // Some browsers (Android Chrome) only allow popups from a service worker.
      return false;
    }
    this._open.set(payload.id, popup);
    popup.onclose = () => {
      this._open.delete(payload.id);
      if (report) this._report(ClientEvent.Closed, payload.id);
    };
    popup.onshow = () => {
      if (report) this._report(ClientEvent.Displayed, payload.id);
    };
    popup.onclick = (event) => {
      event.preventDefault?.();
      if (report) this._report(ClientEvent.Clicked, payload.id);
      this._onClick(payload);
      globalThis.focus?.();
      if (payload.url) openUrl(payload.url);
      popup.close();
    };
    return true;
  }
}

/** Opens a notification's link: a page of this site in this tab, another site in a new one; never `//host` tricks. */
function openUrl(url: string): void {
  const href = safeHref(url, location.href);
  if (!href) return;
  if (new URL(href).origin === location.origin) location.assign(href);
  else globalThis.open?.(href, '_blank', 'noopener');
}
