import { NOTIFICATION_STATUSES } from '@herald/protocol';
import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { describeTarget, type Ok, query, STATUS_MEANING, timeAgo } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { HeraldElement } from '../base/herald-element.js';

type Listed = Ok<'/admin/api/notifications'>['items'][number];

const STATUSES = ['', ...NOTIFICATION_STATUSES];

/** The notifications log with filters; new ones appear as they are accepted. */
@customElement('herald-notifications')
export class HeraldNotifications extends HeraldElement {
  static override styles = [...HeraldElement.styles, css`form { margin-bottom: 1rem; }`];

  @state() accessor filters: Record<string, string> = {};
  @state() accessor extra: Listed[] = [];
  @state() accessor cursor: string | null = null;

  private readonly live = new LiveController(this, () => this.services?.live, {
    // A new notification: refresh the first page (cheap), rather than guessing whether it matches.
    accepted: () => this.list.run(),
    deliveries: () => this.list.run(),
  });

  private list = new Task(this, {
    task: async ([filters], { signal }) => {
      const from = filters.from ? new Date(filters.from).toISOString() : undefined;
      const to = filters.to ? new Date(filters.to).toISOString() : undefined;
      const page = await this.api.get<Ok<'/admin/api/notifications'>>(
        `/admin/api/notifications${query({ ...filters, from, to, limit: 50 })}`,
        signal,
      );
      this.extra = [];
      this.cursor = page.nextCursor;
      return page.items;
    },
    args: () => [this.filters] as const,
  });

  private async more(): Promise<void> {
    if (!this.cursor) return;
    const page = await this.api.get<Ok<'/admin/api/notifications'>>(
      `/admin/api/notifications${query({ ...this.filters, cursor: this.cursor, limit: 50 })}`,
    );
    this.extra = [...this.extra, ...page.items];
    this.cursor = page.nextCursor;
  }

  private filter(event: SubmitEvent): void {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    this.filters = Object.fromEntries([...f.entries()].filter(([, v]) => v !== '').map(([k, v]) => [k, String(v)]));
  }

  override render() {
    void this.live;
    return html`
      <h1>Notifications</h1>
      <form class="row card" @submit=${this.filter} aria-label="Filter">
        <label>App <input name="appId" size="10" /></label>
        <label>Status <select name="status">${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}</select></label>
        <label>Recipient <input name="recipient" placeholder="user id" size="12" /></label>
        <label>From <input name="from" type="datetime-local" /></label>
        <label>To <input name="to" type="datetime-local" /></label>
        <button type="submit">Filter</button>
      </form>
      ${this.list.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (items) => {
          const rows = [...items, ...this.extra];
          if (rows.length === 0) {
            return html`<p class="empty card">No notifications${Object.keys(this.filters).length ? ' match these filters' : ' yet'}. <a href="#/compose">Send one</a>.</p>`;
          }
          return html`<div class="table-wrap card"><table>
            <thead><tr><th>Title</th><th>To</th><th>App</th><th>Status</th><th>Recipients</th><th>Created</th></tr></thead>
            <tbody>
              ${rows.map(
                (n) => html`<tr data-id=${n.id}>
                  <td><a href="#/notifications/${n.id}">${n.title}</a>${n.priority === 'high' ? html` <span class="pill">high</span>` : nothing}</td>
                  <td>${describeTarget(n.target)}</td>
                  <td>${n.appId}</td>
                  <td><span class="pill ${n.status}" title=${STATUS_MEANING[n.status]}>${n.status}</span>${n.sendAt ? html`<br /><span class="muted">for ${new Date(n.sendAt).toLocaleString()}</span>` : nothing}</td>
                  <td>${n.recipients}</td>
                  <td title=${n.createdAt}>${timeAgo(n.createdAt)}</td>
                </tr>`,
              )}
            </tbody>
          </table></div>
          ${this.cursor ? html`<p><button class="secondary" type="button" @click=${this.more}>Older</button></p>` : nothing}`;
        },
      })}
    `;
  }
}
