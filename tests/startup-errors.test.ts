/**
 * The mistakes of a first hour — the port is taken, DATABASE_URL points nowhere or names a database
 * that does not exist — stop Herald with one sentence saying what to fix, not a stack trace. And
 * a first start that fails after generating the credentials shows them on the next start that
 * succeeds, instead of keeping secrets nobody saw.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, createSchema, dropQueuePrefix, POSTGRES_URL, startHerald, tempDir, uid } from './support/herald.js';

const queuePrefix = `{herald-e2e-${uid()}}`;
const dirs: Array<ReturnType<typeof tempDir>> = [];
const newDataDir = () => {
  const dir = tempDir();
  dirs.push(dir);
  return dir.path;
};

afterAll(async () => {
  await dropQueuePrefix(queuePrefix);
  for (const dir of dirs) dir.remove();
});

/** What Herald printed before it exited (startHerald rejects with it). */
async function failedStart(env: Record<string, string>, args: string[] = []): Promise<string> {
  const error = await startHerald({ env: { HERALD_QUEUE_PREFIX: queuePrefix, ...env }, args, timeoutMs: 150_000 }).then(
    async (herald) => {
      await herald.stop();
      return null;
    },
    (e: unknown) => e as Error,
  );
  expect(error?.message).toMatch(/Herald exited with code 1 before it was ready/);
  return (error as Error).message.replace(/^.*Output:\n/s, '');
}

function expectNoStackTrace(output: string): void {
  expect(output).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+$/m);
}

describe('a port that is already in use', () => {
  it('is one sentence naming the port and the fix; the credentials it generated are shown on the next start', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = newDataDir();
    try {
      const output = await failedStart({ HERALD_DATA_DIR: dataDir, PORT: String(port) });
      expect(output).toContain(
        `herald: Port ${port} on 127.0.0.1 is already in use (127.0.0.1:${port}): another Herald, or another program, is listening there. Stop it, or set PORT to a free port.`,
      );
      expectNoStackTrace(output);
      expect(output).not.toMatch(/First run/);
    } finally {
      blocker.close();
    }

    // The first start generated (and saved) credentials but could not show them: this one does.
    const saved = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8'));
    expect(saved.apiKey).toMatch(/^hk_/);
    const herald = await startHerald({
      env: { HERALD_DATA_DIR: dataDir, HERALD_QUEUE_PREFIX: queuePrefix },
      timeoutMs: 150_000,
    });
    try {
      const out = herald.output();
      expect(out).toMatch(/First run: these were generated and saved to .*credentials\.json \(mode 0600\)/);
      expect(out).toContain(`API key     ${saved.apiKey}`);
      expect(out).toContain(`admin       ${saved.adminEmail} / ${saved.adminPassword}`);
      expect((await api(herald.url, '/v1/tokens', { key: saved.apiKey, body: { userId: 'x' } })).status).toBe(200);
    } finally {
      expect(await herald.stop()).toBe(0);
    }
    // …once.
    const again = await startHerald({
      env: { HERALD_DATA_DIR: dataDir, HERALD_QUEUE_PREFIX: queuePrefix },
      timeoutMs: 150_000,
    });
    try {
      expect(again.output()).toMatch(/Credentials of the first run: .*credentials\.json/);
      expect(again.output()).not.toContain(saved.apiKey);
    } finally {
      await again.stop();
    }
  }, 180_000);
});

describe('a DATABASE_URL that does not work', () => {
  it('says nothing answers at its address', async () => {
    const output = await failedStart({
      HERALD_DATA_DIR: newDataDir(),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/herald',
    });
    expect(output).toContain(
      'herald: No PostgreSQL answers at 127.0.0.1:1 (DATABASE_URL=postgresql://postgres@127.0.0.1:1/herald): the connection was refused. Start PostgreSQL, or fix DATABASE_URL (or unset it to use the embedded database).',
    );
    expectNoStackTrace(output);
  });

  it('names a database that does not exist, without printing the password', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = `/herald_missing_${uid()}`;
    url.password = 'hunter2-secret';
    const output = await failedStart({ HERALD_DATA_DIR: newDataDir(), DATABASE_URL: url.toString() });
    expect(output).toMatch(
      new RegExp(
        `^herald: The database "${url.pathname.slice(1)}" does not exist on the PostgreSQL server at [^ ]+ \\(DATABASE_URL=postgresql://postgres:\\*\\*\\*@.*\\)\\. Create it \\(e\\.g\\. \`createdb ${url.pathname.slice(1)}\`\\), or fix the database name in DATABASE_URL\\.$`,
        'm',
      ),
    );
    expect(output).not.toContain('hunter2-secret');
    expectNoStackTrace(output);
  });

  it('says which migrations a database nobody migrated is missing, and the command that applies them', async () => {
    const schema = await createSchema();
    try {
      const output = await failedStart({ HERALD_DATA_DIR: newDataDir(), DATABASE_URL: schema.url }, ['--role', 'api']);
      expect(output).toMatch(
        /^herald: The database at postgresql:\/\/\S+ \(schema "herald_e2e_\w+"\) is missing \d+ of Herald's migrations \(from \d+_\w+ on\)\. Apply them once with `npm run migrate` \(herald migrate\) and the same DATABASE_URL, or set HERALD_AUTO_MIGRATE=true\.$/m,
      );
      expectNoStackTrace(output);
    } finally {
      await schema.drop();
    }
  });
});
