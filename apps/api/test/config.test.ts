import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.js';

describe('loadConfig', () => {
  it('applies the embedded defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      role: 'all',
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      // Derived from the installation id at boot (services/installation.ts).
      queuePrefix: undefined,
      autoMigrate: true,
      demo: true,
      sweepIntervalMs: 30_000,
      requeueAfterMs: 60_000,
      redisTimeoutMs: 2000,
    });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({ PORT: '8080', HERALD_DEMO: 'false', HERALD_ROLE: 'worker' });
    expect(config).toMatchObject({ port: 8080, demo: false, role: 'worker', autoMigrate: false });
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
    [{ HERALD_REDIS_TIMEOUT_MS: 'soon' }, /HERALD_REDIS_TIMEOUT_MS must be a number of milliseconds from 100/],
  ])('refuses %j with a sentence naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT must .*; LOG_LEVEL must be one of/);
  });

  it('lets the command line override the role', () => {
    expect(loadConfig({ HERALD_ROLE: 'api' }, { HERALD_ROLE: 'worker' }).role).toBe('worker');
  });
});
