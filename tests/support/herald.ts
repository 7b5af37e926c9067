import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dropQueuePrefix, eventually, POSTGRES_URL, REDIS_URL, uid } from '@herald/test-support';
import pg from 'pg';

export const ROOT = resolve(import.meta.dirname, '../..');
export const MAIN = join(ROOT, 'apps/api/dist/main.js');
export { dropQueuePrefix, eventually, POSTGRES_URL, REDIS_URL, uid };

export interface HeraldProcess {
  child: ChildProcess;
  /** The base URL it printed (servers only). */
  url: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `node apps/api/dist/main.js` as its own process (or, with `npmStart`, `npm start` as a
 * newcomer runs it, npm being the child) and waits until it says it is ready: the "Herald is
 * running at <url>" banner for servers, "worker started" for workers.
 */
export async function startHerald(options: {
  env: Record<string, string>;
  args?: string[];
  ready?: RegExp;
  timeoutMs?: number;
  npmStart?: boolean;
}): Promise<HeraldProcess> {
  const [command, args] = options.npmStart
    ? ['npm', ['start', ...(options.args?.length ? ['--', ...options.args] : [])]]
    : [process.execPath, [MAIN, ...(options.args ?? [])]];
  const child = spawn(command, args, {
    // Its own process group, as a terminal gives it: Ctrl-C is `process.kill(-pid, 'SIGINT')`.
    detached: options.npmStart === true,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const ready = options.ready ?? /Herald is running at (\S+)/;
  const url = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Herald did not become ready in time. Output:\n${out}`)),
      options.timeoutMs ?? 60_000,
    );
    const check = () => {
      const match = out.match(ready);
      if (match) {
        clearTimeout(timer);
        resolveReady(match[1] ?? '');
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Herald exited with code ${code} before it was ready. Output:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** A fresh PostgreSQL schema; DATABASE_URL points at it. */
export async function createSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = uid('herald_e2e_');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.end();
  return {
    url: `${POSTGRES_URL}?schema=${schema}`,
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    },
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function api<T = Record<string, unknown>>(
  base: string,
  path: string,
  init: { method?: string; key?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, base), {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** The `cookie` header of an admin session on `base`, signed in with `admin`'s email and password. */
export async function adminCookie(base: string, admin: { email: string; password: string }): Promise<string> {
  const res = await fetch(new URL('/admin/api/session', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('herald_session='));
  if (!cookie) throw new Error(`admin sign-in answered ${res.status}: ${await res.text()}`);
  return cookie.split(';')[0] as string;
}

/**
 * Until Herald on `base` (the admin API's subscriber search) says `userId` has no socket open: a
 * closed tab's socket goes a moment after the tab, and a send meant for a browser with no tab
 * waits for that.
 */
export async function untilOffline(base: string, admin: { email: string; password: string }, userId: string) {
  const cookie = await adminCookie(base, admin);
  let seen = 'nothing yet';
  await eventually(async () => {
    const res = await fetch(new URL(`/admin/api/subscribers?q=${encodeURIComponent(userId)}`, base), {
      headers: { cookie },
    });
    const text = await res.text();
    seen = `${res.status} ${text.slice(0, 300)}`;
    const { items } = JSON.parse(text) as { items: Array<{ userId: string; online: boolean }> };
    return items.some((s) => s.userId === userId && !s.online);
  }, 20_000).catch((error: Error) => {
    // Say what Herald answered last (still online, no such subscriber, an error) rather than only that it timed out.
    throw new Error(`${userId} was not seen offline: ${error.message}; last answer: ${seen}`);
  });
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs `sql` against a schema made by `createSchema`. */
export async function query<T = Record<string, unknown>>(
  schemaUrl: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const url = new URL(schemaUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
