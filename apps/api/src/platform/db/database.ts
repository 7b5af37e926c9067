import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../../generated/prisma/client.js';
import { type DatabaseTarget, databaseTarget } from './adapter.js';
import { type MigrationResult, migrate, pendingMigrations, type SqlRunner } from './migrate.js';
import { NameTypePool } from './name-type-pool.js';
import { pgliteSql, pgSql, type Sql } from './sql.js';
import { utcTypes } from './utc.js';

export type { DatabaseTarget };
export { databaseTarget };

/** `prisma/migrations` at the repository root, found relative to this file (src/ or dist/). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../../prisma/migrations');

export type { Sql, SqlOptions } from './sql.js';

export interface Database {
  prisma: PrismaClient;
  sql: Sql;
  target: DatabaseTarget;
  migrate(dir?: string): Promise<MigrationResult>;
  /** Migrations not applied yet (see `pendingMigrations`). */
  pendingMigrations(dir?: string): Promise<string[]>;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** Opens the database: PrismaClient plus a raw runner for migrations, over one connection pool. */
export async function openDatabase(target: DatabaseTarget, options: { poolSize?: number } = {}): Promise<Database> {
  return target.kind === 'pglite' ? openPglite(target.dir) : openPostgres(target, options.poolSize ?? 10);
}

async function openPglite(dir: string): Promise<Database> {
  const releaseLock = lockDirectory(dir);
  let client: PGlite;
  try {
    client = new PGlite(dir);
    await client.waitReady;
    // Prisma stores DateTime as UTC in \`timestamp\` columns; raw SQL's now() must agree.
    await client.exec("SET TIME ZONE 'UTC'");
  } catch (error) {
    releaseLock();
    throw new DatabaseError(`Could not open the embedded database at ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
  const runner: SqlRunner = {
    query: async (sql, params) => client.query(sql, params as unknown[]),
    exec: async (sql) => client.exec(sql),
  };
  return {
    prisma,
    sql: pgliteSql(client),
    target: { kind: 'pglite', dir },
    migrate: (migrationsDir = MIGRATIONS_DIR) => migrate(runner, migrationsDir),
    pendingMigrations: (migrationsDir = MIGRATIONS_DIR) => pendingMigrations(runner, migrationsDir),
    async close() {
      await prisma.$disconnect();
      await client.close();
      releaseLock();
    },
  };
}

async function openPostgres(
  target: Extract<DatabaseTarget, { kind: 'postgres' }>,
  poolSize: number,
): Promise<Database> {
  await probePostgres(target.url);
  const pool = new NameTypePool({
    connectionString: target.url,
    max: poolSize,
    // Prisma stores DateTime as UTC in `timestamp` columns; raw SQL's now() must agree. Random
    // reads cost about what sequential ones do on SSDs and in cache (PostgreSQL's default of 4
    // assumes spinning disks): without this, a batch of key lookups on a young, fast-growing
    // table is planned as a sequential scan of all of it.
    options: `-c search_path="${target.schema}" -c TimeZone=UTC -c random_page_cost=1.1`,
    // Raw SQL reads `timestamp` as UTC (platform/db/utc.ts); Prisma passes its own parsers.
    types: utcTypes,
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  return {
    prisma,
    sql: pgSql(pool),
    target,
    async migrate(migrationsDir = MIGRATIONS_DIR) {
      // In UTC, as every session of ours: a column added with a default of now() fills the rows
      // already there with this session's clock.
      const client = new pg.Client({ connectionString: target.url, options: '-c TimeZone=UTC' });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
        await client.query(`SET search_path TO "${target.schema}"`);
        return await migrate(
          {
            query: async <R>(sql: string, params?: unknown[]) =>
              (await client.query(sql, params)) as unknown as { rows: R[] },
            exec: async (sql) => client.query(sql),
          },
          migrationsDir,
        );
      } finally {
        await client.end();
      }
    },
    pendingMigrations: (migrationsDir = MIGRATIONS_DIR) =>
      pendingMigrations({ query: async (text) => pool.query(text) as never }, migrationsDir),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** How long the first connection may take before startup gives up on the database. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects once before anything else uses the database, so that a wrong `DATABASE_URL` stops
 * Herald with a sentence saying what is wrong (nothing listening, unknown host, no such database,
 * user refused) instead of a driver's stack trace from deep inside a migration or a query.
 */
async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new DatabaseError(connectionProblem(url, error), { cause: error });
  } finally {
    await client.end().catch(() => {});
  }
}

/** DATABASE_URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function connectionProblem(url: string, error: unknown): string {
  const u = new URL(url);
  const server = `${u.hostname}:${u.port || '5432'}`;
  const database = decodeURIComponent(u.pathname.slice(1)) || decodeURIComponent(u.username) || 'postgres';
  const user = decodeURIComponent(u.username) || 'the default user';
  const shown = `DATABASE_URL=${redactUrl(url)}`;
  const e = error as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `No PostgreSQL answers at ${server} (${shown}): the connection was refused. Start PostgreSQL, or fix DATABASE_URL (or unset it to use the embedded database).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `The host "${u.hostname}" in DATABASE_URL cannot be found (${shown}). Fix the host name in DATABASE_URL.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `PostgreSQL at ${server} cannot be reached (${shown}): ${e.message}. Check the host, the port and the firewall.`;
    case '3D000':
      return `The database "${database}" does not exist on the PostgreSQL server at ${server} (${shown}). Create it (e.g. \`createdb ${database}\`), or fix the database name in DATABASE_URL.`;
    case '28000':
    case '28P01':
      return `PostgreSQL at ${server} refused the user "${user}" (${shown}): ${e.message}. Fix the user or password in DATABASE_URL.`;
    default:
      if (/timeout/i.test(e.message ?? '')) {
        return `PostgreSQL at ${server} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s (${shown}). Check that it is running and reachable.`;
      }
      return `Could not connect to PostgreSQL at ${server} (${shown}): ${e.message ?? String(error)}.`;
  }
}

/**
 * PGlite is one process's database: a second process opening the same directory corrupts it.
 * A lock file next to it turns that into a clear error. It holds the owner's pid and, where the
 * system tells (Linux), the process's start time: after a crash or kill -9 the pid may have been
 * given to another process (in a container, the next Herald often gets the very same one), and
 * a pid alone would then keep the database locked for good.
 */
function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockPath = `${dir}.lock`;
  const owner = processIdentity(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, owner);
      closeSync(fd);
      return () => {
        // Only our own lock: a process that found it stale may have taken it over meanwhile.
        if (readLock(lockPath) === owner) rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(lockPath);
      const pid = Number(holder?.split(' ')[0]);
      if (holder && holder !== owner && pid !== process.pid && isRunning(holder)) {
        throw new DatabaseError(
          `Another Herald process (pid ${pid}) is using the embedded database at ${dir}. ` +
            'The embedded database serves one process: stop that process, or set DATABASE_URL to use PostgreSQL.',
        );
      }
      // Left behind by a process that is gone (crash, kill -9, power loss).
      rmSync(lockPath, { force: true });
    }
  }
  throw new DatabaseError(`Could not lock the embedded database at ${dir}.`);
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `<pid> <start time>` where /proc tells the start time, else `<pid>`. */
export function processIdentity(pid: number): string {
  const started = startTime(pid);
  return started === undefined ? String(pid) : `${pid} ${started}`;
}

/** Whether the process a lock names is still the one that wrote it. */
export function isRunning(identity: string): boolean {
  const [pidText = '', started] = identity.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A live pid with another start time is a different process that reused the number.
  const now = startTime(pid);
  return started === undefined || now === undefined || now === started;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), on Linux. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
