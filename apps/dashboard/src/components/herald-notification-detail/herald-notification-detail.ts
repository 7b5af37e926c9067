import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiError, type Ok, timeAgo } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { HeraldElement } from '../base/herald-element.js';

type Detail = Ok<'/admin/api/notifications/{id}'>;

const FUNNEL = ['recipients', 'delivered', 'displayed', 'clicked', 'read'] as const;

/** One notification: its funnel, each recipient's timeline, and cancel of what was not received yet. */
@customElement('herald-notification-detail')
export class HeraldNotificationDetail extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`
      .funnel { display: grid; gap: 0.4rem; max-width: 38rem; }
      .step { display: grid; grid-template-columns: 7rem 1fr 4rem; gap: 0.6rem; align-items: center; }
      .bar { height: 1.1rem; background: var(--accent); border-radius: 0.3rem; min-width: 2px; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; }
      dt { color: var(--muted); }
      dd { margin: 0; }
    `,
  ];

  @property() accessor notificationId = '';
  @state() accessor actionError: string | undefined;

  private readonly live = new LiveController(this, () => this.services?.live, {
    deliveries: (ids) => {
      if (ids.includes(this.notificationId)) this.data.run();
    },
  });

  private data = new Task(this, {
    task: async ([id], { signal }) => {
      const [detail, recipients] = await Promise.all([
        this.api.get<Detail>(`/admin/api/notifications/${id}`, signal),
        this.api.get<Ok<'/admin/api/notifications/{id}/recipients'>>(
          `/admin/api/notifications/${id}/recipients?limit=100`,
          signal,
        ),
      ]);
      return { detail, recipients };
    },
    args: () => [this.notificationId] as const,
  });

  private async cancel(): Promise<void> {
    this.actionError = undefined;
    try {
      await this.api.post(`/admin/api/notifications/${this.notificationId}/cancel`);
      this.data.run();
    } catch (error) {
      this.actionError = error instanceof ApiError ? error.message : String(error);
    }
  }

  override render() {
    void this.live;
    return html`<p><a href="#/notifications">← Notifications</a></p>
      ${this.data.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: ({ detail: d, recipients }) => {
          const value = (step: (typeof FUNNEL)[number]) =>
            step === 'recipients'
              ? d.recipients
              : step === 'delivered'
                ? d.counts.delivered + d.counts.displayed + d.counts.clicked + d.counts.read
                : step === 'displayed'
                  ? d.counts.displayed + d.counts.clicked + d.counts.read
                  : (d.counts[step] ?? 0);
          const max = Math.max(1, d.recipients);
          return html`
            <h1>${d.title}</h1>
            <dl class="card">
              <dt>Status</dt><dd><span class="pill ${d.status}" data-status>${d.status}</span>${d.failureReason ? html` <span class="error">${d.failureReason}</span>` : nothing}</dd>
              <dt>App</dt><dd>${d.appId}</dd>
              <dt>Body</dt><dd>${d.body ?? '—'}</dd>
              <dt>Priority</dt><dd>${d.priority}</dd>
              <dt>Created</dt><dd title=${d.createdAt}>${timeAgo(d.createdAt)}</dd>
              ${d.sendAt ? html`<dt>Scheduled for</dt><dd>${new Date(d.sendAt).toLocaleString()}</dd>` : nothing}
              ${d.expiresAt ? html`<dt>Expires</dt><dd>${new Date(d.expiresAt).toLocaleString()}</dd>` : nothing}
              <dt>Id</dt><dd class="mono">${d.id}</dd>
            </dl>
            ${
              // Before it goes out, all of it; afterwards, the deliveries no device has received yet.
              this.canAct && ['scheduled', 'queued', 'processing'].includes(d.status)
                ? html`<p><button class="danger" type="button" @click=${this.cancel}>Cancel this notification</button></p>`
                : this.canAct &&
                    (d.status === 'dispatched' || d.status === 'failed') &&
                    d.counts.queued + d.counts.sent > 0
                  ? html`<p><button class="danger" type="button" @click=${this.cancel}>Cancel the ${d.counts.queued + d.counts.sent} deliveries not received yet</button></p>`
                  : nothing
            }
            ${this.actionError ? html`<p class="error" role="alert">${this.actionError}</p>` : nothing}
            <h2>Funnel</h2>
            <div class="funnel card" role="list" aria-label="Delivery funnel">
              ${FUNNEL.map(
                (step) => html`<div class="step" role="listitem" data-step=${step}>
                  <span>${step}</span><div class="bar" style="width:${(100 * value(step)) / max}%"></div><b>${value(step)}</b>
                </div>`,
              )}
            </div>
            ${
              d.counts.skipped
                ? html`<p class="muted" data-count="skipped">${d.counts.skipped} skipped: the recipient’s own preferences turned it off, so nothing was sent to them.</p>`
                : nothing
            }
            ${d.counts.expired || d.counts.cancelled || d.counts.failed ? html`<p class="muted">${d.counts.expired} expired · ${d.counts.cancelled} cancelled · ${d.counts.failed} failed</p>` : nothing}
            <h2>Recipients</h2>
            ${
              recipients.items.length === 0
                ? html`<p class="empty card">No recipients yet${d.status === 'scheduled' ? ': it has not been sent' : ''}.</p>`
                : html`<div class="table-wrap card"><table>
                    <thead><tr><th>User</th><th>Status</th><th>Queued</th><th>Delivered</th><th>Displayed</th><th>Clicked</th><th>Read</th></tr></thead>
                    <tbody>${recipients.items.map(
                      (r) => html`<tr data-user=${r.userId}>
                        <td>${r.userId}</td><td><span class="pill ${r.status}">${r.status}</span>${r.status === 'skipped' && r.reason ? html`<div class="muted" data-reason>${r.reason}</div>` : nothing}</td>
                        <td>${timeAgo(r.queuedAt)}</td><td>${timeAgo(r.deliveredAt)}</td><td>${timeAgo(r.displayedAt)}</td>
                        <td>${timeAgo(r.clickedAt)}</td><td>${timeAgo(r.readAt)}</td>
                      </tr>`,
                    )}</tbody>
                  </table></div>
                  ${recipients.nextCursor ? html`<p class="muted">Showing the first 100 recipients.</p>` : nothing}`
            }
          `;
        },
      })}`;
  }
}
