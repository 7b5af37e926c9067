import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The minimal driver surface migrations need, satisfied by both `pg.Client` and PGlite. */
export interface SqlRunner {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<unknown>;
}

export interface MigrationResult {
  applied: string[];
  total: number;
}

// Prisma's own bookkeeping table, so `prisma migrate status` and `prisma migrate dev` agree
// with what Herald applied.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Same key as Prisma Migrate's advisory lock, so Herald and the Prisma CLI never run at once.
const ADVISORY_LOCK_KEY = 72707369;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies `prisma/migrations/<name>/migration.sql` files not yet recorded, in name order, each
 * in its own transaction — what `prisma migrate deploy` does. It runs in-process because
 * Prisma 6.19's CLI does not exit after "No pending migrations" when the driver adapter is
 * PGlite (the embedded database keeps a timer armed), and because PGlite allows only one
 * process to open the database.
 */
export async function migrate(db: SqlRunner, migrationsDir: string): Promise<MigrationResult> {
  const names = await migrationNames(migrationsDir);
  await db.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
  try {
    await db.exec(CREATE_TABLE);
    const { rows } = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
    );
    const done = new Map(rows.map((r) => [r.migration_name, r]));
    const applied: string[] = [];
    for (const name of names) {
      const script = await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(script).digest('hex');
      const previous = done.get(name);
      if (previous) {
        if (!previous.finished_at) {
          throw new MigrationError(
            `Migration ${name} started earlier but did not finish; resolve it with \`prisma migrate resolve\` before starting Herald.`,
          );
        }
        continue;
      }
      const id = randomUUID();
      await db.exec('BEGIN');
      try {
        await db.exec(script);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [id, checksum, name],
        );
        await db.exec('COMMIT');
      } catch (error) {
        await db.exec('ROLLBACK');
        throw new MigrationError(`Migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(name);
    }
    return { applied, total: names.length };
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
  }
}

async function migrationNames(migrationsDir: string): Promise<string[]> {
  return (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/**
 * The migrations of `migrationsDir` this database has not applied yet, in order (all of them when
 * Herald never ran against it). A process that does not migrate checks this at startup.
 */
export async function pendingMigrations(db: Pick<SqlRunner, 'query'>, migrationsDir: string): Promise<string[]> {
  const names = await migrationNames(migrationsDir);
  const { rows } = await db.query<{ present: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`,
  );
  if (!rows[0]?.present) return names;
  const applied = await db.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  );
  const done = new Set(applied.rows.map((r) => r.migration_name));
  return names.filter((name) => !done.has(name));
}
