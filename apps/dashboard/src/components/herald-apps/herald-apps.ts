import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError, type Ok, timeAgo } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';
import { categoriesRoute } from '../herald-categories/herald-categories.js';

type App = Ok<'/admin/api/apps'>[number];
type Key = Ok<'/admin/api/apps/{appId}/keys'>[number];

/** Apps, their API keys (secrets shown once), JWT secret rotation and allowed SDK origins. */
@customElement('herald-apps')
export class HeraldApps extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`section.card { margin-bottom: 1rem; } form { margin: 0.5rem 0; }
      label.check { display: flex; gap: 0.4rem; align-items: center; font-weight: 400; margin-top: 0.5rem; }`,
  ];

  @state() accessor revealed: { title: string; value: string; note: string } | undefined;
  @state() accessor error: string | undefined;
  @state() accessor keys: Record<string, Key[]> = {};

  private apps = new Task(this, {
    task: async (_a, { signal }) => {
      const apps = await this.api.get<App[]>('/admin/api/apps', signal);
      const keys: Record<string, Key[]> = {};
      await Promise.all(
        apps.map(async (a) => (keys[a.id] = await this.api.get<Key[]>(`/admin/api/apps/${a.id}/keys`, signal))),
      );
      this.keys = keys;
      return apps;
    },
    args: () => [],
  });

  private async act<T>(work: () => Promise<T>): Promise<T | undefined> {
    this.error = undefined;
    try {
      const result = await work();
      this.apps.run();
      return result;
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : String(error);
      return undefined;
    }
  }

  private async createApp(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const f = new FormData(form);
    const id = String(f.get('id') ?? '').trim();
    const created = await this.act(() =>
      this.api.post<Ok<'/admin/api/apps', 'post'>>('/admin/api/apps', {
        name: f.get('name'),
        ...(id ? { id } : {}),
      }),
    );
    if (created) {
      form.reset();
      this.revealed = {
        title: `App ${created.app.id} created`,
        value: `API key: ${created.apiKey}\nJWT secret: ${created.jwtSecret}`,
        note: 'Copy them now: they are not shown again.',
      };
    }
  }

  private async createKey(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim() || 'Key';
    const created = await this.act(() =>
      this.api.post<Ok<'/admin/api/apps/{appId}/keys', 'post'>>(`/admin/api/apps/${app.id}/keys`, { name }),
    );
    if (created) {
      form.reset();
      this.revealed = {
        title: `New API key for ${app.id}`,
        value: created.secret,
        note: 'Copy it now: it is not shown again.',
      };
    }
  }

  private async revoke(key: Key): Promise<void> {
    if (!confirm(`Revoke ${key.name} (${key.prefix}…)? Calls with it will be refused at once.`)) return;
    await this.act(() => this.api.post(`/admin/api/keys/${key.id}/revoke`));
  }

  private async rotate(app: App): Promise<void> {
    if (!confirm(`Rotate the JWT secret of ${app.id}? Tokens signed with the old one keep working for 24 hours.`))
      return;
    const r = await this.act(() =>
      this.api.post<Ok<'/admin/api/apps/{appId}/rotate-secret', 'post'>>(`/admin/api/apps/${app.id}/rotate-secret`),
    );
    if (r) {
      this.revealed = {
        title: `New JWT secret for ${app.id}`,
        value: r.jwtSecret,
        note: `The previous secret is accepted until ${new Date(r.previousValidUntil).toLocaleString()}.`,
      };
    }
  }

  private async revokePrevious(app: App): Promise<void> {
    if (!confirm(`Stop accepting the previous JWT secret of ${app.id} now? Users still on it are disconnected.`))
      return;
    await this.act(() => this.api.post(`/admin/api/apps/${app.id}/revoke-previous-secret`));
  }

  private async saveOrigins(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const allowedOrigins = String(form.get('origins') ?? '')
      .split(/[\s,]+/)
      .map((o) => o.trim())
      .filter(Boolean);
    const restrictUrls = form.get('restrictUrls') === 'on';
    await this.act(() => this.api.patch(`/admin/api/apps/${app.id}`, { allowedOrigins, restrictUrls }));
  }

  private async saveRateLimit(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const text = String(new FormData(event.target as HTMLFormElement).get('rateLimit') ?? '').trim();
    const rateLimitPerMinute = text === '' ? null : Number(text);
    await this.act(() => this.api.patch(`/admin/api/apps/${app.id}`, { rateLimitPerMinute }));
  }

  override render() {
    return html`<h1>Apps & keys</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.revealed
          ? html`<section class="card" role="status" aria-live="polite">
              <h2 style="margin-top:0">${this.revealed.title}</h2>
              <pre class="secret mono" data-secret>${this.revealed.value}</pre>
              <p>${this.revealed.note}</p>
              <button type="button" class="secondary" @click=${() => (this.revealed = undefined)}>Done</button>
            </section>`
          : nothing
      }
      ${this.apps.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (apps) => html`${apps.map((app) => this.renderApp(app))}
          ${
            this.canAct
              ? html`<section class="card"><h2 style="margin-top:0">New app</h2>
                  <form class="row" @submit=${this.createApp}>
                    <label>Name <input name="name" required maxlength="100" /></label>
                    <label>Id <span class="muted">(optional)</span><input name="id" pattern="[a-z0-9][a-z0-9-]{1,62}" /></label>
                    <button type="submit">Create app</button>
                  </form></section>`
              : nothing
          }`,
      })}`;
  }

  private renderApp(app: App) {
    const keys = this.keys[app.id] ?? [];
    return html`<section class="card" data-app=${app.id}>
      <h2 style="margin-top:0">${app.name} <span class="muted mono">${app.id}</span></h2>
      <p class="muted">${app.subscribers} subscribers · <a href=${categoriesRoute(app.id)}>Categories</a> · JWT secret ${app.secretRotatedAt ? `rotated ${timeAgo(app.secretRotatedAt)}` : 'never rotated'}
        ${this.canAct ? html` · <button type="button" class="secondary" @click=${() => this.rotate(app)}>Rotate JWT secret</button>` : nothing}</p>
      ${
        app.previousSecretValidUntil
          ? html`<p class="muted" data-previous-secret>The previous secret is accepted until ${new Date(app.previousSecretValidUntil).toLocaleString()}
              ${this.canAct ? html` · <button type="button" class="danger" @click=${() => this.revokePrevious(app)}>Stop accepting it now</button>` : nothing}</p>`
          : nothing
      }
      <h3>API keys</h3>
      ${
        keys.length
          ? html`<div class="table-wrap"><table><thead><tr><th>Name</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr></thead>
            <tbody>${keys.map(
              (k) => html`<tr data-key=${k.prefix}>
                <td>${k.name}</td><td class="mono">${k.prefix}…</td><td>${timeAgo(k.createdAt)}</td><td>${timeAgo(k.lastUsedAt)}</td>
                <td>${k.revokedAt ? html`<span class="pill failed">revoked</span>` : this.canAct ? html`<button type="button" class="danger" @click=${() => this.revoke(k)}>Revoke</button>` : nothing}</td>
              </tr>`,
            )}</tbody></table></div>`
          : html`<p class="empty">No keys.</p>`
      }
      ${
        this.canAct
          ? html`<form class="row" @submit=${(e: SubmitEvent) => this.createKey(app, e)}>
              <label>Key name <input name="name" maxlength="100" placeholder="e.g. production backend" /></label>
              <button type="submit">Create API key</button></form>
            <form @submit=${(e: SubmitEvent) => this.saveOrigins(app, e)}>
              <label>Allowed SDK origins <span class="muted">(empty: any page may connect)</span>
                <textarea name="origins" rows="2" placeholder="https://shop.example.com">${app.allowedOrigins.join('\n')}</textarea></label>
              <label class="check"><input type="checkbox" name="restrictUrls" .checked=${app.restrictUrls} />
                Notifications may only link to these origins (and to paths)</label>
              <p><button type="submit" class="secondary">Save origins</button></p>
            </form>`
          : html`<p class="muted">Allowed origins: ${app.allowedOrigins.join(', ') || 'any'}${app.restrictUrls ? ' · notifications link only to them' : ''}</p>`
      }
      ${
        this.canAct
          ? html`<form class="row" @submit=${(e: SubmitEvent) => this.saveRateLimit(app, e)}>
              <label>Rate limit, requests a minute per API key
                <span class="muted">(each for sends, tokens and other calls; empty: the server's default, ${app.defaultRateLimitPerMinute || 'none'}; 0: no limit)</span>
                <input name="rateLimit" type="number" min="0" max="10000000" step="1" inputmode="numeric"
                  .value=${app.rateLimitPerMinute === null ? '' : String(app.rateLimitPerMinute)}
                  placeholder=${String(app.defaultRateLimitPerMinute)} /></label>
              <button type="submit" class="secondary">Save rate limit</button></form>`
          : html`<p class="muted" data-rate-limit>Rate limit: ${describeLimit(app.rateLimitPerMinute ?? app.defaultRateLimitPerMinute)}${app.rateLimitPerMinute === null ? " (the server's default)" : ''}</p>`
      }
    </section>`;
  }
}

/** "6000 a minute per API key" or "no limit". */
function describeLimit(perMinute: number): string {
  return perMinute === 0 ? 'no limit' : `${perMinute} a minute per API key`;
}
