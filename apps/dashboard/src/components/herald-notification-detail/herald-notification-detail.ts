import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ApiError, describeTarget, type Ok, STATUS_MEANING, timeAgo } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { HeraldElement } from '../base/herald-element.js';

type Detail = Ok<'/admin/api/notifications/{id}'>;
type Recipient = Ok<'/admin/api/notifications/{id}/recipients'>['items'][number];
type PushRow = Recipient['push'][number];

const FUNNEL = ['recipients', 'delivered', 'displayed', 'clicked', 'read'] as const;
/** Web Push by browser, each step a subset of the one before. */
const PUSH_FUNNEL = ['posted', 'accepted', 'displayed', 'clicked'] as const;

/** What a browser's push status means. */
const PUSH_STATUS: Record<PushRow['status'], string> = {
  socket: 'a tab had it on the socket: no push',
  pending: 'being posted, or waiting to try again',
  sent: 'its push service accepted it',
  failed: 'not sent: Herald gave up (see the attempts)',
  skipped: 'not sent: the user’s preferences keep it from popping up, or it was too old (see why)',
  gone: 'the push service no longer knows this browser (404/410): it was removed',
  resubscribe: 'made with a push key the app no longer uses: no push until it subscribes again',
};

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** "sent 2 min ago · displayed 1 min ago", from what happened to one browser's push. */
function pushTimes(p: PushRow): string {
  const at = [
    ['sent', p.sentAt],
    ['displayed', p.displayedAt],
    ['clicked', p.clickedAt],
    ['closed', p.closedAt],
  ].filter(([, t]) => t);
  return at.map(([what, t]) => `${what} ${timeAgo(t)}`).join(' · ');
}

/** One browser's push of the notification: its status, what happened when, every attempt. */
function pushBrowser(p: PushRow) {
  const times = pushTimes(p);
  return html`<div class="browser" data-browser=${p.browser}>
    <div><span class="mono" title=${p.browser}>browser ${p.browser.slice(0, 8)}</span>: <span class="pill push-${p.status}">${p.status}</span>
      <span class="muted">${PUSH_STATUS[p.status]}</span></div>
    ${times ? html`<div class="muted" data-times>${times}</div>` : nothing}
    ${p.trimmed.length ? html`<div class="muted" data-trimmed>Trimmed to fit 4 KB: ${p.trimmed.join(', ')}.</div>` : nothing}
    ${
      p.attempts.length
        ? html`<table class="attempts"><thead><tr><th>When</th><th>HTTP</th><th>Outcome</th><th>Detail</th></tr></thead>
            <tbody>${p.attempts.map(
              (a) => html`<tr data-attempt>
                <td title=${a.at}>${timeAgo(a.at)}</td>
                <td>${a.status || html`<span class="muted" title="No answer from the push service">—</span>`}</td>
                <td>${a.outcome}</td><td style="overflow-wrap:anywhere">${a.detail ?? ''}</td></tr>`,
            )}</tbody></table>`
        : nothing
    }
  </div>`;
}

/** One recipient's browsers: their statuses in a line, each one's story behind the disclosure. */
function pushCell(push: PushRow[]) {
  if (push.length === 0) return html`<span class="muted">—</span>`;
  const attempts = push.reduce((n, p) => n + p.attempts.length, 0);
  return html`<details data-push>
    <summary>${push.map((p) => html`<span class="pill push-${p.status}">${p.status}</span> `)}<span class="muted">${plural(push.length, 'browser', 'browsers')}, ${plural(attempts, 'attempt', 'attempts')}</span></summary>
    ${push.map(pushBrowser)}
  </details>`;
}

const waiting = (n: number) => (n === 1 ? 'delivery' : `${n} deliveries`);

/** One notification: its funnel, each recipient's timeline, and cancel of what was not received yet. */
@customElement('herald-notification-detail')
export class HeraldNotificationDetail extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`
      .funnels { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 0 1.5rem; }
      .funnel { display: grid; gap: 0.4rem; max-width: 38rem; }
      .funnel.push .bar { background: #1f7a8c; }
      .pill.push-sent { color: var(--ok); border-color: var(--ok); }
      .pill.push-pending { color: var(--warn); border-color: var(--warn); }
      .pill.push-failed, .pill.push-gone, .pill.push-resubscribe { color: var(--bad); border-color: var(--bad); }
      .pill.push-socket { color: var(--muted); border-style: dashed; }
      details summary { cursor: pointer; white-space: nowrap; }
      details .browser { margin: 0.5rem 0 0 0.6rem; padding-left: 0.6rem; border-left: 2px solid var(--line); }
      table.attempts { font-size: 0.85rem; margin-top: 0.25rem; }
      table.attempts :is(th, td) { padding: 0.2rem 0.4rem; }
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
    // Like every other change that cannot be undone here: only once the admin confirmed it.
    if (!confirm('Cancel it? Whoever has not received it yet never will; this cannot be undone.')) return;
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
          // Each step counts who reached it, whatever came after (a click then read is a click).
          const value = (step: (typeof FUNNEL)[number]) => (step === 'recipients' ? d.recipients : d.funnel[step]);
          const max = Math.max(1, d.recipients);
          return html`
            <h1>${d.title}</h1>
            <dl class="card">
              <dt>Status</dt><dd><span class="pill ${d.status}" data-status title=${STATUS_MEANING[d.status]}>${d.status}</span>${d.failureReason ? html` <span class="error">${d.failureReason}</span>` : nothing}</dd>
              <dt>App</dt><dd>${d.appId}</dd>
              <dt>To</dt><dd data-target>${describeTarget(d.to)}</dd>
              <dt>Body</dt><dd>${d.body ?? '—'}</dd>
              ${d.url ? html`<dt>Opens on click</dt><dd class="mono" data-url>${d.url}</dd>` : nothing}
              ${d.icon ? html`<dt>Icon</dt><dd class="mono">${d.icon}</dd>` : nothing}
              ${d.category ? html`<dt>Category</dt><dd>${d.category}</dd>` : nothing}
              ${d.tag ? html`<dt>Tag</dt><dd class="mono">${d.tag}</dd>` : nothing}
              ${d.data == null ? nothing : html`<dt>Data</dt><dd class="mono" data-data>${JSON.stringify(d.data)}</dd>`}
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
                  ? html`<p><button class="danger" type="button" @click=${this.cancel}>Cancel the ${waiting(d.counts.queued + d.counts.sent)} not received yet</button></p>`
                  : nothing
            }
            ${this.actionError ? html`<p class="error" role="alert">${this.actionError}</p>` : nothing}
            <div class="funnels">
              <section aria-label="Funnel">
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
                    ? html`<p class="muted" data-count="skipped">${d.counts.skipped} skipped: their preferences turn it off, so it is not sent to them (a topic send or broadcast follows them as they are now, until a device has it).</p>`
                    : nothing
                }
                ${
                  d.countsExact
                    ? nothing
                    : html`<p class="muted" data-count="inexact">Counted from what reached them: with more than 20,000 recipients, those their preferences skip are counted as not received yet. The recipient list, filtered by “skipped”, names them.</p>`
                }
                ${d.counts.expired || d.counts.cancelled || d.counts.failed ? html`<p class="muted">${d.counts.expired} expired · ${d.counts.cancelled} cancelled · ${d.counts.failed} failed</p>` : nothing}
              </section>
              ${this.renderPush(d.push)}
            </div>
            <h2>Recipients</h2>
            ${
              recipients.items.length === 0
                ? html`<p class="empty card">No recipients yet${d.status === 'scheduled' ? ': it has not been sent' : ''}.</p>`
                : html`<div class="table-wrap card"><table>
                    <thead><tr><th>User</th><th>Status</th><th>Queued</th><th>Delivered</th><th>Displayed</th><th>Clicked</th><th>Read</th><th>Web Push</th></tr></thead>
                    <tbody>${recipients.items.map(
                      (r) => html`<tr data-user=${r.userId}>
                        <td>${r.userId}</td><td><span class="pill ${r.status}">${r.status}</span>${r.status === 'skipped' && r.reason ? html`<div class="muted" data-reason>${r.reason}</div>` : nothing}</td>
                        <td>${timeAgo(r.queuedAt)}</td><td>${timeAgo(r.deliveredAt)}</td><td>${timeAgo(r.displayedAt)}</td>
                        <td>${timeAgo(r.clickedAt)}</td><td>${timeAgo(r.readAt)}</td><td>${pushCell(r.push)}</td>
                      </tr>`,
                    )}</tbody>
                  </table></div>
                  ${recipients.nextCursor ? html`<p class="muted">Showing the first 100 recipients.</p>` : nothing}`
            }
          `;
        },
      })}`;
  }

  /** Web Push for this notification, by browser: what went by push, and what a tab had already. */
  private renderPush(p: Detail['push']) {
    const max = Math.max(1, p.posted);
    const none = p.socket + p.posted + p.failed + p.skipped === 0;
    return html`<section aria-label="Web Push">
      <h2>Web Push <span class="muted" style="font-weight:400;font-size:0.9rem">by browser</span></h2>
      ${
        none
          ? html`<p class="empty card" data-push-none>Nothing went by Web Push: no recipient’s browser is subscribed to it (or the push check, a few seconds after sending, has not run yet).</p>`
          : html`<div class="funnel push card" role="list" aria-label="Web Push funnel">
              ${PUSH_FUNNEL.map(
                (step) => html`<div class="step" role="listitem" data-push-step=${step}>
                  <span>${step}</span><div class="bar" style="width:${(100 * p[step]) / max}%"></div><b>${p[step]}</b>
                </div>`,
              )}
            </div>
            <p class="muted">Posted to the browser’s push service, accepted by it, displayed by Herald’s service worker, clicked.</p>
            <p class="muted" data-push-count="socket">${plural(p.socket, 'browser', 'browsers')} had it on a socket (a tab acknowledged it): no push.</p>
            ${p.skipped ? html`<p class="muted" data-push-count="skipped">${plural(p.skipped, 'browser', 'browsers')} not posted to: the user’s preferences (off, inbox only, quiet hours) or too old to pop up.</p>` : nothing}
            ${p.failed ? html`<p class="muted" data-push-count="failed">${plural(p.failed, 'browser', 'browsers')} failed: Herald gave up, the subscription was gone, or the browser must re-subscribe after a key rotation.</p>` : nothing}`
      }
    </section>`;
  }
}
