import { css, html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { Api, ApiError, type Me, type Ok } from '../../lib/api.js';
import { shared } from '../base/herald-element.js';

/** Email + password sign-in. Emits `signed-in` with the admin. */
@customElement('herald-sign-in')
export class HeraldSignIn extends LitElement {
  static override styles = [
    shared,
    css`
      :host { display: grid; place-items: center; min-height: 80vh; }
      form { display: grid; gap: 0.9rem; width: min(22rem, 100%); }
      h1 { margin: 0; }
    `,
  ];

  @state() accessor error: string | undefined;
  @state() accessor busy = false;
  private readonly api = new Api();

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    this.busy = true;
    this.error = undefined;
    try {
      const me: Me = await this.api.post<Ok<'/admin/api/session', 'post'>>('/admin/api/session', {
        email: form.get('email'),
        password: form.get('password'),
      });
      this.dispatchEvent(new CustomEvent('signed-in', { detail: me, bubbles: true, composed: true }));
    } catch (error) {
      this.error = error instanceof ApiError ? error.message : 'Sign-in failed; try again.';
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<form class="card" @submit=${this.submit} aria-describedby=${this.error ? 'err' : nothing}>
      <h1>Sign in to Herald</h1>
      <label>Email <input name="email" type="email" autocomplete="username" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      ${this.error ? html`<p id="err" class="error" role="alert">${this.error}</p>` : nothing}
      <button type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      <p class="muted">The first admin's password was printed when Herald first started, and saved in <code>credentials.json</code> in its data directory (<code>.data/</code>, unless <code>HERALD_DATA_DIR</code> names another).</p>
    </form>`;
  }
}
