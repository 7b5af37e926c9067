import { resolve } from 'node:path';
import Value from 'typebox/value';
import { type Env, EnvSchema } from './schema.js';

export type Role = Env['HERALD_ROLE'];

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
  queuePrefix: string;
  autoMigrate: boolean;
  demo: boolean;
  workerConcurrency: number;
  bodyLimit: number;
  ackTimeoutMs: number;
  tokenTtlSeconds: number;
  /** Older notifications go to the inbox silently instead of popping up. */
  popupFreshnessSeconds: number;
  /** How long a worker's claim on a job lasts without renewal; a crashed worker's jobs move on after it. */
  jobLockMs: number;
  /** Recipients written per statement when the worker fans a notification out. */
  fanoutChunk: number;
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
  logLevel: Env['LOG_LEVEL'];
}

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
  HERALD_WORKER_CONCURRENCY: 'an integer from 1 to 256',
  HERALD_BODY_LIMIT: 'a number of bytes from 1024 to 10485760',
  HERALD_ACK_TIMEOUT_MS: 'a number of milliseconds from 100 to 600000',
  HERALD_TOKEN_TTL_SECONDS: 'a number of seconds from 60 to 2592000',
  HERALD_POPUP_FRESHNESS_SECONDS: 'a number of seconds from 0 to 2592000',
  HERALD_JOB_LOCK_MS: 'a number of milliseconds from 1000 to 600000',
  HERALD_FANOUT_CHUNK: 'an integer from 10 to 10000',
  HERALD_SHUTDOWN_TIMEOUT_MS: 'a number of milliseconds from 1000 to 600000',
  HERALD_METRICS_PORT: 'an integer from 0 to 65535',
  HERALD_ADAPTER: 'one of auto, none, sharded',
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
    demo: e.HERALD_DEMO,
    workerConcurrency: e.HERALD_WORKER_CONCURRENCY,
    bodyLimit: e.HERALD_BODY_LIMIT,
    ackTimeoutMs: e.HERALD_ACK_TIMEOUT_MS,
    tokenTtlSeconds: e.HERALD_TOKEN_TTL_SECONDS,
    popupFreshnessSeconds: e.HERALD_POPUP_FRESHNESS_SECONDS,
    jobLockMs: e.HERALD_JOB_LOCK_MS,
    fanoutChunk: e.HERALD_FANOUT_CHUNK,
    shutdownTimeoutMs: e.HERALD_SHUTDOWN_TIMEOUT_MS,
    metricsPort: e.HERALD_METRICS_PORT,
    adapter: e.HERALD_ADAPTER,
    trustProxy:
      e.HERALD_TRUST_PROXY === 'true' ? true : e.HERALD_TRUST_PROXY === 'false' ? false : e.HERALD_TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
  };
}
