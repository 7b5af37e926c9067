import { DELIVERY_MODES, type DeliveryMode } from '@herald/protocol';
import { Task } from '@lit/task';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { appOption, type Body, type Ok, timeAgo } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';

type App = Ok<'/admin/api/apps'>[number];
type CategoryList = Ok<'/admin/api/apps/{appId}/categories'>;
type AdminCategory = CategoryList['categories'][number];
type CategoryChange = Body<'/admin/api/apps/{appId}/categories/{category}', 'put'>;
type CategorySaved = Ok<'/admin/api/apps/{appId}/categories/{category}', 'put'>;

/** The route of one app's categories. */
export const categoriesRoute = (appId: string) => `#/categories/${encodeURIComponent(appId)}`;

/** The API's rule for a key (the protocol's CATEGORY_PATTERN, as an input's `pattern`), checked before it is sent. */
const KEY_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}';
const KEY_RULE = '1 to 64 letters, digits and _ . : -, starting with a letter or digit (no spaces)';

const MODE_LABELS: Record<DeliveryMode, string> = {
  popup: 'popup (and inbox)',
  inbox: 'inbox only, no popup',
  off: 'off',
};

/**
 * Categories: the kinds of notification an app sends (`category` of a send), each with the mode a
 * user who chose nothing gets, and whether users may turn it off. Admins create, edit and delete them.
 */
@customElement('herald-categories')
export class HeraldCategories extends HeraldElement {
  /** The app id from the route, or nothing for the first app. */
  @property() accessor appId: string | undefined;
  /** The key of the category being edited. */
  @state() accessor editing: string | undefined;
  @state() accessor notice = '';
  @state() accessor error = '';

  private apps = new Task(this, {
    task: async (_args, { signal }) => this.api.get<App[]>('/admin/api/apps', signal),
    args: () => [],
  });

  /** The app shown: the route's, else the first. */
  private get app(): string | undefined {
    return this.appId || this.apps.value?.[0]?.id;
  }

  private list = new Task(this, {
    task: async ([appId], { signal }) => (appId ? this.api.get<CategoryList>(this.path(appId), signal) : undefined),
    args: () => [this.app] as const,
  });

  private path(appId: string, key?: string): string {
    const base = `/admin/api/apps/${encodeURIComponent(appId)}/categories`;
    return key === undefined ? base : `${base}/${encodeURIComponent(key)}`;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    // Another app's page: nothing being edited, nothing said of the last app's changes.
    if (changed.has('appId')) {
      this.editing = undefined;
      this.error = '';
      this.notice = '';
    }
  }

  /**
   * Runs a change, then shows its outcome and reloads the list; or shows the server's sentence and
   * leaves the form as it was, to be corrected.
   */
  private async act(work: () => Promise<string>): Promise<boolean> {
    this.error = '';
    this.notice = '';
    try {
      this.notice = await work();
    } catch (e) {
      this.error = (e as Error).message;
      return false;
    }
    this.list.run();
    return true;
  }

  private save(event: SubmitEvent, existing?: AdminCategory): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const appId = this.app;
    const key = existing?.key ?? text('key');
    if (!appId || !key) return;
    const body: CategoryChange = {
      name: text('name'),
      description: text('description') || null,
      defaultMode: text('defaultMode') as DeliveryMode,
      required: f.get('required') === 'on',
    };
    void this.act(async () => {
      // A new one is created only: a key that exists is refused, never overwritten.
      await (existing
        ? this.api.put<CategorySaved>(this.path(appId, key), body)
        : this.api.create<CategorySaved>(this.path(appId, key), body));
      return existing ? `Category “${key}” was saved.` : `Category “${key}” was created.`;
    }).then((done) => {
      if (!done) return;
      if (existing) this.editing = undefined;
      else form.reset();
    });
  }

  private deleteCategory(appId: string, c: AdminCategory): void {
    if (!confirm(`Delete category “${c.key}”? Sends that name it are refused until it exists again.`)) return;
    void this.act(async () => {
      await this.api.delete(this.path(appId, c.key));
      return `Category “${c.key}” was deleted.`;
    });
  }

  override render() {
    const apps = this.apps.value ?? [];
    return html`<h1>Categories</h1>
      <p class="muted">A send may name one of its app’s categories; each user takes a category as a popup, in the inbox only, or not at all, and gets its default mode until they choose.</p>
      <div class="row card">
        <label>App <select name="appId" @change=${(e: Event) => {
          location.hash = categoriesRoute((e.target as HTMLSelectElement).value);
        }}>${apps.map((a) => html`<option value=${a.id} ?selected=${a.id === this.app}>${appOption(a)}</option>`)}</select></label>
      </div>
      ${this.canAct ? this.renderForm() : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="ok" role="status">${this.notice}</p>` : nothing}
      <p></p>
      ${this.list.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (page) =>
          !page || page.categories.length === 0
            ? html`<p class="empty card">No categories in this app yet${this.canAct ? ': create one above' : ''}. Sends without a category pop up for everyone.</p>`
            : html`<div class="table-wrap card"><table>
                <thead><tr><th>Key</th><th>Name</th><th>Description</th><th>Default mode</th><th>Required</th><th>Created</th>${this.canAct ? html`<th></th>` : nothing}</tr></thead>
                <tbody>${page.categories.map((c) => this.renderRow(c))}</tbody></table></div>`,
      })}`;
  }

  private renderRow(c: AdminCategory) {
    const appId = this.app ?? '';
    if (this.canAct && this.editing === c.key) {
      return html`<tr data-category=${c.key}><td colspan="7">${this.renderForm(c)}</td></tr>`;
    }
    return html`<tr data-category=${c.key}>
      <td class="mono" style="overflow-wrap:anywhere">${c.key}</td><td>${c.name}</td>
      <td>${c.description || html`<span class="muted">—</span>`}</td>
      <td><span class="pill">${c.defaultMode}</span></td>
      <td>${c.required ? 'yes: users cannot turn it off' : 'no'}</td>
      <td>${timeAgo(c.createdAt)}</td>
      ${
        this.canAct
          ? html`<td style="white-space:nowrap">
              <button type="button" class="secondary" aria-label="Edit ${c.key}" @click=${() => {
                this.editing = c.key;
              }}>Edit</button>
              <button type="button" class="danger" aria-label="Delete ${c.key}" @click=${() => this.deleteCategory(appId, c)}>Delete</button>
            </td>`
          : nothing
      }
    </tr>`;
  }

  /** The new-category form, or (given one) the form that edits it. */
  private renderForm(existing?: AdminCategory) {
    const label = existing ? `Edit category ${existing.key}` : 'New category';
    return html`<form class="card" style="display:grid;gap:0.6rem;margin-top:0.75rem" aria-label=${label}
        @submit=${(e: SubmitEvent) => this.save(e, existing)}>
      ${existing ? html`<b>Edit <span class="mono">${existing.key}</span></b>` : html`<b>New category</b>`}
      <div class="row">
        ${
          existing
            ? nothing
            : html`<label>Key <input name="key" required maxlength="64" pattern=${KEY_PATTERN} title=${KEY_RULE} placeholder="marketing, orders, security" /></label>`
        }
        <label>Name <input name="name" required maxlength="100" .value=${existing?.name ?? ''} /></label>
        <label>Default mode <select name="defaultMode">${DELIVERY_MODES.map(
          (m) =>
            html`<option value=${m} ?selected=${(existing?.defaultMode ?? 'popup') === m}>${MODE_LABELS[m]}</option>`,
        )}</select></label>
      </div>
      <label>Description <span class="muted">(optional: what users read when they choose)</span>
        <textarea name="description" rows="2" maxlength="500" .value=${existing?.description ?? ''}></textarea></label>
      <label style="display:flex;gap:0.4rem;align-items:center;font-weight:400"><input type="checkbox" name="required" .checked=${existing?.required ?? false} />
        Required: users cannot turn it off (their “off” counts as inbox only)</label>
      <div class="row">
        <button type="submit">${existing ? 'Save' : 'Create'}</button>
        ${
          existing
            ? html`<button type="button" class="secondary" @click=${() => {
                this.editing = undefined;
              }}>Cancel</button>`
            : nothing
        }
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-categories': HeraldCategories;
  }
}
