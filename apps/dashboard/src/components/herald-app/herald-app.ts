import { provide } from '@lit/context';
import { css, html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { Api, ApiError, type Me, type Ok } from '../../lib/api.js';
import { type Services, servicesContext } from '../../lib/context.js';
import { LiveFeed } from '../../lib/live.js';
import { shared } from '../base/herald-element.js';
import '../herald-sign-in/herald-sign-in.js';
import '../herald-overview/herald-overview.js';
import '../herald-composer/herald-composer.js';
import '../herald-notifications/herald-notifications.js';
import '../herald-notification-detail/herald-notification-detail.js';
import '../herald-subscribers/herald-subscribers.js';
import '../herald-topics/herald-topics.js';
import '../herald-categories/herald-categories.js';
import '../herald-apps/herald-apps.js';
import '../herald-queue/herald-queue.js';
import '../herald-audit/herald-audit.js';
import '../herald-admins/herald-admins.js';

const PAGES = [
  ['overview', 'Overview'],
  ['compose', 'Send'],
  ['notifications', 'Notifications'],
  ['subscribers', 'Subscribers'],
  ['topics', 'Topics'],
  ['categories', 'Categories'],
  ['apps', 'Apps & keys'],
  ['queue', 'Queue'],
  ['audit', 'Audit log'],
  ['admins', 'Admins'],
] as const;

/** A route argument as it was before encoding; nothing if it is not valid. */
function decoded(arg: string | undefined): string | undefined {
  try {
    return arg ? decodeURIComponent(arg) : undefined;
  } catch {
    return undefined;
  }
}

/** The dashboard shell: sign-in gate, navigation, hash routes, and the services every page uses. */
@customElement('herald-app')
export class HeraldApp extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: grid; grid-template-columns: 13rem 1fr; min-height: 100vh; background: var(--panel); }
      nav { background: #1f1b3a; color: #fff; padding: 1rem 0.75rem; display: flex; flex-direction: column; gap: 0.25rem; }
      nav .brand { font-weight: 700; font-size: 1.2rem; padding: 0.25rem 0.6rem 1rem; }
      nav a { color: #e9e7ff; text-decoration: none; padding: 0.45rem 0.6rem; border-radius: 0.4rem; }
      nav a[aria-current='page'] { background: #4b3bc8; color: #fff; }
      nav a:hover { background: #332c66; }
      nav .who { margin-top: auto; font-size: 0.85rem; color: #cfcbef; padding: 0.6rem; display: grid; gap: 0.4rem; }
      nav .who button { background: transparent; border-color: #cfcbef; color: #fff; }
      .live { font-size: 0.8rem; }
      main { padding: 1.5rem clamp(1rem, 3vw, 2.5rem); min-width: 0; }
      @media (max-width: 760px) {
        :host { grid-template-columns: 1fr; }
        nav { flex-direction: row; flex-wrap: wrap; align-items: center; }
        nav .brand { padding: 0.25rem 0.6rem; }
        nav .who { margin: 0 0 0 auto; grid-auto-flow: column; align-items: center; }
      }
    `,
  ];

  @provide({ context: servicesContext })
  @state()
  accessor services: Services | undefined;

  @state() accessor route = location.hash.slice(2) || 'overview';
  @state() accessor checking = true;
  @state() accessor problem: string | undefined;

  private readonly api = new Api();
  private readonly live = new LiveFeed();
  private readonly onHash = () => {
    this.route = location.hash.slice(2) || 'overview';
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    void this.checkSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    this.live.stop();
  }

  private async checkSession(): Promise<void> {
    try {
      const session = await this.api.get<Ok<'/admin/api/session'>>('/admin/api/session');
      if (session.signedIn) this.signedIn({ email: session.email, role: session.role });
    } catch (error) {
      this.problem = error instanceof ApiError ? error.message : String(error);
    } finally {
      this.checking = false;
    }
  }

  private signedIn(me: Me): void {
    this.problem = undefined;
    this.services = { api: this.api, live: this.live, me };
    this.live.start();
    this.live.subscribe(() => {
      // The session ended on the server (signed out in another tab, admin removed, expired): sign in again.
      const ended = this.live.ended;
      if (ended && this.services) {
        this.live.stop();
        this.services = undefined;
        this.problem = ended;
      }
      this.requestUpdate();
    });
  }

  private async signOut(): Promise<void> {
    await this.api.delete('/admin/api/session').catch(() => {});
    this.live.stop();
    this.services = undefined;
    location.hash = '';
  }

  override render() {
    if (this.checking) return html`<main aria-busy="true"><p class="muted">Loading…</p></main>`;
    if (!this.services) {
      return html`<main style="grid-column: 1 / -1">
        ${this.problem ? html`<p class="error" role="alert">${this.problem}</p>` : nothing}
        <herald-sign-in @signed-in=${(e: CustomEvent<Me>) => this.signedIn(e.detail)}></herald-sign-in>
      </main>`;
    }
    const [page, arg] = this.route.split('/');
    const me = this.services.me;
    return html`
      <nav aria-label="Dashboard">
        <div class="brand">Herald</div>
        ${PAGES.map(([id, label]) => html`<a href="#/${id}" aria-current=${page === id ? 'page' : 'false'}>${label}</a>`)}
        <div class="who">
          <span class="live" aria-live="polite">${this.live.connected ? '● live' : '○ reconnecting…'}</span>
          <span>${me.email}<br /><span class="muted" style="color:#cfcbef">${me.role}</span></span>
          <button type="button" @click=${() => this.signOut()}>Sign out</button>
        </div>
      </nav>
      <main id="main">${this.page(page ?? 'overview', arg)}</main>
    `;
  }

  private page(page: string, arg: string | undefined) {
    switch (page) {
      case 'compose':
        return html`<herald-composer></herald-composer>`;
      case 'notifications':
        return arg
          ? html`<herald-notification-detail .notificationId=${arg}></herald-notification-detail>`
          : html`<herald-notifications></herald-notifications>`;
      case 'subscribers':
        return html`<herald-subscribers .subscriberId=${arg}></herald-subscribers>`;
      case 'topics':
        return html`<herald-topics .selection=${arg}></herald-topics>`;
      case 'categories':
        return html`<herald-categories .appId=${decoded(arg)}></herald-categories>`;
      case 'apps':
        return html`<herald-apps></herald-apps>`;
      case 'queue':
        return html`<herald-queue></herald-queue>`;
      case 'audit':
        return html`<herald-audit></herald-audit>`;
      case 'admins':
        return html`<herald-admins></herald-admins>`;
      default:
        return html`<herald-overview></herald-overview>`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-app': HeraldApp;
  }
}
