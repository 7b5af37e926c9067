/**
 * `npm start` on a fresh checkout: the embedded default (PGlite under the data directory),
 * first-run credentials printed once and kept 0600, reused on the next start; and a
 * notification sent with the printed API key reaches a socket holding a /v1/tokens token.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { api, dropQueuePrefix, eventually, startHerald, tempDir, uid } from './support/herald.js';

const data = tempDir();
const queuePrefix = `{herald-e2e-${uid()}}`;
const env = { HERALD_DATA_DIR: data.path, HERALD_QUEUE_PREFIX: queuePrefix };

afterAll(async () => {
  await dropQueuePrefix(queuePrefix);
  data.remove();
});

describe('first run on the embedded default', () => {
  let apiKey = '';

  it('prints generated credentials once, keeps them 0600, and delivers a curl-style send', async () => {
    const herald = await startHerald({ env, timeoutMs: 150_000 });
    try {
      const out = herald.output();
      expect(out).toMatch(/First run: these were generated and saved to .*credentials\.json \(mode 0600\)/);
      apiKey = out.match(/API key\s+(hk_\S+)/)?.[1] ?? '';
      expect(apiKey).not.toBe('');
      expect(out).toMatch(/admin\s+admin@herald\.local \/ \S+/);
      // No process warning (a deprecation, say) on a plain start: a newcomer reads it as a fault.
      expect(out).not.toMatch(/\(node:\d+\) /);

      const file = join(data.path, 'credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8')).apiKey).toBe(apiKey);

      const { body: token } = await api<{ token: string }>(herald.url, '/v1/tokens', {
        key: apiKey,
        body: { userId: 'quinn' },
      });
      const socket = io(herald.url, { auth: { token: token.token }, transports: ['websocket'], reconnection: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const received = new Promise<{ id: string; title: string }>((resolve) =>
        socket.once('notification', (n: { id: string; title: string }, ack: (r: unknown) => void) => {
          ack({ ok: true });
          resolve(n);
        }),
      );
      const sent = await api<{ id: string }>(herald.url, '/v1/notifications', {
        key: apiKey,
        body: { to: { userId: 'quinn' }, title: 'Hello from Herald' },
      });
      expect(sent.status).toBe(202);
      await expect(received).resolves.toMatchObject({ id: sent.body.id, title: 'Hello from Herald' });
      socket.disconnect();
    } finally {
      expect(await herald.stop('SIGTERM')).toBe(0);
    }
    // A first start initialises the embedded database: slow on a busy machine.
  }, 240_000);

  it('reuses them on the next start without printing secrets again', async () => {
    const herald = await startHerald({ env, timeoutMs: 150_000 });
    try {
      const out = herald.output();
      expect(out).toMatch(/Credentials of the first run: .*credentials\.json/);
      expect(out).not.toContain(apiKey);
      const { status } = await api(herald.url, '/v1/tokens', { key: apiKey, body: { userId: 'rita' } });
      expect(status).toBe(200);
    } finally {
      await herald.stop();
    }
  }, 180_000);

  it('refuses a bad setting with a sentence naming it', async () => {
    await expect(startHerald({ env: { ...env, PORT: 'eighty' } })).rejects.toThrow(
      /herald: Invalid configuration: PORT must be an integer from 0 to 65535 \(got "eighty"\)/,
    );
  });

  it('stops when a supervisor sends SIGTERM to `npm start` itself, not to its process group', async () => {
    const herald = await startHerald({ env, npmStart: true, timeoutMs: 150_000 });
    const lock = join(data.path, 'pglite.lock');
    expect(existsSync(lock)).toBe(true);
    herald.child.kill('SIGTERM');
    try {
      // The server shut down cleanly (its lock is gone) and its port refuses.
      await eventually(() => !existsSync(lock), 20_000);
      await expect(fetch(`${herald.url}/healthz`)).rejects.toThrow();
    } finally {
      // Left running, the server would hold the data directory: stop it by the pid its lock names.
      const pid = existsSync(lock) ? Number(readFileSync(lock, 'utf8').split(' ')[0]) : 0;
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  }, 180_000);

  it('stops cleanly on a Ctrl-C at the terminal `npm start` runs in, which signals npm and Herald both', async () => {
    const herald = await startHerald({ env, npmStart: true, timeoutMs: 150_000 });
    const lock = join(data.path, 'pglite.lock');
    try {
      process.kill(-(herald.child.pid as number), 'SIGINT');
      await herald.exited;
      // Its one Ctrl-C reached Herald twice (from the terminal, and passed on by npm): not "at once".
      await eventually(() => !existsSync(lock), 20_000);
      expect(herald.output()).not.toContain('stopping at once');
    } finally {
      const pid = existsSync(lock) ? Number(readFileSync(lock, 'utf8').split(' ')[0]) : 0;
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  }, 180_000);

  it('refuses the api role on the embedded database, naming the fix', async () => {
    await expect(startHerald({ env, args: ['--role', 'api'] })).rejects.toThrow(/The api role needs DATABASE_URL/);
  });
});
