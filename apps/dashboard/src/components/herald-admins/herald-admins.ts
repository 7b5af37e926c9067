import { Task } from '@lit/task';
import { html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError, type Ok, timeAgo } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';

type AdminRow = Ok<'/admin/api/admins'>[number];

/** Dashboard accounts and their roles; owners add and remove them. */
@customElement('herald-admins')
export class HeraldAdmins extends HeraldElement {
  @state() accessor error: string | undefined;

  private data = new Task(this, {
    task: async (_a, { signal }) => this.api.get<AdminRow[]>('/admin/api/admins', signal),
    args: () => [],
  });

  private get isOwner() {
    return this.svc.me.role === 'owner';
  }

  private async add(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const f = new FormData(form);
    this.error = undefined;
    try {
      await this.api.post('/admin/api/admins', {
        email: f.get('email'),
        password: f.get('password'),
        role: f.get('role'),
      });
      form.reset();
      this.data.run();
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  private async removeAdmin(a: AdminRow): Promise<void> {
    if (!confirm(`Remove ${a.email}?`)) return;
    this.error = undefined;
    try {
      await this.api.delete(`/admin/api/admins/${a.id}`);
      this.data.run();
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
    }
  }

  override render() {
    return html`<h1>Admins</h1>
      <p class="muted">Owners manage admins; admins send and change apps and keys; viewers look.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.data.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (rows) => html`<div class="table-wrap card"><table>
          <thead><tr><th>Email</th><th>Role</th><th>Last sign-in</th><th></th></tr></thead>
          <tbody>${rows.map(
            (a) => html`<tr><td>${a.email}</td><td>${a.role}</td><td>${timeAgo(a.lastLoginAt)}</td>
              <td>${this.isOwner && a.email !== this.svc.me.email ? html`<button type="button" class="danger" @click=${() => this.removeAdmin(a)}>Remove</button>` : nothing}</td></tr>`,
          )}</tbody></table></div>`,
      })}
      ${
        this.isOwner
          ? html`<h2>Add an admin</h2>
            <form class="row card" @submit=${this.add}>
              <label>Email <input name="email" type="email" required /></label>
              <label>Password <input name="password" type="password" minlength="10" required autocomplete="new-password" /></label>
              <label>Role <select name="role"><option>viewer</option><option>admin</option><option>owner</option></select></label>
              <button type="submit">Add</button>
            </form>`
          : nothing
      }`;
  }
}
