/**
 * `<herald-inbox>`: a bell with an unread badge and a panel listing the user's notifications, with
 * mark read / mark all read, and behind its gear the user's preferences (inbox-preferences.ts).
 * Loaded lazily (the script-tag SDK fetches `inbox.js` when the page has a `<herald-inbox>`
 * element) so the core script stays small. Styled through CSS custom properties
 * (`--herald-accent`, `--herald-bg`, `--herald-fg`, `--herald-muted`, `--herald-radius`,
 * `--herald-font`, `--herald-panel-width`) and `::part(bell | badge | panel | header | mark-all |
 * list | item | unread | title | body | time | empty | more | prefs-toggle | prefs | prefs-status |
 * categories | topics | pref | pref-name | pref-description | pref-required | quiet-hours |
 * quiet-toggle | quiet-times | quiet-zone)`.
 */
import type { InboxItem, NotificationPayload } from '@herald/protocol';
import type { HeraldClient } from './client.js';
import { PreferencesPanel } from './inbox-preferences.js';
import { safeHref } from './safe-url.js';

const STYLE = `
[hidden] { display: none !important; }
:host { position: relative; display: inline-block; font: 15px/1.4 var(--herald-font, system-ui, sans-serif);
  color: var(--herald-fg, #1d1d28); }
[part~=bell] { position: relative; background: none; border: 0; padding: .4rem; cursor: pointer; color: inherit; border-radius: 50%; }
[part~=bell]:focus-visible, button:focus-visible, [part~=item]:focus-visible, select:focus-visible, input:focus-visible { outline: 3px solid #f5a524; outline-offset: 2px; }
[part~=bell] svg { width: 1.5rem; height: 1.5rem; display: block; }
[part~=badge] { position: absolute; top: 0; right: 0; min-width: 1.1rem; height: 1.1rem; padding: 0 .25rem; border-radius: .55rem;
  background: var(--herald-accent, #c2185b); color: #fff; font-size: .7rem; line-height: 1.1rem; text-align: center; font-weight: 600; }
[part~=panel] { position: absolute; right: 0; top: calc(100% + .35rem); width: var(--herald-panel-width, 22rem);
  max-width: calc(100vw - 16px); max-height: 28rem;
  overflow: auto; background: var(--herald-bg, #fff); border-radius: var(--herald-radius, .75rem); box-shadow: 0 .5rem 2rem #0003; z-index: 2147483000; }
[part~=header] { display: flex; justify-content: space-between; align-items: center; padding: .7rem .9rem; border-bottom: 1px solid #8883; }
[part~=header] h2 { font-size: 1rem; margin: 0; }
button.link { background: none; border: 0; color: var(--herald-accent, #5b4bdb); cursor: pointer; font: inherit; padding: .2rem; }
ul { list-style: none; margin: 0; padding: 0; }
[part~=item] { display: block; width: 100%; text-align: left; background: none; border: 0; border-bottom: 1px solid #8882;
  padding: .65rem .9rem; cursor: pointer; font: inherit; color: inherit; }
[part~=unread] { background: color-mix(in srgb, var(--herald-accent, #5b4bdb) 8%, transparent); }
[part~=unread] [part~=title]::before { content: ''; display: inline-block; width: .5rem; height: .5rem; border-radius: 50%;
  background: var(--herald-accent, #5b4bdb); margin-right: .4rem; vertical-align: middle; }
[part~=title] { font-weight: 600; display: block; }
[part~=body] { display: block; }
[part~=time] { display: block; font-size: .8rem; color: var(--herald-muted, #6b6b80); }
[part~=empty] { padding: 1.5rem .9rem; color: var(--herald-muted, #6b6b80); text-align: center; margin: 0; }
[part~=more] { display: block; margin: .5rem auto; }
[part~=actions] { display: flex; align-items: center; gap: .2rem; }
button.icon { display: flex; background: none; border: 0; padding: .25rem; cursor: pointer; color: inherit; border-radius: 50%; }
button.icon svg { width: 1.2rem; height: 1.2rem; }
[aria-expanded=true].icon { color: var(--herald-accent, #5b4bdb); }
[part~=prefs] { padding: .6rem .9rem 0; }
[part~=prefs-status] { position: sticky; bottom: 0; margin: 0 -.9rem; padding: 0 .9rem; background: var(--herald-bg, #fff);
  font-size: .85rem; color: var(--herald-muted, #6b6b80); }
[part~=prefs-status]:not(:empty) { padding: .5rem .9rem; border-top: 1px solid #8883; }
[part~=prefs-status][data-error] { color: #b3261e; }
fieldset { border: 0; margin: 0 0 .7rem; padding: 0; min-width: 0; }
legend { font-weight: 600; padding: 0 0 .2rem; }
[part~=pref] { display: grid; grid-template-columns: 1fr auto; align-items: center; gap: .1rem .5rem; padding: .35rem 0;
  border-bottom: 1px solid #8882; overflow-wrap: anywhere; }
[part~=pref-description], [part~=pref-required] { grid-column: 1 / -1; font-size: .8rem; color: var(--herald-muted, #6b6b80); }
fieldset > div:not([part~=pref]) { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; padding: .25rem 0; }
select, input { font: inherit; color: inherit; }
[part~=quiet-toggle] label, [part~=quiet-zone] select { flex: 1; min-width: 0; }
`;

const BELL =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"/></svg>';

const GEAR =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" fill-rule="evenodd" d="M19.6 9.5 22.3 9.7v4.6l-2.7.2-.5 1.1 1.7 2.1-3.1 3.1-2.1-1.7-1.1.5-.2 2.7H9.7l-.2-2.7-1.1-.5-2.1 1.7-3.1-3.1 1.7-2.1-.5-1.1-2.7-.2V9.7l2.7-.2.5-1.1-1.7-2.1 3.1-3.1 2.1 1.7 1.1-.5.2-2.7h4.6l.2 2.7 1.1.5 2.1-1.7 3.1 3.1-1.7 2.1ZM12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 1 0 0-7Z"/></svg>';

type Item = InboxItem | (NotificationPayload & { status?: string });

export class HeraldInboxElement extends HTMLElement {
  private _client: HeraldClient | undefined;
  private _items: Item[] = [];
  private _unread = 0;
  private _next: string | null = null;
  private _loaded = false;
  private _off: Array<() => void> = [];
  private _root: ShadowRoot;
  private _waiter: ReturnType<typeof setInterval> | undefined;
  private _prefs: PreferencesPanel;

  constructor() {
    super();
    this._root = this.attachShadow({ mode: 'open' });
    this._root.innerHTML = `<style>${STYLE}</style>
<button part="bell" type="button" aria-haspopup="dialog" aria-expanded="false" aria-controls="panel" aria-label="Notifications">${BELL}<span part="badge" hidden></span></button>
<div part="panel" id="panel" role="dialog" aria-label="Notifications" hidden>
  <div part="header"><h2 part="heading">Notifications</h2><span part="actions"><button part="mark-all" class="link" type="button">Mark all read</button><button part="prefs-toggle" class="icon" type="button" aria-expanded="false" aria-controls="prefs" aria-label="Preferences" title="Preferences">${GEAR}</button></span></div>
  <div part="notifications">
    <ul part="list" aria-live="polite"></ul>
    <p part="empty" hidden>You have no notifications.</p>
    <button part="more" class="link" type="button" hidden>Load more</button>
  </div>
  <div part="prefs" id="prefs" hidden><div part="prefs-form"></div><p part="prefs-status" role="status"></p></div>
</div>`;
    this._prefs = new PreferencesPanel(this._$('prefs-form'), this._$('prefs-status'), () => this._client);
    this._$('bell').addEventListener('click', () => this.toggle());
    this._$('mark-all').addEventListener('click', () => void this._client?.markAllRead());
    this._$('more').addEventListener('click', () => void this._load(false));
    this._$('prefs-toggle').addEventListener('click', () => this._showPrefs(this._$('prefs').hidden !== false));
    this._$('panel').addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Escape') {
        this.toggle(false);
        this._$('bell').focus();
      }
    });
  }

  /** The client to read from; defaults to the script-tag global's (`Herald.client`). */
  set client(client: HeraldClient | undefined) {
    this._unbind();
    this._client = client;
    if (client && this.isConnected) this._bind();
  }

  get client(): HeraldClient | undefined {
    return this._client;
  }

  get unread(): number {
    return this._unread;
  }

  connectedCallback(): void {
    if (this._client) this._bind();
    else this._waitForGlobal();
  }

  disconnectedCallback(): void {
    this._unbind();
    clearInterval(this._waiter);
  }

  toggle(open = this._$('panel').hidden): void {
    this._$('panel').hidden = !open;
    this._$('bell').setAttribute('aria-expanded', String(open));
    if (open) this._place();
    if (open && !this._loaded) void this._load(true);
    if (!open) this._showPrefs(false);
  }

  /** Shows the preferences (fetched afresh each time) in the panel instead of the notifications, or back. */
  private _showPrefs(open: boolean): void {
    this._$('prefs').hidden = !open;
    this._$('notifications').hidden = open;
    this._$('mark-all').hidden = open;
    this._$('heading').textContent = open ? 'Preferences' : 'Notifications';
    this._$('prefs-toggle').setAttribute('aria-expanded', String(open));
    if (open) void this._prefs.load();
  }

  /**
   * The panel hangs below the bell, its right edge under the bell's, but never off screen: a bell
   * near the left edge of the page gets a panel that opens to the right.
   */
  private _place(): void {
    const panel = this._$('panel');
    panel.style.left = '';
    panel.style.right = '';
    const host = this.getBoundingClientRect();
    const width = panel.offsetWidth;
    const viewport = document.documentElement.clientWidth;
    const left = Math.max(8, Math.min(host.right - width, viewport - width - 8));
    panel.style.left = `${left - host.left}px`;
    panel.style.right = 'auto';
  }

  private _$(part: string): HTMLElement {
    return this._root.querySelector(`[part~="${part}"]`) as HTMLElement;
  }

  private _waitForGlobal(): void {
    const find = () => (globalThis as { Herald?: { client?: HeraldClient } }).Herald?.client;
    const found = find();
    if (found) {
      this.client = found;
      return;
    }
    this._waiter = setInterval(() => {
      const client = find();
      if (client) {
        clearInterval(this._waiter);
        this.client = client;
      }
    }, 200);
  }

  private _bind(): void {
    const client = this._client as HeraldClient;
    this._off.push(
      client.on('unread', (n) => this._setUnread(n)),
      client.on('notification', (n, context) => {
        if (this._items.some((i) => i.id === n.id)) return;
        // A replayed one may be counted already by the page loaded during catch-up; `synced` recounts.
        if (!n.readAt && !context.replay) this._setUnread(this._unread + 1);
        // The list stays newest first. One older than the loaded pages comes with "Load more".
        const last = this._items[this._items.length - 1];
        if (this._next !== null && last && n.createdAt < last.createdAt) return;
        const at = this._items.findIndex((i) => i.createdAt < n.createdAt);
        this._items.splice(at === -1 ? this._items.length : at, 0, n);
        this._render();
      }),
      client.on('read', ({ ids, unread }) => {
        const now = new Date().toISOString();
        for (const item of this._items) if (ids === 'all' || ids.includes(item.id)) item.readAt ??= now;
        this._setUnread(unread);
        this._render();
      }),
      client.on('synced', ({ count }) => {
        if (!this._loaded) void this._load(true);
        else if (count)
          void client.unreadCount().then(
            (n) => this._setUnread(n),
            () => {},
          );
      }),
    );
    if (client.state === 'connected') void this._load(true);
  }

  private _unbind(): void {
    for (const off of this._off.splice(0)) off();
  }

  private async _load(reset: boolean): Promise<void> {
    const client = this._client;
    if (client?.state !== 'connected') return;
    const page = await client.list({
      limit: Number(this.getAttribute('page-size')) || 20,
      cursor: reset ? null : this._next,
    });
    this._items = reset
      ? page.items
      : [...this._items, ...page.items.filter((i) => !this._items.some((x) => x.id === i.id))];
    this._next = page.nextCursor;
    this._loaded = true;
    this._setUnread(page.unread);
    this._render();
  }

  private _setUnread(n: number): void {
    this._unread = Math.max(0, n);
    const badge = this._$('badge');
    badge.hidden = this._unread === 0;
    badge.textContent = this._unread > 99 ? '99+' : String(this._unread);
    this._$('bell').setAttribute(
      'aria-label',
      this._unread ? `Notifications, ${this._unread} unread` : 'Notifications',
    );
    this.dispatchEvent(new CustomEvent('herald-unread', { detail: { unread: this._unread } }));
  }

  private _render(): void {
    const list = this._$('list');
    list.textContent = '';
    for (const item of this._items) {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.setAttribute('part', item.readAt ? 'item' : 'item unread');
      button.dataset.id = item.id;
      const title = document.createElement('span');
      title.setAttribute('part', 'title');
      title.textContent = item.title;
      button.append(title);
      if (item.body) {
        const body = document.createElement('span');
        body.setAttribute('part', 'body');
        body.textContent = item.body;
        button.append(body);
      }
      const time = document.createElement('time');
      time.setAttribute('part', 'time');
      time.dateTime = item.createdAt;
      time.textContent = new Date(item.createdAt).toLocaleString();
      button.append(time);
      button.addEventListener('click', () => {
        if (!item.readAt) void this._client?.markRead(item.id);
        const href = safeHref(item.url, location.href);
        if (href) location.assign(href);
      });
      li.append(button);
      list.append(li);
    }
    this._$('empty').hidden = this._items.length > 0;
    this._$('more').hidden = this._next === null;
  }
}

if (typeof customElements !== 'undefined' && !customElements.get('herald-inbox')) {
  customElements.define('herald-inbox', HeraldInboxElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-inbox': HeraldInboxElement;
  }
}
