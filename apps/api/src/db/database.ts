import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { type DatabaseTarget, databaseTarget } from './adapter.js';
import { type MigrationResult, migrate, type SqlRunner } from './migrate.js';
import { NameTypePool } from './name-type-pool.js';

export type { DatabaseTarget };
export { databaseTarget };

/** `prisma/migrations` at the repository root, found relative to this file (src/ or dist/). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../prisma/migrations');

/**
 * Plain SQL on the same connections as Prisma, for the few hot-path statements that move many rows
 * at once (accepting a batch, dispatching one, recording acks): they skip Prisma's per-query
 * compilation. Parameters are positional ($1…); arrays map to PostgreSQL arrays. Keep results to
 * ids, numbers and text (drivers differ in how they read timestamps).
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: SqlOptions): Promise<T[]>;
}

export interface SqlOptions {
  /**
   * Prepare the statement once per connection and let PostgreSQL reuse its plan. Worth it for a
   * statement run very often whose plan does not depend on its parameters (one user's rows by
   * id); wrong for one whose best plan depends on an array's length (the generic plan of
   * `id = ANY($1)` can be a sequential scan).
   */
  prepare?: boolean;
}

export interface Database {
  prisma: PrismaClient;
  sql: Sql;
  target: DatabaseTarget;
  migrate(dir?: string): Promise<MigrationResult>;
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
    sql: {
      query: async <T>(text: string, params?: unknown[]) => (await client.query<T>(text, params as unknown[])).rows,
    },
    target: { kind: 'pglite', dir },
    migrate: (migrationsDir = MIGRATIONS_DIR) => migrate(runner, migrationsDir),
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
  const pool = new NameTypePool({
    connectionString: target.url,
    max: poolSize,
    // Prisma stores DateTime as UTC in `timestamp` columns; raw SQL's now() must agree. Random
    // reads cost about what sequential ones do on SSDs and in cache (PostgreSQL's default of 4
    // assumes spinning disks): without this, a batch of key lookups on a young, fast-growing
    // table is planned as a sequential scan of all of it.
    options: `-c search_path="${target.schema}" -c TimeZone=UTC -c random_page_cost=1.1`,
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  return {
    prisma,
    sql: {
      query: async <T>(text: string, params?: unknown[], options?: SqlOptions) =>
        (await pool.query({ name: options?.prepare ? statementName(text) : undefined, text, values: params }))
          .rows as T[],
    },
    target,
    async migrate(migrationsDir = MIGRATIONS_DIR) {
      const client = new pg.Client({ connectionString: target.url });
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
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

const statementNames = new Map<string, string>();

/**
 * Statements run with `prepare` are prepared once per connection under a name derived from their
 * text, so PostgreSQL plans them once rather than on every call: for the catch-up sync that every
 * client runs on every connect, planning cost ten times more than running it. (Behind PgBouncer:
 * session pooling, or 1.21+ with `max_prepared_statements` set; see docs/deploy.)
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `herald_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * PGlite is one process's database: a second process opening the same directory corrupts it.
 * A pid file next to it turns that into a clear error.
 */
function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockPath = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lockPath, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DatabaseError(
          `Another Herald process (pid ${pid}) is using the embedded database at ${dir}. ` +
            'The embedded database serves one process: stop that process, or set DATABASE_URL to use PostgreSQL.',
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new DatabaseError(`Could not lock the embedded database at ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
