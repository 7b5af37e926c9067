import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROWSER_PUSH_SERVICES, ConfigError, loadConfig } from '../src/platform/config/index.js';
import { EnvSchema } from '../src/platform/config/schema.js';

describe('loadConfig', () => {
  it('applies the embedded defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      role: 'all',
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      // Derived from the installation id at boot (platform/installation.ts).
      queuePrefix: undefined,
      autoMigrate: true,
      demo: true,
      sweepIntervalMs: 30_000,
      requeueAfterMs: 60_000,
      retentionDays: 90,
      redisTimeoutMs: 2000,
    });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({ PORT: '8080', HERALD_DEMO: 'false', HERALD_ROLE: 'worker' });
    expect(config).toMatchObject({ port: 8080, demo: false, role: 'worker', autoMigrate: false });
    expect(loadConfig({ HERALD_RETENTION_DAYS: '0' }).retentionDays).toBe(0);
    expect(loadConfig({ HERALD_RETENTION_DAYS: '365' }).retentionDays).toBe(365);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be an integer from 0 to 65535 \(got "eighty"\)/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ HERALD_ROLE: 'boss' }, /HERALD_ROLE must be one of all, api, worker/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL must be a redis:\/\//],
    [{ HERALD_API_KEY: 'short' }, /HERALD_API_KEY must be at least 24/],
    [{ HERALD_ADMIN_PASSWORD: 'abc' }, /HERALD_ADMIN_PASSWORD must be at least 10 characters/],
    [{ HERALD_DEMO: 'maybe' }, /HERALD_DEMO must be true or false/],
    [{ HERALD_SWEEP_INTERVAL_MS: '10' }, /HERALD_SWEEP_INTERVAL_MS must be a number of milliseconds from 1000/],
    [{ HERALD_RETENTION_DAYS: '-1' }, /HERALD_RETENTION_DAYS must be a number of days from 0 \(keep forever\)/],
    [{ HERALD_RETENTION_DAYS: 'forever' }, /HERALD_RETENTION_DAYS must be a number of days/],
    [{ HERALD_REDIS_TIMEOUT_MS: 'soon' }, /HERALD_REDIS_TIMEOUT_MS must be a number of milliseconds from 100/],
    [{ HERALD_PUSH_SUBJECT: 'mailto:' }, /HERALD_PUSH_SUBJECT must be a mailto: address \(mailto:ops@example.com\)/],
    [{ HERALD_PUSH_SUBJECT: 'https://' }, /HERALD_PUSH_SUBJECT must be a mailto: address/],
    [{ HERALD_PUSH_SUBJECT: 'ops@example.com' }, /HERALD_PUSH_SUBJECT must be a mailto: address/],
    [
      { HERALD_PUSH_HOSTS: 'https://fcm.googleapis.com' },
      /HERALD_PUSH_HOSTS must be a comma-separated list of host names/,
    ],
  ])('refuses %j with a sentence naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('bounds user tokens to a day by default, and refuses a default ttl above the maximum lifetime', () => {
    expect(loadConfig({}).maxTokenLifetimeSeconds).toBe(86_400);
    expect(loadConfig({ HERALD_MAX_TOKEN_LIFETIME_SECONDS: '604800' }).maxTokenLifetimeSeconds).toBe(604_800);
    expect(() => loadConfig({ HERALD_MAX_TOKEN_LIFETIME_SECONDS: '10' })).toThrow(
      /HERALD_MAX_TOKEN_LIFETIME_SECONDS must be a number of seconds from 60/,
    );
    expect(() => loadConfig({ HERALD_TOKEN_TTL_SECONDS: '7200', HERALD_MAX_TOKEN_LIFETIME_SECONDS: '3600' })).toThrow(
      /HERALD_TOKEN_TTL_SECONDS \(7200\) must not exceed HERALD_MAX_TOKEN_LIFETIME_SECONDS \(3600\)/,
    );
  });

  it("reads the push services an operator allows: the browsers' own by default, * for any public host", () => {
    expect(loadConfig({}).push.hosts).toEqual([...BROWSER_PUSH_SERVICES]);
    expect(loadConfig({ HERALD_PUSH_HOSTS: '*' }).push.hosts).toEqual([]);
    expect(loadConfig({ HERALD_PUSH_HOSTS: ' fcm.googleapis.com, *.push.services.mozilla.com ' }).push.hosts).toEqual([
      'fcm.googleapis.com',
      '*.push.services.mozilla.com',
    ]);
  });

  it('takes a push contact push services can use', () => {
    expect(loadConfig({ HERALD_PUSH_SUBJECT: 'mailto:ops@example.com' }).push.subject).toBe('mailto:ops@example.com');
    expect(loadConfig({ HERALD_PUSH_SUBJECT: 'https://example.com/contact' }).push.subject).toBe(
      'https://example.com/contact',
    );
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT must .*; LOG_LEVEL must be one of/);
  });

  it('lets the command line override the role', () => {
    expect(loadConfig({ HERALD_ROLE: 'api' }, { HERALD_ROLE: 'worker' }).role).toBe('worker');
  });

  it.each([
    ['127.0.0.1', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['127.0.1.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['herald.example.com', false],
  ])('serves the demo by default on HOST=%s: %s', (host, demo) => {
    expect(loadConfig({ HOST: host }).demo).toBe(demo);
  });

  it('serves the demo on a public HOST only when HERALD_DEMO=true says so', () => {
    expect(loadConfig({ HOST: '0.0.0.0', HERALD_DEMO: 'true' }).demo).toBe(true);
    expect(loadConfig({ HOST: '127.0.0.1', HERALD_DEMO: 'false' }).demo).toBe(false);
  });

  it('has limits and timeouts by default, and reads them from the environment', () => {
    expect(loadConfig({})).toMatchObject({
      rateLimitPerMinute: 6000,
      socketRateScale: 1,
      maxConnectionsPerAddress: 500,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
    });
    expect(
      loadConfig({
        HERALD_RATE_LIMIT_PER_MINUTE: '0',
        HERALD_SOCKET_RATE_SCALE: '2.5',
        HERALD_MAX_CONNECTIONS_PER_ADDRESS: '0',
        HERALD_HEADERS_TIMEOUT_MS: '5000',
        HERALD_REQUEST_TIMEOUT_MS: '5000',
      }),
    ).toMatchObject({
      rateLimitPerMinute: 0,
      socketRateScale: 2.5,
      maxConnectionsPerAddress: 0,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 5000,
    });
  });

  it.each([
    [
      { HERALD_IDLE_TIMEOUT_MS: '20000' },
      /HERALD_IDLE_TIMEOUT_MS must be a number of milliseconds from 30000 \(long-polling/,
    ],
    [{ HERALD_RATE_LIMIT_PER_MINUTE: '-1' }, /HERALD_RATE_LIMIT_PER_MINUTE must be a number of requests from 0/],
    [{ HERALD_MAX_CONNECTIONS_PER_ADDRESS: 'lots' }, /HERALD_MAX_CONNECTIONS_PER_ADDRESS must be an integer/],
    [
      { HERALD_HEADERS_TIMEOUT_MS: '20000', HERALD_REQUEST_TIMEOUT_MS: '10000' },
      /HERALD_HEADERS_TIMEOUT_MS \(20000\) must be at most HERALD_REQUEST_TIMEOUT_MS \(10000\)/,
    ],
  ])('refuses %j with a sentence', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe("the README's configuration table", () => {
  it('names every variable Herald reads', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Production shape'));
    const missing = Object.keys(EnvSchema.properties).filter((name) => !table.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
