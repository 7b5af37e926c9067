import type { AdminStats } from '@herald/protocol';
import { css, html, nothing, type PropertyValues, unsafeCSS } from 'lit';
import { customElement } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { counted } from '../../lib/api.js';
import { LiveController } from '../../lib/live.js';
import { HeraldElement } from '../base/herald-element.js';

const SERIES = [
  ['sent', '#4b3bc8'],
  ['delivered', '#0a7d6b'],
  ['displayed', '#c06a00'],
  ['clicked', '#b3206b'],
  ['read', '#3b6fd0'],
] as const;
/** `sent` counts notifications as they are accepted (one each, whatever its audience); the others count recipients. */
const LABELS: Record<(typeof SERIES)[number][0], string> = {
  sent: 'notifications accepted',
  delivered: 'delivered',
  displayed: 'displayed',
  clicked: 'clicked',
  read: 'read',
};
const COUNTS: Record<(typeof SERIES)[number][0], string> = {
  sent: 'Notifications accepted in the last hour (a scheduled one when it was accepted), one each whatever its audience',
  delivered: 'Recipients a device of whom acknowledged a notification in the last hour',
  displayed: 'Recipients whose browser showed a popup in the last hour',
  clicked: 'Recipients who clicked a popup in the last hour',
  read: 'Recipients who read a notification in the last hour',
};

/** Live counters and the last hour per minute, pushed over the admin namespace. */
@customElement('herald-overview')
export class HeraldOverview extends HeraldElement {
  static override styles = [
    ...HeraldElement.styles,
    unsafeCSS(uplotCss),
    css`
      .counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(9.5rem, 1fr)); gap: 0.75rem; }
      .counter { background: var(--bg); border: 1px solid var(--line); border-radius: 0.7rem; padding: 0.8rem 1rem; }
      .counter b { display: block; font-size: 1.7rem; font-variant-numeric: tabular-nums; }
      .counter span { color: var(--muted); font-size: 0.85rem; }
      .chart { margin-top: 1rem; min-height: 260px; }
      ul.recent { list-style: none; padding: 0; margin: 0; }
      ul.recent li { padding: 0.35rem 0; border-bottom: 1px solid var(--line); }
    `,
  ];

  private readonly live = new LiveController(this, () => this.services?.live);
  private plot: uPlot | undefined;
  private resize = new ResizeObserver(() => this.plot?.setSize(this.size()));

  private size() {
    const box = this.renderRoot.querySelector('.chart') as HTMLElement | null;
    return { width: Math.max(280, (box?.clientWidth ?? 600) - 24), height: 240 };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  protected override updated(_changed: PropertyValues): void {
    const stats = this.live.value?.stats;
    const box = this.renderRoot.querySelector('.chart .plot') as HTMLElement | null;
    if (!stats || !box) return;
    const data: uPlot.AlignedData = [
      stats.series.map((p) => p.t / 1000),
      ...SERIES.map(([k]) => stats.series.map((p) => p[k])),
    ];
    if (!this.plot) {
      this.plot = new uPlot(
        {
          ...this.size(),
          // `sent` counts notifications accepted: the legend says so, as the counter does.
          series: [{}, ...SERIES.map(([k, stroke]) => ({ label: k === 'sent' ? 'accepted' : k, stroke, width: 2 }))],
          axes: [{}, { label: 'per minute' }],
          scales: { x: { time: true } },
        },
        data,
        box,
      );
      this.resize.observe(box.parentElement as HTMLElement);
    } else {
      this.plot.setData(data);
    }
  }

  override render() {
    const live = this.live.value;
    const s: AdminStats | undefined = live?.stats;
    const n = (v: number | undefined) => (v === undefined ? '—' : v.toLocaleString());
    return html`
      <h1>Overview</h1>
      <section class="counters" aria-label="Live counters" aria-live="polite">
        <div class="counter" data-metric="users"><b>${n(s?.presence.users)}</b><span>users connected</span></div>
        <div class="counter" data-metric="sockets"><b>${n(s?.presence.sockets)}</b><span>sockets (tabs, devices)</span></div>
        ${SERIES.map(([k]) => html`<div class="counter" data-metric=${k} title=${COUNTS[k]}><b>${n(s?.lastHour[k])}</b><span>${LABELS[k]} · last hour</span></div>`)}
        <div class="counter" data-metric="waiting"><b>${n(s?.queue.waiting)}</b><span>jobs waiting</span></div>
        <div class="counter" data-metric="failed"><b>${n(s?.queue.failed)}</b><span>jobs failed</span></div>
      </section>
      <section class="card chart" aria-label="Activity over the last hour">
        <h2 style="margin-top:0">Last hour</h2>
        ${s ? nothing : html`<p class="muted">Waiting for the first numbers…</p>`}
        <div class="plot" role="img" aria-label="Accepted, delivered, displayed, clicked and read per minute over the last hour"></div>
      </section>
      <h2>Just accepted</h2>
      ${
        live?.recent.length
          ? html`<ul class="recent">
              ${live.recent.map(
                (r) =>
                  html`<li><a href="#/notifications/${r.id}">${r.title}</a> <span class="muted">· ${r.appId} · ${counted(r.recipients, 'recipient')}</span></li>`,
              )}
            </ul>`
          : html`<p class="empty">Nothing accepted since you opened the dashboard. <a href="#/compose">Send one</a>.</p>`
      }
    `;
  }
}
