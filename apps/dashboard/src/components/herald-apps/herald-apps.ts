// Over 300 lines: one page (each app, its settings, its API keys and its push keys) whose forms
// share the page's single-flight `busy` state and per-card outcomes.
import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError, counted, type Ok, timeAgo } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';
import { categoriesRoute } from '../herald-categories/herald-categories.js';

type App = Ok<'/admin/api/apps'>[number];
type Key = Ok<'/admin/api/apps/{appId}/keys'>[number];

type PushRotated = Ok<'/admin/api/apps/{appId}/rotate-push-key', 'post'>;

/** A VAPID public key (87 characters) short enough for a line: its start and end, like a fingerprint. */
/** What the API takes as an app id, for the New app form (the `v`-mode pattern Chrome reads: `-` escaped). */
const APP_ID_PATTERN = '[a-z0-9][a-z0-9\\-]{1,62}';
const APP_ID_RULE = '2 to 63 lowercase letters, digits and dashes, starting with a letter or digit';
/** What the API takes as an allowed origin (admin/apps/schemas.ts `Origin`). */
const ORIGIN = /^https?:\/\/[^/\s]+$/;
/** The New app card's key among the apps' cards, for where a change's outcome is said. */
const NEW_APP = '\u0000new';
/** The app every start makes again (the API refuses to delete it: 409 HERALD_ERR_APP_DEFAULT). */
const DEFAULT_APP = 'default';
const shortKey = (key: string) => (key.length > 28 ? `${key.slice(0, 16)}…${key.slice(-8)}` : key);

/** Apps, their API keys (secrets shown once), JWT secret rotation, Web Push key and allowed SDK origins. */
@customElement('herald-apps')
export class HeraldApps extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`section.card { margin-bottom: 1rem; } form { margin: 0.5rem 0; }
      label.check { display: flex; gap: 0.4rem; align-items: center; font-weight: 400; margin-top: 0.5rem; }
      .push-key { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: center; }
      .push-key code { background: var(--panel); border: 1px solid var(--line); border-radius: 0.3rem; padding: 0.1rem 0.4rem; }
      .push-key button { padding: 0.15rem 0.6rem; }
      [role='alertdialog'] { border-color: var(--bad); margin: 0.5rem 0; }`,
  ];

  /** Secrets shown once (a new key, app or JWT secret): each with its name, and whether it was just copied. */
  @state() accessor revealed: { title: string; values: Array<[name: string, value: string]>; note: string } | undefined;
  @state() accessor copiedSecret: string | undefined;
  @state() accessor error: string | undefined;
  @state() accessor keys: Record<string, Key[]> = {};
  /** The app whose push key rotation waits for the admin's confirmation. */
  @state() accessor confirmingPush: string | undefined;
  /** The last push key rotation's outcome, shown in its app's card. */
  @state() accessor pushRotated: (PushRotated & { appId: string }) | undefined;
  /** The app whose push key was just copied; or whose key the clipboard refused, to be selected by hand. */
  @state() accessor copied: { appId: string; ok: boolean } | undefined;
  /** A change is on its way: the forms wait for it. */
  @state() accessor busy = false;
  /** The app just deleted, said at the top of the page (its card is gone). */
  @state() accessor deleted: string | undefined;
  /** The last change made in an app's card, said in that card. */
  @state() accessor outcome: { appId: string; ok: boolean; text: string } | undefined;

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

  /**
   * One change at a time (a double click creates one app, one key), its outcome said where it was
   * asked for: in its app's card (`appId`), with `done` on success, or at the top of the page.
   */
  private async act<T>(work: () => Promise<T>, appId?: string, done?: string): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    this.error = undefined;
    this.outcome = undefined;
    this.deleted = undefined;
    try {
      const result = await work();
      if (appId !== undefined && done) this.outcome = { appId, ok: true, text: done };
      this.apps.run();
      return result;
    } catch (error) {
      const text = error instanceof ApiError ? error.message : String(error);
      if (appId !== undefined) this.outcome = { appId, ok: false, text };
      else this.error = text;
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async createApp(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const f = new FormData(form);
    const id = String(f.get('id') ?? '').trim();
    // A refusal is said in the New app card, next to the form (not at the top of a long page).
    const created = await this.act(
      () =>
        this.api.post<Ok<'/admin/api/apps', 'post'>>('/admin/api/apps', {
          name: f.get('name'),
          ...(id ? { id } : {}),
        }),
      NEW_APP,
    );
    if (created) {
      form.reset();
      this.revealed = {
        title: `App ${created.app.id} created`,
        values: [
          ['API key', created.apiKey],
          ['JWT secret', created.jwtSecret],
        ],
        note: 'Copy them now: they are not shown again.',
      };
    }
  }

  private async createKey(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim() || 'Key';
    const created = await this.act(
      () => this.api.post<Ok<'/admin/api/apps/{appId}/keys', 'post'>>(`/admin/api/apps/${app.id}/keys`, { name }),
      app.id,
    );
    if (created) {
      form.reset();
      this.revealed = {
        title: `New API key for ${app.id}`,
        values: [['API key', created.secret]],
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
        values: [['JWT secret', r.jwtSecret]],
        note: `The previous secret is accepted until ${new Date(r.previousValidUntil).toLocaleString()}.`,
      };
    }
  }

  /** Asked for once the admin confirmed it in the app's card: it costs every subscribed browser a re-subscription. */
  private async rotatePushKey(app: App): Promise<void> {
    this.confirmingPush = undefined;
    this.pushRotated = undefined;
    this.copied = undefined;
    const r = await this.act(() =>
      this.api.post<PushRotated>(`/admin/api/apps/${encodeURIComponent(app.id)}/rotate-push-key`),
    );
    if (r) this.pushRotated = { ...r, appId: app.id };
  }

  /** Copies a secret shown once; where the clipboard refuses, it stays there to be selected by hand. */
  private async copySecret(name: string, value: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(value);
      this.copiedSecret = name;
    } catch {
      this.copiedSecret = undefined;
    }
  }

  private async copyKey(app: App, key: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(key);
      this.copied = { appId: app.id, ok: true };
    } catch {
      this.copied = { appId: app.id, ok: false };
    }
  }

  private async deleteApp(app: App): Promise<void> {
    const what = `${counted(app.subscribers, 'subscriber')}, its API keys, topics, categories and every notification`;
    if (!confirm(`Delete app ${app.id} (${app.name}) for good? ${what} go with it, and its users are disconnected.`))
      return;
    const done = await this.act(() => this.api.delete(`/admin/api/apps/${encodeURIComponent(app.id)}`), app.id);
    if (done) this.deleted = `App ${app.id} (${app.name}) deleted.`;
  }

  private async revokePrevious(app: App): Promise<void> {
    if (!confirm(`Stop accepting the previous JWT secret of ${app.id} now? Users still on it are disconnected.`))
      return;
    await this.act(() => this.api.post(`/admin/api/apps/${app.id}/revoke-previous-secret`));
  }

  private async saveOrigins(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const allowedOrigins = [
      ...new Set(
        String(form.get('origins') ?? '')
          .split(/[\s,]+/)
          // A pasted origin often ends in a slash, which an origin has not.
          .map((o) => o.trim().replace(/\/+$/, ''))
          .filter(Boolean),
      ),
    ]; // each once: a repeat would be refused, and means nothing more
    // Named as typed, not by its place in the cleaned list the API would number.
    const notOrigin = allowedOrigins.find((o) => !ORIGIN.test(o) || o.length > 300);
    if (notOrigin !== undefined) {
      this.outcome = {
        appId: app.id,
        ok: false,
        text: `“${notOrigin.slice(0, 80)}” is not an origin: a scheme and a host (and port), with no path, like https://shop.example.com.`,
      };
      return;
    }
    const restrictUrls = form.get('restrictUrls') === 'on';
    await this.act(
      () => this.api.patch(`/admin/api/apps/${app.id}`, { allowedOrigins, restrictUrls }),
      app.id,
      'Allowed origins saved.',
    );
  }

  private async saveRateLimit(app: App, event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const text = String(new FormData(event.target as HTMLFormElement).get('rateLimit') ?? '').trim();
    const rateLimitPerMinute = text === '' ? null : Number(text);
    await this.act(
      () => this.api.patch(`/admin/api/apps/${app.id}`, { rateLimitPerMinute }),
      app.id,
      'Rate limit saved.',
    );
  }

  override render() {
    return html`<h1>Apps & keys</h1>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.deleted ? html`<p class="ok" role="status" data-deleted>${this.deleted}</p>` : nothing}
      ${
        this.revealed
          ? html`<section class="card" role="status" aria-live="polite">
              <h2 style="margin-top:0">${this.revealed.title}</h2>
              ${this.revealed.values.map(
                ([name, value]) => html`<p style="margin-bottom:0.3rem"><b>${name}</b>
                    <button type="button" class="secondary" aria-label="Copy the ${name}" @click=${() => this.copySecret(name, value)}>${this.copiedSecret === name ? 'Copied' : 'Copy'}</button></p>
                  <pre class="secret mono" data-secret>${value}</pre>`,
              )}
              <p>${this.revealed.note}</p>
              <button type="button" class="secondary" @click=${() => {
                this.revealed = undefined;
                this.copiedSecret = undefined;
              }}>Done</button>
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
                    <label>Id <span class="muted">(optional)</span><input name="id" pattern=${APP_ID_PATTERN} title=${APP_ID_RULE} /></label>
                    <button type="submit" ?disabled=${this.busy}>Create app</button>
                  </form>${this.renderOutcome(NEW_APP)}</section>`
              : nothing
          }`,
      })}`;
  }

  /**
   * A form of a card that the browser's own check stopped (a rate limit out of range, say): it
   * shows its reason at the field, and what the card said of the change before no longer applies.
   * (`invalid` does not bubble: listened for on the way down.)
   */
  private readonly staleOutcome = {
    handleEvent: (event: Event) => {
      const card = (event.currentTarget as HTMLElement).dataset.app;
      if (card !== undefined && this.outcome?.appId === card) this.outcome = undefined;
    },
    capture: true,
  };

  private renderApp(app: App) {
    const keys = this.keys[app.id] ?? [];
    return html`<section class="card" data-app=${app.id} @invalid=${this.staleOutcome}>
      <h2 style="margin-top:0">${app.name} <span class="muted mono">${app.id}</span></h2>
      <p class="muted">${counted(app.subscribers, 'subscriber')} · <a href=${categoriesRoute(app.id)}>Categories</a> · JWT secret ${app.secretRotatedAt ? `rotated ${timeAgo(app.secretRotatedAt)}` : 'never rotated'}
        ${this.canAct ? html` · <button type="button" class="secondary" @click=${() => this.rotate(app)}>Rotate JWT secret</button>` : nothing}</p>
      ${
        app.previousSecretValidUntil
          ? html`<p class="muted" data-previous-secret>The previous secret is accepted until ${new Date(app.previousSecretValidUntil).toLocaleString()}
              ${this.canAct ? html` · <button type="button" class="danger" @click=${() => this.revokePrevious(app)}>Stop accepting it now</button>` : nothing}</p>`
          : nothing
      }
      ${this.renderPush(app)}
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
              <button type="submit" ?disabled=${this.busy}>Create API key</button></form>
            <form @submit=${(e: SubmitEvent) => this.saveOrigins(app, e)}>
              <label>Allowed SDK origins <span class="muted">(empty: any page may connect)</span>
                <textarea name="origins" rows="2" placeholder="https://shop.example.com">${app.allowedOrigins.join('\n')}</textarea></label>
              <label class="check"><input type="checkbox" name="restrictUrls" .checked=${app.restrictUrls} />
                Notifications may only link to these origins (and to paths)</label>
              <p><button type="submit" class="secondary" ?disabled=${this.busy}>Save origins</button></p>
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
              <button type="submit" class="secondary" ?disabled=${this.busy}>Save rate limit</button></form>`
          : html`<p class="muted" data-rate-limit>Rate limit: ${describeLimit(app.rateLimitPerMinute ?? app.defaultRateLimitPerMinute)}${app.rateLimitPerMinute === null ? " (the server's default)" : ''}</p>`
      }
      ${
        this.canAct && app.id !== DEFAULT_APP
          ? html`<p><button type="button" class="danger" ?disabled=${this.busy} @click=${() => this.deleteApp(app)}>Delete app</button></p>`
          : nothing
      }
      ${this.renderOutcome(app.id)}
    </section>`;
  }

  /** The last change's outcome, in the card it was asked for in (an app's, or `NEW_APP`). */
  private renderOutcome(card: string) {
    const outcome = this.outcome?.appId === card ? this.outcome : undefined;
    if (!outcome) return nothing;
    return outcome.ok
      ? html`<p class="ok" role="status" data-outcome>${outcome.text}</p>`
      : html`<p class="error" role="alert" data-outcome>${outcome.text}</p>`;
  }

  /** The app's Web Push key (public, so anyone may copy it), its browsers, and (admins) its rotation. */
  private renderPush(app: App) {
    const key = app.vapidPublicKey;
    const browsers = app.pushSubscriptions;
    const rotated = this.pushRotated?.appId === app.id ? this.pushRotated : undefined;
    const copied = this.copied?.appId === app.id ? this.copied : undefined;
    return html`<section aria-label="Web Push of ${app.id}" data-push>
      <h3>Web Push</h3>
      ${
        key
          ? html`<p class="push-key"><span>Public key (VAPID)</span>
              <code title=${key} data-push-key=${key}>${shortKey(key)}</code>
              <button type="button" class="secondary" aria-label="Copy the Web Push public key of ${app.id}" @click=${() => this.copyKey(app, key)}>Copy</button>
              ${copied?.ok ? html`<span class="ok" role="status">Copied.</span>` : nothing}</p>
            ${copied && !copied.ok ? html`<p role="status">The browser refused the clipboard; select the key: <code class="secret" style="display:block">${key}</code></p>` : nothing}`
          : html`<p class="muted">No push key yet: Herald makes one the first time a browser of this app asks for it.</p>`
      }
      <p class="muted" data-push-summary>${browsers === 1 ? '1 browser' : `${browsers.toLocaleString('en-US')} browsers`} subscribed ·
        push key ${app.vapidRotatedAt ? html`rotated <span title=${app.vapidRotatedAt}>${timeAgo(app.vapidRotatedAt)}</span>` : 'never rotated'}
        ${this.canAct && this.confirmingPush !== app.id ? html` · <button type="button" class="secondary" @click=${() => (this.confirmingPush = app.id)}>Rotate push key</button>` : nothing}</p>
      ${
        this.canAct && this.confirmingPush === app.id
          ? html`<div class="card" role="alertdialog" aria-label="Rotate the push key of ${app.id}">
              <p style="margin-top:0"><b>Rotate the Web Push key of ${app.name}?</b> Every browser subscribed now
                (${browsers === 1 ? '1 browser' : `${browsers.toLocaleString('en-US')} browsers`}) must subscribe again: the SDK does it on its next connect (at once where a tab is open).
                Until then it gets no push; open tabs still get notifications over the socket. The private key is never shown.</p>
              <div class="row"><button type="button" class="danger" @click=${() => this.rotatePushKey(app)}>Rotate push key</button>
                <button type="button" class="secondary" @click=${() => (this.confirmingPush = undefined)}>Cancel</button></div>
            </div>`
          : nothing
      }
      ${
        rotated
          ? html`<p class="ok" role="status" data-push-rotated>New push key. ${rotated.marked === 1 ? '1 browser' : `${rotated.marked.toLocaleString('en-US')} browsers`} must subscribe again; the SDK does it when each next connects.</p>`
          : nothing
      }
    </section>`;
  }
}

/** "6000 a minute per API key" or "no limit". */
function describeLimit(perMinute: number): string {
  return perMinute === 0 ? 'no limit' : `${perMinute} a minute per API key`;
}
