import { css, html, LitElement } from 'lit';
import { customElement, state } from 'lit/decorators.js';

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; error?: string }>;
}

/** The dashboard shell. For now it shows whether the platform's dependencies answer. */
@customElement('herald-app')
export class HeraldApp extends LitElement {
  static override styles = css`
    :host { display: block; font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
    h1 { margin-bottom: 0.25rem; }
    ul { padding-left: 1.25rem; }
    .ok { color: #0a7d32; }
    .bad { color: #b3261e; }
  `;

  @state() accessor readiness: Readiness | undefined;
  @state() accessor error: string | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const res = await fetch('/readyz');
      this.readiness = (await res.json()) as Readiness;
      this.error = undefined;
    } catch (error) {
      this.error = `Could not reach the Herald API: ${(error as Error).message}`;
    }
  }

  override render() {
    return html`
      <h1>Herald dashboard</h1>
      <p>Platform status</p>
      ${this.error ? html`<p class="bad" role="alert">${this.error}</p>` : ''}
      ${
        this.readiness
          ? html`<ul>
              ${Object.entries(this.readiness.checks).map(
                ([name, check]) =>
                  html`<li>${name}: <span class=${check.ok ? 'ok' : 'bad'}>${check.ok ? 'up' : `down — ${check.error}`}</span></li>`,
              )}
            </ul>`
          : html`<p>Loading…</p>`
      }
      <p><a href="/docs">API reference</a> · <a href="/">Demo</a></p>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-app': HeraldApp;
  }
}
