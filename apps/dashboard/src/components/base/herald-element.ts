import { consume } from '@lit/context';
import { css, LitElement } from 'lit';
import { type Services, servicesContext } from '../../lib/context.js';

/** Design tokens and shared pieces: readable contrast, visible focus, responsive tables. */
export const shared = css`
  :host {
    --accent: #4b3bc8;
    --accent-contrast: #fff;
    --fg: #1b1b26;
    --muted: #555566;
    --bg: #ffffff;
    --panel: #f5f5fa;
    --line: #d8d8e4;
    --ok: #0a6b2d;
    --warn: #8a5200;
    --bad: #a8201a;
    font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif;
    color: var(--fg);
  }
  h1 { font-size: 1.45rem; margin: 0 0 1rem; }
  h2 { font-size: 1.1rem; margin: 1.5rem 0 0.6rem; }
  a { color: var(--accent); }
  button, input, select, textarea { font: inherit; }
  button { cursor: pointer; border-radius: 0.45rem; padding: 0.45rem 0.9rem; border: 1px solid var(--accent);
    background: var(--accent); color: var(--accent-contrast); }
  button.secondary { background: transparent; color: var(--accent); }
  button.danger { background: var(--bad); border-color: var(--bad); }
  button:disabled { opacity: 0.5; cursor: not-allowed; }
  :is(button, a, input, select, textarea, [tabindex]):focus-visible { outline: 3px solid #e08a00; outline-offset: 2px; }
  input, select, textarea { border: 1px solid #8a8a9e; border-radius: 0.4rem; padding: 0.4rem 0.55rem; background: var(--bg); color: var(--fg); }
  label { display: grid; gap: 0.2rem; font-weight: 500; min-width: 0; }
  /* Names, titles and ids are the operators' and their users': a long one wraps, never widens the page. */
  h1, h2, h3, p, dd, li { overflow-wrap: anywhere; }
  /* In a table, words break only when one alone is wider than its column (a narrow screen would
     otherwise squeeze every column to a letter: "sched / uled"); the table scrolls in its wrapper. */
  td { overflow-wrap: break-word; }
  .pill, td button { white-space: nowrap; }
  select, input, textarea { max-width: 100%; box-sizing: border-box; }
  /* A percentage width lets a drop-down shrink with its column (a long option would set its width otherwise). */
  select { width: 100%; }
  .card { background: var(--bg); border: 1px solid var(--line); border-radius: 0.7rem; padding: 1rem 1.1rem; }
  .row { display: flex; gap: 0.75rem; flex-wrap: wrap; align-items: end; }
  .muted { color: var(--muted); }
  .error { color: var(--bad); font-weight: 500; }
  .ok { color: var(--ok); }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.02em; }
  .pill { display: inline-block; border-radius: 1rem; padding: 0 0.55rem; font-size: 0.8rem; background: var(--panel); border: 1px solid var(--line); }
  .pill.dispatched, .pill.delivered, .pill.read, .pill.online { color: var(--ok); border-color: var(--ok); }
  .pill.failed, .pill.expired, .pill.cancelled { color: var(--bad); border-color: var(--bad); }
  .pill.scheduled, .pill.queued, .pill.processing { color: var(--warn); border-color: var(--warn); }
  .pill.skipped { color: var(--muted); border-style: dashed; }
  .empty { padding: 1.5rem; text-align: center; color: var(--muted); }
  code, .mono { font-family: ui-monospace, 'SFMono-Regular', Menlo, monospace; font-size: 0.9em; }
  .secret { background: #fff6d6; border: 1px solid #e0c040; padding: 0.6rem; border-radius: 0.4rem; word-break: break-all; }
`;

/** Base for dashboard components: the services from context and an `emit()` helper. */
export class HeraldElement extends LitElement {
  static override styles = [shared];

  @consume({ context: servicesContext, subscribe: true })
  accessor services: Services | undefined;

  /** Pages render only once an admin is signed in, so the services are there. */
  protected get svc(): Services {
    return this.services as Services;
  }

  protected get api() {
    return this.svc.api;
  }

  protected get canAct(): boolean {
    return this.svc.me.role !== 'viewer';
  }

  protected emit<T>(name: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}
