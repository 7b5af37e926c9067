import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Ok, query, timeAgo } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { describeUserAgent } from '../../lib/user-agent.js';
import { HeraldElement } from '../base/herald-element.js';

type Sub = Ok<'/admin/api/subscribers'>['items'][number];
type SubDetail = Ok<'/admin/api/subscribers/{id}'>;
type Preferences = SubDetail['preferences'];
type Browser = SubDetail['browsers'][number];

/** A user's choices for categories or topics, as a table; or the sentence saying they made none. */
function choices(title: string, modes: Record<string, string>, none: string) {
  const entries = Object.entries(modes).sort(([a], [b]) => a.localeCompare(b));
  return entries.length
    ? html`<table data-choices=${title.toLowerCase()}><thead><tr><th>${title}</th><th>Mode</th></tr></thead>
        <tbody>${entries.map(([k, mode]) => html`<tr><td class="mono" style="overflow-wrap:anywhere">${k}</td><td><span class="pill">${mode}</span></td></tr>`)}</tbody></table>`
    : html`<p class="muted" data-choices=${title.toLowerCase()}>${none}</p>`;
}

/** "22:00 to 07:00 (the next day), Europe/Paris: …", or "none". */
function quietHours(q: Preferences['quietHours']): string {
  if (!q) return 'none';
  const overnight = q.end < q.start ? ' (the next day)' : '';
  return `${q.start} to ${q.end}${overnight}, ${q.timeZone}: what would pop up goes to the inbox silently`;
}

/** How many notifications a user's inbox holds ("1,000+" where counting stopped). */
const inboxSize = (n: Sub['notifications']) => `${n.count.toLocaleString('en-US')}${n.more ? '+' : ''}`;

/** A browser's user agent, short ("Chrome 131 on Windows"), with the whole header on hover. */
function userAgent(ua: string | null) {
  if (!ua) return html`<span class="muted">unknown browser</span>`;
  const short = describeUserAgent(ua) ?? (ua.length > 48 ? `${ua.slice(0, 47)}…` : ua);
  return html`<span title=${ua} data-user-agent>${short}</span>`;
}

/** What a browser's status means for the pushes it gets. */
function browserStatus(b: Browser) {
  return b.status === 'active'
    ? html`<span class="pill active">active</span><div class="muted">Gets a push when none of its tabs has the notification.</div>`
    : html`<span class="pill resubscribe">needs re-subscription</span><div class="muted">It subscribed with a push key the app no longer uses (or its push service refused the key): no push until the SDK subscribes it again, on its next connect.</div>`;
}

/** The user's browsers subscribed to Web Push, most recently registered first; or the sentence saying there are none. */
function browsers(list: Browser[]) {
  return list.length
    ? html`<div class="table-wrap card"><table data-browsers>
        <thead><tr><th>Browser</th><th>Push service</th><th>Origin</th><th>Status</th><th>Registered / last seen</th><th>Last success</th><th>Last error</th></tr></thead>
        <tbody>${list.map(
          (b) => html`<tr data-browser=${b.id}>
            <td>${userAgent(b.userAgent)}</td>
            <td class="mono">${b.pushService || '—'}</td>
            <td class="mono">${b.origin ?? '—'}</td>
            <td data-status>${browserStatus(b)}</td>
            <td><span title=${b.createdAt}>${timeAgo(b.createdAt)}</span> / <span title=${b.updatedAt}>${timeAgo(b.updatedAt)}</span></td>
            <td>${b.lastSuccessAt ? html`<span title=${b.lastSuccessAt}>${timeAgo(b.lastSuccessAt)}</span>` : html`<span class="muted">none yet</span>`}</td>
            <td>${b.lastError ? html`<span class="error" style="overflow-wrap:anywhere">${b.lastError}</span>` : '—'}</td>
          </tr>`,
        )}</tbody></table></div>`
    : html`<p class="empty card" data-browsers>No browser of this user subscribed to Web Push.</p>`;
}

/** Subscribers: search, who is online (live), and one user's inbox and delivery history. */
@customElement('herald-subscribers')
export class HeraldSubscribers extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`.pill.active { color: var(--ok); border-color: var(--ok); }
      .pill.resubscribe { color: var(--warn); border-color: var(--warn); }`,
  ];

  @property() accessor subscriberId: string | undefined;
  @state() accessor q = '';
  @state() accessor appId = '';
  @state() accessor online = new Map<string, boolean>();
  /** The pages after the first, as More loaded them, and where the next one starts. */
  @state() accessor further: Sub[] = [];
  @state() accessor cursor: string | null = null;

  private readonly live = new LiveController(this, () => this.services?.live, {
    presence: (changes) => {
      const next = new Map(this.online);
      for (const c of changes) next.set(`${c.appId}:${c.userId}`, c.online);
      this.online = next;
    },
    deliveries: () => {
      if (this.subscriberId) this.detail.run();
    },
  });

  private list = new Task(this, {
    task: async ([q, appId, id], { signal }) => {
      if (id) return [];
      this.online = new Map();
      const page = await this.api.get<Ok<'/admin/api/subscribers'>>(
        `/admin/api/subscribers${query({ q, appId, limit: 100 })}`,
        signal,
      );
      this.further = [];
      this.cursor = page.nextCursor;
      return page.items;
    },
    args: () => [this.q, this.appId, this.subscriberId] as const,
  });

  private detail = new Task(this, {
    task: async ([id], { signal }) =>
      id ? this.api.get<SubDetail>(`/admin/api/subscribers/${id}`, signal) : undefined,
    args: () => [this.subscriberId] as const,
  });

  @state() accessor loadingMore = false;

  private async more(): Promise<void> {
    const { q, appId, cursor } = this;
    if (this.loadingMore || !cursor) return;
    this.loadingMore = true;
    try {
      const page = await this.api.get<Ok<'/admin/api/subscribers'>>(
        `/admin/api/subscribers${query({ q, appId, cursor, limit: 100 })}`,
      );
      // A search started meanwhile has its own first page: this one is of the old search.
      if (this.q !== q || this.appId !== appId || this.cursor !== cursor) return;
      this.further = [...this.further, ...page.items];
      this.cursor = page.nextCursor;
    } finally {
      this.loadingMore = false;
    }
  }

  private isOnline(s: Sub): boolean {
    return this.online.get(`${s.appId}:${s.userId}`) ?? s.online;
  }

  private search(event: SubmitEvent): void {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    this.q = String(f.get('q') ?? '');
    this.appId = String(f.get('appId') ?? '');
  }

  override render() {
    void this.live;
    if (this.subscriberId) return this.renderDetail();
    return html`<h1>Subscribers</h1>
      <form class="row card" role="search" @submit=${this.search}>
        <label>User id contains <input name="q" type="search" .value=${this.q} /></label>
        <label>App <input name="appId" size="10" .value=${this.appId} /></label>
        <button type="submit">Search</button>
      </form>
      <p></p>
      ${this.list.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (items) =>
          items.length === 0
            ? html`<p class="empty card">No subscribers${this.q ? ` match “${this.q}”` : ' yet: a user appears when their browser first connects or is first sent a notification'}.</p>`
            : html`<div class="table-wrap card"><table>
                <thead><tr><th>User</th><th>App</th><th>Presence</th><th title="In the user’s inbox, read or not: direct sends, topic sends and broadcasts">Notifications</th><th>Last seen</th></tr></thead>
                <tbody>${[...items, ...this.further].map(
                  (s) => html`<tr data-user=${s.userId}>
                    <td><a href="#/subscribers/${s.id}">${s.userId}</a></td><td>${s.appId}</td>
                    <td><span class="pill ${this.isOnline(s) ? 'online' : ''}" data-presence>${this.isOnline(s) ? 'online' : 'offline'}</span></td>
                    <td data-notifications>${inboxSize(s.notifications)}</td><td>${timeAgo(s.lastSeenAt)}</td>
                  </tr>`,
                )}</tbody></table></div>
              ${this.cursor ? html`<p><button class="secondary" type="button" ?disabled=${this.loadingMore} @click=${this.more}>More</button></p>` : nothing}`,
      })}`;
  }

  private renderDetail() {
    return html`<p><a href="#/subscribers">← Subscribers</a></p>
      ${this.detail.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (s) =>
          s
            ? html`<h1>${s.userId}</h1>
                <p><span class="pill ${this.isOnline(s) ? 'online' : ''}">${this.isOnline(s) ? 'online' : 'offline'}</span>
                  <span class="muted" data-summary>· app ${s.appId} · ${inboxSize(s.notifications)} in the inbox, ${s.unread} unread · last seen ${timeAgo(s.lastSeenAt)}</span></p>
                <h2>Preferences</h2>
                <section class="card" aria-label="Preferences" data-preferences>
                  <p class="muted" style="margin-top:0">The user’s own choices, made from your app’s pages; a category or topic not listed follows its default.</p>
                  <p data-quiet-hours><b>Quiet hours:</b> ${quietHours(s.preferences.quietHours)}</p>
                  <div class="table-wrap">${choices('Category', s.preferences.categories, 'No choice for any category: each follows its default mode.')}</div>
                  <div class="table-wrap" style="margin-top:1rem">${choices('Topic', s.preferences.topics, 'No choice for any topic: each follows its default (popup).')}</div>
                </section>
                <h2>Browsers (Web Push)</h2>
                ${browsers(s.browsers)}
                <h2>Inbox</h2>
                ${
                  s.inbox.length
                    ? html`<div class="table-wrap card"><table><thead><tr><th>Title</th><th>Status</th><th>Sent</th></tr></thead>
                      <tbody>${s.inbox.map((i) => html`<tr><td><a href="#/notifications/${i.id}">${i.title}</a>${i.readAt ? nothing : html` <span class="pill">unread</span>`}</td><td><span class="pill ${i.status}">${i.status}</span></td><td>${timeAgo(i.createdAt)}</td></tr>`)}</tbody></table></div>`
                    : html`<p class="empty card">The inbox is empty.</p>`
                }
                <h2>Delivery history</h2>
                ${
                  s.history.length
                    ? html`<div class="table-wrap card"><table><thead><tr><th>#</th><th>Notification</th><th>Status</th><th>Queued</th><th>Delivered</th><th>Read</th></tr></thead>
                      <tbody>${s.history.map((h) => html`<tr><td>${h.seq}</td><td><a href="#/notifications/${h.notificationId}">${h.title}</a></td><td><span class="pill ${h.status}">${h.status}</span></td><td>${timeAgo(h.queuedAt)}</td><td>${timeAgo(h.deliveredAt)}</td><td>${timeAgo(h.readAt)}</td></tr>`)}</tbody></table></div>`
                    : html`<p class="empty card">Nothing was sent to this user yet.</p>`
                }`
            : nothing,
      })}`;
  }
}
