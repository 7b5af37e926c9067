import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError, type Ok, timeAgo } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { HeraldElement } from '../base/herald-element.js';

type QueueState = Ok<'/admin/api/queue'>;

/** Queue health: counts (live), failed jobs with their reasons, retry or remove; the delayed jobs due soonest. */
@customElement('herald-queue')
export class HeraldQueue extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`.counts { display: flex; gap: 0.75rem; flex-wrap: wrap; } .counts .card { min-width: 8rem; } .counts b { font-size: 1.5rem; display: block; }`,
  ];
  @state() accessor error: string | undefined;
  private lastFailed = -1;
  private lastDelayed = -1;

  private readonly live = new LiveController(this, () => this.services?.live);

  private data = new Task(this, {
    task: async (_a, { signal }) => this.api.get<QueueState>('/admin/api/queue', signal),
    args: () => [],
  });

  protected override willUpdate(): void {
    // The failed and delayed lists follow the live counts.
    const queue = this.live.value?.stats?.queue;
    if (!queue) return;
    const changed =
      (this.lastFailed !== -1 && queue.failed !== this.lastFailed) ||
      (this.lastDelayed !== -1 && queue.delayed !== this.lastDelayed);
    this.lastFailed = queue.failed;
    this.lastDelayed = queue.delayed;
    if (changed) this.data.run();
  }

  private async act(path: string, method: 'post' | 'delete'): Promise<void> {
    this.error = undefined;
    try {
      await (method === 'post' ? this.api.post(path) : this.api.delete(path));
      this.data.run();
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  override render() {
    const live = this.live.value?.stats?.queue;
    return html`<h1>Queue</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.data.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (q) => html`
          <div class="counts" aria-live="polite">
            ${[
              ['waiting', live?.waiting ?? (q.counts.waiting ?? 0) + (q.counts.prioritized ?? 0)],
              ['active', live?.active ?? q.counts.active],
              ['delayed', live?.delayed ?? q.counts.delayed],
              ['failed', live?.failed ?? q.counts.failed],
              ['completed (last hour)', q.counts.completed],
            ].map(([k, v]) => html`<div class="card" data-count=${k}><b>${v ?? 0}</b>${k}</div>`)}
          </div>
          <h2>Failed jobs</h2>
          ${
            q.failed.length === 0
              ? html`<p class="empty card">No failed jobs. Failures are retried with backoff first; only those that ran out of attempts land here.</p>`
              : html`<div class="table-wrap card"><table>
                  <thead><tr><th>Notification</th><th>Reason</th><th>Attempts</th><th>Failed</th><th></th></tr></thead>
                  <tbody>${q.failed.map(
                    (j) => html`<tr>
                      <td><a href="#/notifications/${j.notificationId}" class="mono">${j.notificationId?.slice(0, 8)}…</a></td>
                      <td>${j.failedReason}</td><td>${j.attemptsMade}</td><td>${timeAgo(j.failedAt)}</td>
                      <td>${
                        this.canAct
                          ? html`<button type="button" @click=${() => this.act(`/admin/api/queue/jobs/${j.id}/retry`, 'post')}>Retry</button>
                              <button type="button" class="danger" @click=${() => this.act(`/admin/api/queue/jobs/${j.id}`, 'delete')}>Remove</button>`
                          : nothing
                      }</td>
                    </tr>`,
                  )}</tbody></table></div>`
          }
          <h2>Delayed jobs</h2>
          ${
            q.delayed.length === 0
              ? html`<p class="empty card">No delayed jobs. Scheduled sends wait here until their time, and failed attempts until their retry.</p>`
              : html`<div class="table-wrap card"><table>
                  <thead><tr><th>Notification</th><th>Why</th><th>Due</th></tr></thead>
                  <tbody>${q.delayed.map(
                    (j) => html`<tr data-job=${j.id ?? ''}>
                      <td><a href="#/notifications/${j.notificationId}" class="mono">${j.notificationId?.slice(0, 8)}…</a></td>
                      <td>${
                        j.attemptsMade === 0
                          ? 'scheduled send'
                          : html`retry after attempt ${j.attemptsMade}${j.lastFailure ? html`: <span class="muted">${j.lastFailure}</span>` : nothing}`
                      }</td>
                      <td title=${j.dueAt ?? ''}>${timeAgo(j.dueAt)}</td>
                    </tr>`,
                  )}</tbody></table></div>
                  ${(live?.delayed ?? q.counts.delayed ?? 0) > q.delayed.length ? html`<p class="muted">The ${q.delayed.length} due soonest of ${live?.delayed ?? q.counts.delayed}.</p>` : nothing}`
          }`,
      })}`;
  }
}
