import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { type Ok, query } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';

type Entry = Ok<'/admin/api/audit'>['items'][number];

/** How long a detail's value may be in the table; the whole of it is in its tooltip. */
const DETAIL_CHARS = 80;

/**
 * An entry's details (whatever its action recorded: an object of fields, as a rule) as
 * `field: value` pairs, each value as JSON unless it is text, cut to `DETAIL_CHARS`.
 */
export function detailPairs(details: unknown): Array<{ field: string; value: string; whole: string }> {
  if (details === null || details === undefined) return [];
  const entries =
    typeof details === 'object' && !Array.isArray(details) ? Object.entries(details) : [['', details] as const];
  return entries
    .filter(([, v]) => v !== undefined)
    .map(([field, v]) => {
      const whole = typeof v === 'string' ? v : JSON.stringify(v);
      return { field, value: whole.length > DETAIL_CHARS ? `${whole.slice(0, DETAIL_CHARS)}…` : whole, whole };
    });
}

/** Who did what and when: sign-ins, sends, key and app changes, and what each changed. */
@customElement('herald-audit')
export class HeraldAudit extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`td.details { max-width: 28rem; overflow-wrap: anywhere; font-size: 0.9em; }`,
  ];
  @state() accessor action = '';
  @state() accessor older: Entry[] = [];
  @state() accessor cursor: string | null = null;

  private data = new Task(this, {
    task: async ([action], { signal }) => {
      const page = await this.api.get<Ok<'/admin/api/audit'>>(
        `/admin/api/audit${query({ action, limit: 50 })}`,
        signal,
      );
      this.older = [];
      this.cursor = page.nextCursor;
      return page.items;
    },
    args: () => [this.action] as const,
  });

  @state() accessor loadingOlder = false;

  private async more(): Promise<void> {
    const { action, cursor } = this;
    if (this.loadingOlder || !cursor) return;
    this.loadingOlder = true;
    try {
      const page = await this.api.get<Ok<'/admin/api/audit'>>(
        `/admin/api/audit${query({ action, cursor, limit: 50 })}`,
      );
      // Another filter chosen meanwhile has its own first page: this one is of the old filter.
      if (this.action !== action || this.cursor !== cursor) return;
      this.older = [...this.older, ...page.items];
      this.cursor = page.nextCursor;
    } finally {
      this.loadingOlder = false;
    }
  }

  private details(details: unknown) {
    const pairs = detailPairs(details);
    if (pairs.length === 0) return '—';
    return pairs.map(
      ({ field, value, whole }) =>
        html`<div title=${whole}>${field ? html`<span class="muted">${field}:</span> ` : nothing}<span class="mono">${value}</span></div>`,
    );
  }

  override render() {
    return html`<h1>Audit log</h1>
      <form class="row card" @submit=${(e: SubmitEvent) => {
        e.preventDefault();
        this.action = String(new FormData(e.target as HTMLFormElement).get('action') ?? '');
      }}>
        <label>Action <select name="action">
          ${['', 'admin.', 'notification.', 'key.', 'app.', 'topic.', 'category.', 'queue.'].map((a) => html`<option value=${a}>${a ? `${a}*` : 'all'}</option>`)}
        </select></label>
        <button type="submit">Show</button>
      </form><p></p>
      ${this.data.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (items) => {
          const rows = [...items, ...this.older];
          return rows.length === 0
            ? html`<p class="empty card">Nothing recorded yet.</p>`
            : html`<div class="table-wrap card"><table>
                <thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th><th>From</th></tr></thead>
                <tbody>${rows.map(
                  (r) => html`<tr data-action=${r.action}>
                    <td title=${r.at}>${new Date(r.at).toLocaleString()}</td><td>${r.actor}</td><td>${r.action}</td>
                    <td class="mono">${r.targetType ? `${r.targetType} ${r.targetId ?? ''}` : '—'}</td>
                    <td class="details">${this.details(r.details)}</td><td>${r.ip ?? '—'}</td>
                  </tr>`,
                )}</tbody></table></div>
              ${this.cursor ? html`<p><button class="secondary" type="button" ?disabled=${this.loadingOlder} @click=${this.more}>Older</button></p>` : nothing}`;
        },
      })}`;
  }
}
