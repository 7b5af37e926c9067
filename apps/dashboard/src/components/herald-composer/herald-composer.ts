import { Task } from '@lit/task';
import { css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ApiError, appOption, type Ok } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';

type App = Ok<'/admin/api/apps'>[number];
type Categories = Ok<'/admin/api/apps/{appId}/categories'>;

/** The fields that say what a notification is (cleared after a send), as against whom and how it goes. */
const CONTENT = ['title', 'body', 'icon', 'url'] as const;

/**
 * Send a notification: to a user, several users, topics, or everyone in an app, with a popup
 * preview. A send to more users than the server's threshold says its audience first and goes only
 * once the admin confirmed that number.
 */
@customElement('herald-composer')
export class HeraldComposer extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    css`
      .layout { display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(16rem, 1fr); gap: 1.25rem; align-items: start; }
      form { display: grid; gap: 0.8rem; }
      textarea { min-height: 4.5rem; }
      fieldset { border: 1px solid var(--line); border-radius: 0.5rem; display: flex; gap: 1rem; flex-wrap: wrap; }
      fieldset label { display: flex; gap: 0.35rem; align-items: center; font-weight: 400; }
      .preview { background: #2b2b33; color: #fff; border-radius: 0.6rem; padding: 0.8rem; display: grid; grid-template-columns: 2.5rem 1fr; gap: 0.7rem; box-shadow: 0 0.5rem 1.5rem #0004; }
      .preview img, .preview .icon { width: 2.5rem; height: 2.5rem; border-radius: 0.4rem; background: #4b3bc8; object-fit: cover; }
      .preview .site { font-size: 0.75rem; color: #c9c9d6; }
      .preview b { display: block; }
      @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
    `,
  ];

  @state() accessor mode: 'user' | 'users' | 'topics' | 'all' = 'user';
  /** The audience the server asked to confirm, and the body to send again with it. */
  @state() accessor confirming:
    | {
        recipients: number;
        body: Record<string, unknown> /** what it said before, when the audience moved since */;
        was?: number;
      }
    | undefined;
  @state() accessor draftTitle = '';
  @state() accessor draftBody = '';
  @state() accessor draftIcon = '';
  @state() accessor error: string | undefined;
  @state() accessor result: Ok<'/admin/api/notifications', 'post'> | undefined;
  @state() accessor busy = false;
  /** The app picked; until then, the first. */
  @state() accessor appId = '';

  private apps = new Task(this, {
    task: async (_args, { signal }) => this.api.get<App[]>('/admin/api/apps', signal),
    args: () => [],
  });

  /** The picked app's categories, for the optional `category` of the send. */
  private categories = new Task(this, {
    task: async ([appId], { signal }) =>
      appId
        ? (await this.api.get<Categories>(`/admin/api/apps/${encodeURIComponent(appId)}/categories`, signal)).categories
        : [],
    args: () => [this.appId || this.apps.value?.[0]?.id] as const,
  });

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    // Each name once: a repeat would be refused, and means nothing more.
    const list = (k: string) => [
      ...new Set(
        text(k)
          .split(/[\s,]+/)
          .filter(Boolean),
      ),
    ];
    const to =
      this.mode === 'all'
        ? { broadcast: true }
        : this.mode === 'users'
          ? { userIds: list('userIds') }
          : this.mode === 'topics'
            ? { topics: list('topics') }
            : { userId: text('userId') };
    const body: Record<string, unknown> = {
      appId: text('appId'),
      to,
      title: text('title'),
      priority: text('priority'),
    };
    for (const k of ['body', 'icon', 'url', 'category']) if (text(k)) body[k] = text(k);
    if (text('ttl')) body.ttlSeconds = Number(text('ttl'));
    if (text('sendAt')) body.sendAt = new Date(text('sendAt')).toISOString();
    await this.send(body);
  }

  private async send(body: Record<string, unknown>): Promise<void> {
    const asked = this.confirming?.recipients;
    this.busy = true;
    this.error = undefined;
    this.result = undefined;
    this.confirming = undefined;
    try {
      this.result = await this.api.post<Ok<'/admin/api/notifications', 'post'>>('/admin/api/notifications', body);
      this.clearContent();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'HERALD_ERR_CONFIRMATION_REQUIRED') {
        const recipients = await this.audience(
          String(body.appId),
          body.to as { userIds?: string[]; topics?: string[] },
        );
        this.confirming = {
          recipients,
          body: { ...body, confirmRecipients: recipients },
          ...(asked !== undefined && asked !== recipients ? { was: asked } : {}),
        };
      } else this.error = error instanceof ApiError ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  }

  /**
   * Whose popup it is, as browsers head it: the site the SDK runs on (the app's first allowed
   * origin), not this dashboard's host.
   */
  private site(): string {
    const id = this.appId || this.apps.value?.[0]?.id;
    const origin = this.apps.value?.find((a) => a.id === id)?.allowedOrigins?.[0];
    try {
      return origin ? new URL(origin).host : 'your site';
    } catch {
      return 'your site';
    }
  }

  /**
   * After a send, what it said goes (Send again would send it twice); the app, the audience and
   * the options stay for the next one.
   */
  private clearContent(): void {
    const form = this.renderRoot.querySelector('form');
    for (const name of CONTENT) {
      const field = form?.elements.namedItem(name);
      if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement) field.value = '';
    }
    this.draftTitle = '';
    this.draftBody = '';
    this.draftIcon = '';
  }

  /**
   * The form changed while an audience waited for its confirmation: that confirmation was for the
   * send as it was, so it goes; Send asks again for what the form says now.
   */
  private edited = (): void => {
    this.confirming = undefined;
  };

  /** How many users `to` reaches now: the list's length, or the server's count for topics and everyone. */
  private async audience(appId: string, to: { userIds?: string[]; topics?: string[] }): Promise<number> {
    if (to.userIds) return to.userIds.length;
    const query = to.topics ? `topics=${encodeURIComponent(to.topics.join(','))}` : 'broadcast=true';
    const answer = await this.api.get<Ok<'/admin/api/apps/{appId}/audience'>>(
      `/admin/api/apps/${encodeURIComponent(appId)}/audience?${query}`,
    );
    return answer.recipients;
  }

  override render() {
    if (!this.canAct) {
      return html`<h1>Send a notification</h1><p class="card" role="note">Your role (viewer) can look at everything but cannot send. Ask an owner for the admin role.</p>`;
    }
    return html`
      <h1>Send a notification</h1>
      <div class="layout">
        <form class="card" @submit=${this.submit} @input=${this.edited} @change=${this.edited}>
          <label>App
            <select name="appId" required @change=${(e: Event) => {
              this.appId = (e.target as HTMLSelectElement).value;
            }}>
              ${this.apps.render({
                pending: () => html`<option>Loading…</option>`,
                complete: (apps) => apps.map((a) => html`<option value=${a.id}>${appOption(a)}</option>`),
                error: () => html`<option value="default">default</option>`,
              })}
            </select>
          </label>
          <fieldset>
            <legend>To</legend>
            ${(['user', 'users', 'topics', 'all'] as const).map(
              (
                m,
              ) => html`<label><input type="radio" name="mode" value=${m} .checked=${this.mode === m} @change=${() => {
                this.mode = m;
                this.confirming = undefined;
              }} />
                ${{ user: 'one user', users: 'several users', topics: 'topics', all: 'everyone in the app' }[m]}</label>`,
            )}
          </fieldset>
          ${this.mode === 'user' ? html`<label>User id <input name="userId" required maxlength="256" /></label>` : nothing}
          ${this.mode === 'users' ? html`<label>User ids <span class="muted">(comma or space separated)</span><textarea name="userIds" required></textarea></label>` : nothing}
          ${this.mode === 'topics' ? html`<label>Topics <span class="muted">(up to 10, comma or space separated; a user in several gets it once)</span><input name="topics" required /></label>` : nothing}
          <label>Title <input name="title" required maxlength="256" @input=${(e: InputEvent) => (this.draftTitle = (e.target as HTMLInputElement).value)} /></label>
          <label>Body <textarea name="body" maxlength="4096" @input=${(e: InputEvent) => (this.draftBody = (e.target as HTMLTextAreaElement).value)}></textarea></label>
          <div class="row">
            <label>Icon URL <input name="icon" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://… or /icon.png" @input=${(e: InputEvent) => (this.draftIcon = (e.target as HTMLInputElement).value)} /></label>
            <label>Open on click <input name="url" inputmode="url" autocomplete="off" spellcheck="false" placeholder="https://… or /path" /></label>
          </div>
          <label>Category <span class="muted">(optional: each user gets it as they chose for that category)</span>
            <select name="category">
              <option value="">None</option>
              ${this.categories.render({
                complete: (categories) =>
                  categories.map(
                    (c) =>
                      html`<option value=${c.key}>${c.name} (${c.key}; ${c.required ? 'required, ' : ''}default ${c.defaultMode})</option>`,
                  ),
              })}
            </select>
          </label>
          <div class="row">
            <label>Priority <select name="priority"><option>normal</option><option>high</option><option>low</option></select></label>
            <label>Expires after (s) <input name="ttl" type="number" min="1" max="2592000" /></label>
            <label>Send at <input name="sendAt" type="datetime-local" /></label>
          </div>
          ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
          ${
            this.confirming
              ? html`<div class="card" role="alertdialog" aria-label="Confirm the audience">
                  <p><b>This reaches ${this.confirming.recipients.toLocaleString()} users.</b>${
                    this.confirming.was === undefined
                      ? nothing
                      : html` The audience changed since you confirmed ${this.confirming.was.toLocaleString()}.`
                  } Check the audience before it goes out.</p>
                  <button type="button" data-confirm @click=${() => this.confirming && this.send(this.confirming.body)}>Send to ${this.confirming.recipients.toLocaleString()} users</button>
                  <button type="button" class="secondary" @click=${() => (this.confirming = undefined)}>Cancel</button>
                </div>`
              : nothing
          }
          ${
            this.result
              ? html`<p class="ok" role="status">Accepted for ${this.result.recipients} recipient(s), ${this.result.status}.
                  <a href="#/notifications/${this.result.id}">See what happens to it</a>.</p>`
              : nothing
          }
          <div><button type="submit" ?disabled=${this.busy}>${this.busy ? 'Sending…' : 'Send'}</button></div>
        </form>
        <section aria-label="Popup preview">
          <h2 style="margin-top:0">Preview</h2>
          <div class="preview" data-preview>
            ${this.draftIcon ? html`<img src=${this.draftIcon} alt="" />` : html`<div class="icon" aria-hidden="true"></div>`}
            <div><span class="site" data-site>${this.site()}</span><b>${this.draftTitle || 'Your title'}</b>${this.draftBody || html`<span class="muted" style="color:#c9c9d6">Body text</span>`}</div>
          </div>
          <p class="muted">Browsers draw popups in their own style; this shows what your users read.</p>
        </section>
      </div>
    `;
  }
}
