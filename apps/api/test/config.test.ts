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
      queuePrefix: '{herald}',
      autoMigrate: true,
      demo: true,
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

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT must .*; LOG_LEVEL must be one of/);
  });

  it('lets the command line override the role', () => {
    expect(loadConfig({ HERALD_ROLE: 'api' }, { HERALD_ROLE: 'worker' }).role).toBe('worker');
  });
});
