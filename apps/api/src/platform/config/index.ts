import { resolve } from 'node:path';
import Value from 'typebox/value';
import { type Env, EnvSchema } from './schema.js';

export type Role = Env['HERALD_ROLE'];

/**
 * The push services browsers subscribe at (Chrome and the other Chromium browsers, Firefox, Edge,
 * Safari): where pushes may go unless HERALD_PUSH_HOSTS says otherwise. Any other host could be
 * anyone's server, made slow on purpose or pointed at something else.
 */
export const BROWSER_PUSH_SERVICES = [
  'fcm.googleapis.com',
  '*.push.services.mozilla.com',
  '*.notify.windows.com',
  '*.push.apple.com',
] as const;

export interface Config {
  role: Role;
  host: string;
  port: number;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  /** `REDIS_URL` as given; undefined means "the default, or a private one if none answers". */
  redisUrl: string | undefined;
  dataDir: string;
  admin: { email: string | undefined; password: string | undefined };
  apiKey: string | undefined;
  jwtSecret: string | undefined;
  /**
   * `HERALD_QUEUE_PREFIX` as given. Undefined means the default: a prefix derived from the
   * installation id in the database (`resolveQueuePrefix`), so that installations sharing a Redis
   * stay apart while every process of one deployment agrees.
   */
  queuePrefix: string | undefined;
  autoMigrate: boolean;
  demo: boolean;
  workerConcurrency: number;
  bodyLimit: number;
  ackTimeoutMs: number;
  tokenTtlSeconds: number;
  /**
   * The furthest ahead a user token may expire: longer-lived tokens are refused at the handshake and
   * at `auth:refresh`, and `POST /v1/tokens` issues none. A token is a bearer credential that cannot
   * be recalled one by one; this bounds how long a leaked one works.
   */
  maxTokenLifetimeSeconds: number;
  /** Older notifications go to the inbox silently instead of popping up. */
  popupFreshnessSeconds: number;
  /** How long a worker's claim on a job lasts without renewal; a crashed worker's jobs move on after it. */
  jobLockMs: number;
  /** Web Push (docs/web-push.md). */
  push: {
    /** A browser gets a push only if none of its tabs acknowledged the notification within this long. */
    windowMs: number;
    /**
     * Post to endpoints on private, loopback or link-local addresses, and over http: only for a
     * test push service. Off, push endpoints must be public https URLs (no SSRF through push).
     */
    allowPrivate: boolean;
    /** The only push services' hosts pushes may go to (`*.` for subdomains); any public host when empty. */
    hosts: string[];
    /** The VAPID `sub` claim: how a push service reaches the operator (mailto: or https:). */
    subject: string;
  };
  /** Recipients written per statement when the worker fans a notification out. */
  fanoutChunk: number;
  /** How often each worker runs the housekeeping sweep. */
  sweepIntervalMs: number;
  /** A due notification without a job for this long is queued again by the sweep. */
  requeueAfterMs: number;
  /** Notifications that went out longer ago than this many days are deleted by the sweep; 0 keeps them. */
  retentionDays: number;
  /** How long a request-path Redis command may take before it fails (sends, dashboard reads, readiness). */
  redisTimeoutMs: number;
  /** On SIGTERM/SIGINT, the process exits after this long even if a shutdown step still waits. */
  shutdownTimeoutMs: number;
  /** The worker role serves /metrics on this port (on HOST) when set; the other roles serve it on PORT. */
  metricsPort: number | undefined;
  /**
   * Which proxies' X-Forwarded-For to believe (client addresses in rate limits, throttling and the
   * audit log): false (none), true (any: only behind a proxy that overwrites it), or
   * comma-separated addresses/CIDRs such as `127.0.0.1,10.0.0.0/8`.
   */
  trustProxy: boolean | string;
  /** Socket.IO adapter: `auto` (none for one embedded process, sharded Redis otherwise), `none`, `sharded`. */
  adapter: 'auto' | 'none' | 'sharded';
  /**
   * Requests per minute each API key may make to each group of `/v1` routes (sends, tokens, the
   * rest), unless its app sets its own; 0 means no limit.
   */
  rateLimitPerMinute: number;
  /** Recipients one API key may name per second in its sends (0: no limit). */
  recipientsPerSecond: number;
  /** A dashboard send to more users than this needs the admin to confirm its audience. */
  confirmSendAbove: number;
  /** Multiplies every per-socket event budget (gateway/rate-limit.ts); 0 turns them off. */
  socketRateScale: number;
  /** Concurrent connections one client address may hold (0: no cap); trusted proxies are exempt. */
  maxConnectionsPerAddress: number;
  /** How long a client may take to send a request's headers; slowloris connections end here. */
  headersTimeoutMs: number;
  /** How long a client may take to send a whole request, headers and body. */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed (WebSockets are exempt). */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request. */
  keepAliveTimeoutMs: number;
  logLevel: Env['LOG_LEVEL'];
}

/** A configuration whose queue prefix is settled: given, or derived from the installation id. */
export type ResolvedConfig = Config & { queuePrefix: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const descriptions: Record<string, string> = {
  HERALD_ROLE: 'one of all, api, worker',
  PORT: 'an integer from 0 to 65535',
  HERALD_PUBLIC_URL: 'an http:// or https:// URL',
  DATABASE_URL: 'a postgres:// or postgresql:// URL',
  REDIS_URL: 'a redis:// or rediss:// URL',
  HERALD_ADMIN_EMAIL: 'an email address',
  HERALD_ADMIN_PASSWORD: 'at least 10 characters',
  HERALD_API_KEY: 'at least 24 letters, digits, "_" or "-"',
  HERALD_JWT_SECRET: 'at least 32 characters',
  HERALD_AUTO_MIGRATE: 'true or false',
  HERALD_DEMO: 'true or false',
  HERALD_RATE_LIMIT_PER_MINUTE: 'a number of requests from 0 (no limit) to 10000000',
  HERALD_RECIPIENTS_PER_SECOND: 'a number of recipients from 0 (no limit) to 10000000',
  HERALD_SOCKET_RATE_SCALE: 'a number from 0 (no limits) to 1000',
  HERALD_MAX_CONNECTIONS_PER_ADDRESS: 'an integer from 0 (no cap) to 1000000',
  HERALD_HEADERS_TIMEOUT_MS: 'a number of milliseconds from 500 to 600000, at most HERALD_REQUEST_TIMEOUT_MS',
  HERALD_REQUEST_TIMEOUT_MS: 'a number of milliseconds from 1000 to 3600000',
  HERALD_IDLE_TIMEOUT_MS: 'a number of milliseconds from 30000 (long-polling requests wait up to 25 s) to 3600000',
  HERALD_KEEP_ALIVE_TIMEOUT_MS: 'a number of milliseconds from 1000 to 600000',
  HERALD_WORKER_CONCURRENCY: 'an integer from 1 to 256',
  HERALD_BODY_LIMIT: 'a number of bytes from 1024 to 10485760',
  HERALD_ACK_TIMEOUT_MS: 'a number of milliseconds from 100 to 600000',
  HERALD_TOKEN_TTL_SECONDS: 'a number of seconds from 60 to 2592000',
  HERALD_MAX_TOKEN_LIFETIME_SECONDS: 'a number of seconds from 60 to 2592000',
  HERALD_POPUP_FRESHNESS_SECONDS: 'a number of seconds from 0 to 2592000',
  HERALD_JOB_LOCK_MS: 'a number of milliseconds from 1000 to 600000',
  HERALD_FANOUT_CHUNK: 'an integer from 10 to 10000',
  HERALD_PUSH_WINDOW_MS: 'an integer from 0 to 600000 (milliseconds)',
  HERALD_PUSH_ALLOW_PRIVATE: 'true or false',
  HERALD_PUSH_HOSTS:
    'a comma-separated list of host names, each maybe starting with *. (fcm.googleapis.com,*.push.services.mozilla.com), or * for any public host',
  HERALD_PUSH_SUBJECT: 'a mailto: address (mailto:ops@example.com) or an https:// URL',
  HERALD_SHUTDOWN_TIMEOUT_MS: 'a number of milliseconds from 1000 to 600000',
  HERALD_METRICS_PORT: 'an integer from 0 to 65535',
  HERALD_ADAPTER: 'one of auto, none, sharded',
  HERALD_QUEUE_PREFIX: 'from 1 to 100 characters',
  HERALD_SWEEP_INTERVAL_MS: 'a number of milliseconds from 1000 to 3600000',
  HERALD_REQUEUE_AFTER_MS: 'a number of milliseconds from 1000 to 3600000',
  HERALD_RETENTION_DAYS: 'a number of days from 0 (keep forever) to 36500',
  HERALD_REDIS_TIMEOUT_MS: 'a number of milliseconds from 100 to 60000',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
};

/**
 * Reads and validates the configuration from an environment. Throws a `ConfigError` whose
 * message names every bad variable and what it should be.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Env> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  const converted = Value.Default(EnvSchema, Value.Convert(EnvSchema, raw));
  if (!Value.Check(EnvSchema, converted)) {
    const bad = new Set<string>();
    for (const error of Value.Errors(EnvSchema, converted)) {
      const name = error.instancePath.split('/')[1];
      if (name) bad.add(name);
    }
    const sentences = [...bad].map(
      (name) => `${name} must be ${descriptions[name] ?? 'valid'} (got ${JSON.stringify(raw[name])})`,
    );
    throw new ConfigError(`Invalid configuration: ${sentences.join('; ')}.`);
  }
  const e = converted as Env;
  if (e.HERALD_HEADERS_TIMEOUT_MS > e.HERALD_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration: HERALD_HEADERS_TIMEOUT_MS (${e.HERALD_HEADERS_TIMEOUT_MS}) must be at most ` +
        `HERALD_REQUEST_TIMEOUT_MS (${e.HERALD_REQUEST_TIMEOUT_MS}): the headers are part of the request.`,
    );
  }
  if (e.HERALD_TOKEN_TTL_SECONDS > e.HERALD_MAX_TOKEN_LIFETIME_SECONDS) {
    throw new ConfigError(
      `Invalid configuration: HERALD_TOKEN_TTL_SECONDS (${e.HERALD_TOKEN_TTL_SECONDS}) must not exceed HERALD_MAX_TOKEN_LIFETIME_SECONDS (${e.HERALD_MAX_TOKEN_LIFETIME_SECONDS}): tokens issued by default would be refused.`,
    );
  }
  return {
    role: e.HERALD_ROLE,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.HERALD_PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: resolve(e.HERALD_DATA_DIR),
    admin: { email: e.HERALD_ADMIN_EMAIL, password: e.HERALD_ADMIN_PASSWORD },
    apiKey: e.HERALD_API_KEY,
    jwtSecret: e.HERALD_JWT_SECRET,
    queuePrefix: e.HERALD_QUEUE_PREFIX,
    // A single `all` process is the development and embedded path: keep its schema current.
    // Scaled-out deployments run `herald migrate` once instead.
    autoMigrate: e.HERALD_AUTO_MIGRATE ?? e.HERALD_ROLE === 'all',
    // Anonymous visitors get tokens from the demo: on by default only where no one else can reach it.
    demo: e.HERALD_DEMO ?? isLoopbackHost(e.HOST),
    workerConcurrency: e.HERALD_WORKER_CONCURRENCY,
    bodyLimit: e.HERALD_BODY_LIMIT,
    ackTimeoutMs: e.HERALD_ACK_TIMEOUT_MS,
    tokenTtlSeconds: e.HERALD_TOKEN_TTL_SECONDS,
    maxTokenLifetimeSeconds: e.HERALD_MAX_TOKEN_LIFETIME_SECONDS,
    popupFreshnessSeconds: e.HERALD_POPUP_FRESHNESS_SECONDS,
    jobLockMs: e.HERALD_JOB_LOCK_MS,
    fanoutChunk: e.HERALD_FANOUT_CHUNK,
    push: {
      windowMs: e.HERALD_PUSH_WINDOW_MS,
      allowPrivate: e.HERALD_PUSH_ALLOW_PRIVATE,
      hosts:
        e.HERALD_PUSH_HOSTS === undefined
          ? [...BROWSER_PUSH_SERVICES]
          : e.HERALD_PUSH_HOSTS.trim() === '*'
            ? []
            : e.HERALD_PUSH_HOSTS.split(',')
                .map((h) => h.trim())
                .filter(Boolean),
      subject:
        e.HERALD_PUSH_SUBJECT ??
        (e.HERALD_PUBLIC_URL?.startsWith('https://')
          ? e.HERALD_PUBLIC_URL
          : `mailto:${e.HERALD_ADMIN_EMAIL ?? 'operator@herald.invalid'}`),
    },
    sweepIntervalMs: e.HERALD_SWEEP_INTERVAL_MS,
    requeueAfterMs: e.HERALD_REQUEUE_AFTER_MS,
    retentionDays: e.HERALD_RETENTION_DAYS,
    redisTimeoutMs: e.HERALD_REDIS_TIMEOUT_MS,
    shutdownTimeoutMs: e.HERALD_SHUTDOWN_TIMEOUT_MS,
    metricsPort: e.HERALD_METRICS_PORT,
    adapter: e.HERALD_ADAPTER,
    trustProxy:
      e.HERALD_TRUST_PROXY === 'true' ? true : e.HERALD_TRUST_PROXY === 'false' ? false : e.HERALD_TRUST_PROXY,
    rateLimitPerMinute: e.HERALD_RATE_LIMIT_PER_MINUTE,
    recipientsPerSecond: e.HERALD_RECIPIENTS_PER_SECOND,
    confirmSendAbove: e.HERALD_CONFIRM_SEND_ABOVE,
    socketRateScale: e.HERALD_SOCKET_RATE_SCALE,
    maxConnectionsPerAddress: e.HERALD_MAX_CONNECTIONS_PER_ADDRESS,
    headersTimeoutMs: e.HERALD_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.HERALD_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: e.HERALD_IDLE_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HERALD_KEEP_ALIVE_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}

/** `localhost`, `127.x.x.x`, `::1` (bracketed or not): addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
