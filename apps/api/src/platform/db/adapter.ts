import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { NameTypePool } from './name-type-pool.js';

export type DatabaseTarget = { kind: 'postgres'; url: string; schema: string } | { kind: 'pglite'; dir: string };

/**
 * Where the data lives: `DATABASE_URL` when set, otherwise an embedded PGlite database under
 * the data directory. PGlite is one process's database, so the embedded target implies a
 * single `all` process.
 */
export function databaseTarget(databaseUrl: string | undefined, dataDir: string): DatabaseTarget {
  if (!databaseUrl) return { kind: 'pglite', dir: join(dataDir, 'pglite') };
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  // `schema` is Prisma's convention, not libpq's: pg would reject it as an unknown parameter.
  url.searchParams.delete('schema');
  return { kind: 'postgres', url: url.toString(), schema };
}

/** Driver adapter for the Prisma CLI (prisma.config.ts). The app itself uses `openDatabase`. */
export function createAdapter(target: DatabaseTarget, options: { max?: number } = {}) {
  if (target.kind === 'pglite') {
    mkdirSync(target.dir, { recursive: true });
    return new PrismaPGlite(new PGlite(target.dir));
  }
  const pool = new NameTypePool({
    connectionString: target.url,
    max: options.max ?? 10,
    // In UTC, as every session of ours (database.ts): a migration's now() fills rows already there.
    options: `-c search_path="${target.schema}" -c TimeZone=UTC`,
  });
  return new PrismaPg(pool, { schema: target.schema, disposeExternalPool: true });
}
