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
  HERALD_QUEUE_PREFIX: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'Prefix of every Redis key and channel Herald uses; by default derived from the installation id kept in the database.',
    }),
  ),
  HERALD_AUTO_MIGRATE: Type.Optional(Bool()),
  // No default here: without it, the demo is on only when HOST is a loopback address.
  HERALD_DEMO: Type.Optional(Bool()),
  HERALD_WORKER_CONCURRENCY: Type.Integer({ default: 8, minimum: 1, maximum: 256 }),
  HERALD_BODY_LIMIT: Type.Integer({ default: 262_144, minimum: 1024, maximum: 10_485_760 }),
  HERALD_ACK_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 600_000 }),
  HERALD_POPUP_FRESHNESS_SECONDS: Type.Integer({ default: 600, minimum: 0, maximum: 2_592_000 }),
  HERALD_TRUST_PROXY: Type.String({ default: 'false', minLength: 1, maxLength: 1000 }),
  HERALD_ADAPTER: Type.Union([Type.Literal('auto'), Type.Literal('none'), Type.Literal('sharded')], {
    default: 'auto',
  }),
  HERALD_PUSH_WINDOW_MS: Type.Integer({
    default: 4000,
    minimum: 0,
    maximum: 600_000,
    description:
      'Web Push goes only to browsers none of whose tabs acknowledged a notification on a socket within this long.',
  }),
  HERALD_PUSH_ALLOW_PRIVATE: Bool(false),
  HERALD_PUSH_HOSTS: Type.Optional(
    Type.String({ pattern: '^\\s*(\\*|(\\*\\.)?[A-Za-z0-9.-]+\\s*(,\\s*(\\*\\.)?[A-Za-z0-9.-]+\\s*)*)\\s*$' }),
  ),
  HERALD_PUSH_SUBJECT: Type.Optional(Type.String({ pattern: '^(mailto:[^@\\s]+@[^@\\s]+|https://[^/\\s]+(/\\S*)?)$' })),
  HERALD_FANOUT_CHUNK: Type.Integer({ default: 1000, minimum: 10, maximum: 10_000 }),
  HERALD_JOB_LOCK_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 600_000 }),
  HERALD_SWEEP_INTERVAL_MS: Type.Integer({
    default: 30_000,
    minimum: 1000,
    maximum: 3_600_000,
    description: 'How often each worker runs the housekeeping sweep (expiry, lost jobs, Redis data loss).',
  }),
  HERALD_REQUEUE_AFTER_MS: Type.Integer({
    default: 60_000,
    minimum: 1000,
    maximum: 3_600_000,
    description: 'How long a due notification may wait without a job in Redis before the sweep queues it again.',
  }),
  HERALD_RETENTION_DAYS: Type.Integer({
    default: 90,
    minimum: 0,
    maximum: 36_500,
    description:
      'Notifications that went out more than this many days ago are deleted with their deliveries (0 keeps them forever).',
  }),
  HERALD_REDIS_TIMEOUT_MS: Type.Integer({
    default: 2000,
    minimum: 100,
    maximum: 60_000,
    description: 'How long a request waits for a Redis command before giving up on it.',
  }),
  HERALD_TOKEN_TTL_SECONDS: Type.Integer({ default: 3600, minimum: 60, maximum: 2_592_000 }),
  HERALD_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 6000, minimum: 0, maximum: 10_000_000 }),
  HERALD_RECIPIENTS_PER_SECOND: Type.Integer({ default: 500, minimum: 0, maximum: 10_000_000 }),
  HERALD_CONFIRM_SEND_ABOVE: Type.Integer({
    default: 100,
    minimum: 0,
    maximum: 100_000_000,
    description: 'A send from the dashboard to more users than this needs the admin to confirm its audience.',
  }),
  HERALD_SOCKET_RATE_SCALE: Type.Number({ default: 1, minimum: 0, maximum: 1000 }),
  HERALD_MAX_CONNECTIONS_PER_ADDRESS: Type.Integer({ default: 500, minimum: 0, maximum: 1_000_000 }),
  HERALD_HEADERS_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 500, maximum: 600_000 }),
  HERALD_REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1000, maximum: 3_600_000 }),
  HERALD_IDLE_TIMEOUT_MS: Type.Integer({ default: 60_000, minimum: 30_000, maximum: 3_600_000 }),
  HERALD_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72_000, minimum: 1000, maximum: 600_000 }),
  HERALD_MAX_TOKEN_LIFETIME_SECONDS: Type.Integer({
    default: 86_400,
    minimum: 60,
    maximum: 2_592_000,
    description:
      'The furthest ahead a user token may expire when it is presented (handshake, auth:refresh) or issued (POST /v1/tokens).',
  }),
  HERALD_SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 1000, maximum: 600_000 }),
  HERALD_METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Env = Static<typeof EnvSchema>;
