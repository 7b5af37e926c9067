import Type, { type Static } from 'typebox';

const Bool = (defaultValue?: boolean) => Type.Boolean(defaultValue === undefined ? {} : { default: defaultValue });

/**
 * Every setting Herald reads, by environment variable name. This is the only place that
 * knows them; `loadConfig` validates the environment against it once, at boot.
 */
export const EnvSchema = Type.Object({
  HERALD_ROLE: Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')], {
    default: 'all',
    description: 'Which process role to run: all (server + worker), api, or worker.',
  }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  HERALD_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  HERALD_DATA_DIR: Type.String({ default: '.data', minLength: 1 }),
  HERALD_ADMIN_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })),
  HERALD_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 10 })),
  HERALD_API_KEY: Type.Optional(Type.String({ minLength: 24, pattern: '^[A-Za-z0-9_\\-]+$' })),
  HERALD_JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  HERALD_QUEUE_PREFIX: Type.String({ default: '{herald}', minLength: 1 }),
  HERALD_AUTO_MIGRATE: Type.Optional(Bool()),
  HERALD_DEMO: Bool(true),
  HERALD_WORKER_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, maximum: 256 }),
  HERALD_BODY_LIMIT: Type.Integer({ default: 262_144, minimum: 1024, maximum: 10_485_760 }),
  HERALD_ACK_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
  HERALD_POPUP_FRESHNESS_SECONDS: Type.Integer({ default: 600, minimum: 0, maximum: 2_592_000 }),
  HERALD_TRUST_PROXY: Type.String({ default: 'false', minLength: 1, maxLength: 1000 }),
  HERALD_ADAPTER: Type.Union([Type.Literal('auto'), Type.Literal('none'), Type.Literal('sharded')], {
    default: 'auto',
  }),
  HERALD_FANOUT_CHUNK: Type.Integer({ default: 1000, minimum: 10, maximum: 10_000 }),
  HERALD_JOB_LOCK_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000 }),
  HERALD_TOKEN_TTL_SECONDS: Type.Integer({ default: 3600, minimum: 60, maximum: 2_592_000 }),
  HERALD_SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 1000, maximum: 600_000 }),
  HERALD_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Env = Static<typeof EnvSchema>;
