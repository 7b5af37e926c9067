import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PRIORITIES } from '@herald/protocol/schema';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Where an accepted notification came from. */
export const ACCEPT_SOURCES = ['api', 'batch', 'dashboard', 'demo'] as const;
export type AcceptSource = (typeof ACCEPT_SOURCES)[number];

/** Delivery state changes counted by `herald_deliveries_total`. */
export const DELIVERY_EVENTS = ['delivered', 'displayed', 'clicked', 'read'] as const;
export type DeliveryMetricEvent = (typeof DELIVERY_EVENTS)[number];

/** What one Web Push attempt came to (delivery/push/sender.ts `classify`, and `skipped` by preferences or age). */
export const PUSH_OUTCOMES = ['sent', 'gone', 'too-big', 'retry', 'resubscribe', 'failed', 'skipped'] as const;

/** Where a rejection happened: a REST route, a socket event, a TCP connection, the demo endpoints. */
export const RATE_LIMIT_SCOPES = ['rest', 'socket', 'connection', 'demo', 'sign-in', 'api-key', 'app-id'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/**
 * One process's Prometheus metrics: the process defaults and Herald's own counters. The server
 * and the worker of an `all` process share one, so everything the process does is on its
 * `/metrics`. Gauges read at scrape time (queue, sockets) are added by the metrics plugin.
 */
export interface HeraldMetrics {
  registry: Registry;
  /** Notifications stored and queued (idempotent replays are not counted again). */
  accepted: Counter<'source' | 'priority'>;
  /** Delivery state changes recorded: acknowledged (or confirmed by a sync), displayed, clicked, read. */
  deliveries: Counter<'event'>;
  /** Notifications that ended as failed after their last attempt. */
  failed: Counter;
  /** Deliveries that expired before they could be delivered. */
  expired: Counter;
  /** From the emit of a notification to a socket until that socket's ack. */
  ackLatency: Histogram;
  /** Requests, socket events and connections refused by a rate limit or the connection cap. */
  rateLimited: Counter<'scope'>;
  /** How many notifications each catch-up on connect sent. */
  catchUp: Histogram;
  /** Web Push attempts by outcome (`sent`: the push service took it). */
  pushAttempts: Counter<'outcome'>;
  /** Web Push receipts from service workers: displayed, clicked, closed. */
  pushReceipts: Counter<'event'>;
  /** Stops the event-loop monitor. */
  close(): void;
}

export function createMetrics(): HeraldMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'herald_' });
  const eventLoop = replaceEventLoopDelay(registry, 'herald_');
  const accepted = new Counter({
    name: 'herald_notifications_accepted_total',
    help: 'Notifications accepted (202) and queued, by where they came from: api, batch, dashboard, demo',
    labelNames: ['source', 'priority'] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'herald_deliveries_total',
    help: 'Delivery state changes recorded by this process: delivered (a device acknowledged), displayed, clicked, read',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const failed = new Counter({
    name: 'herald_notifications_failed_total',
    help: 'Notifications that failed for good after their last attempt (their reason is in the API)',
    registers: [registry],
  });
  const expired = new Counter({
    name: 'herald_deliveries_expired_total',
    help: 'Deliveries whose notification expired (ttlSeconds) before the user could get it',
    registers: [registry],
  });
  const ackLatency = new Histogram({
    name: 'herald_ack_latency_seconds',
    help: "From the emit of a notification to a socket until that socket's acknowledgement",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'herald_rate_limited_total',
    help: 'Requests, socket events and connections refused by a rate limit or connection cap (sign-in: attempts and password checks; api-key: addresses trying unknown keys; app-id: handshakes from addresses naming unknown apps)',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  const catchUp = new Histogram({
    name: 'herald_catchup_notifications',
    help: 'Notifications sent by each catch-up on connect (what a device missed while away)',
    buckets: [0, 1, 3, 10, 30, 100, 300, 1000, 3000],
    registers: [registry],
  });
  const pushAttempts = new Counter({
    name: 'herald_push_attempts_total',
    help: 'Web Push posts to push services by outcome: sent (taken), gone (404/410, subscription removed), retry, resubscribe, failed, too-big; skipped (preferences or age)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const pushReceipts = new Counter({
    name: 'herald_push_receipts_total',
    help: "Reports from Herald's service worker about pushed notifications: displayed, clicked, closed",
    labelNames: ['event'] as const,
    registers: [registry],
  });
  for (const outcome of PUSH_OUTCOMES) pushAttempts.inc({ outcome }, 0);
  for (const event of ['displayed', 'clicked', 'closed']) pushReceipts.inc({ event }, 0);
  // Every series exists from the start at 0, so rates and dashboards work before the first event.
  for (const source of ACCEPT_SOURCES) for (const priority of PRIORITIES) accepted.inc({ source, priority }, 0);
  for (const event of DELIVERY_EVENTS) deliveries.inc({ event }, 0);
  for (const scope of RATE_LIMIT_SCOPES) rateLimited.inc({ scope }, 0);
  return {
    registry,
    accepted,
    deliveries,
    failed,
    expired,
    ackLatency,
    rateLimited,
    catchUp,
    pushAttempts,
    pushReceipts,
    close: () => eventLoop.disable(),
  };
}

/**
 * prom-client's event-loop delay gauges read a histogram it resets on every scrape: a scrape that
 * comes before the next sample (two scrapers, or one right after another) reports the empty
 * histogram's min of 9223372036.85 s and a NaN mean. These replace them (same names), keeping the
 * last values until there are new samples.
 */
function replaceEventLoopDelay(registry: Registry, prefix: string): { disable(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const read = {
    min: () => histogram.min,
    max: () => histogram.max,
    mean: () => histogram.mean,
    stddev: () => histogram.stddev,
    p50: () => histogram.percentile(50),
    p90: () => histogram.percentile(90),
    p99: () => histogram.percentile(99),
  };
  const gauges = new Map<keyof typeof read, Gauge>();
  // One collect for all of them, on the first one: it runs before any of them is serialised.
  const collect = () => {
    if (histogram.count === 0) return;
    for (const [stat, gauge] of gauges) {
      const seconds = read[stat]() / 1e9;
      if (Number.isFinite(seconds)) gauge.set(seconds);
    }
    histogram.reset();
  };
  for (const stat of Object.keys(read) as Array<keyof typeof read>) {
    const name = `${prefix}nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    const help = `Event loop delay since the previous scrape: ${stat === 'stddev' ? 'standard deviation' : stat}`;
    gauges.set(stat, new Gauge({ name, help, registers: [registry], ...(gauges.size === 0 ? { collect } : {}) }));
  }
  return histogram;
}
