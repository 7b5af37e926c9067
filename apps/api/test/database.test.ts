import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseTarget, openDatabase } from '../src/db/database.js';
import { NAME_OID, NameTypePool, TEXT_OID, wrapQuery } from '../src/db/name-type-pool.js';
import { createTestDatabase, POSTGRES_URL } from './helpers.js';

const run = promisify(execFile);

describe('databaseTarget', () => {
  it('uses embedded PGlite under the data directory without DATABASE_URL', () => {
    expect(databaseTarget(undefined, '/srv/herald')).toEqual({ kind: 'pglite', dir: '/srv/herald/pglite' });
  });

  it('takes the schema from the URL and strips it for pg', () => {
    expect(databaseTarget('postgresql://u@h:5432/db?schema=tenant_a&sslmode=disable', '/x')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u@h:5432/db?sslmode=disable',
      schema: 'tenant_a',
    });
  });
});

describe.each(['postgres', 'pglite'] as const)('migrations on %s', (kind) => {
  it('apply once, record themselves like prisma migrate, and are a no-op the second time', async () => {
    const testDb = await createTestDatabase(kind);
    try {
      const again = await testDb.db.migrate();
      expect(again.applied).toEqual([]);
      expect(again.total).toBeGreaterThan(0);
      const rows = await testDb.db.prisma.$queryRaw<Array<{ migration_name: string; finished_at: Date }>>`
        SELECT migration_name, finished_at FROM "_prisma_migrations"`;
      expect(rows).toHaveLength(again.total);
      expect(rows.every((r) => r.finished_at)).toBe(true);
      expect(await testDb.db.prisma.notification.count()).toBe(0);
    } finally {
      await testDb.cleanup();
    }
  });

  it('roll back a failing migration and report which one', async () => {
    const testDb = await createTestDatabase(kind);
    const dir = mkdtempSync(join(tmpdir(), 'herald-mig-'));
    try {
      mkdirSync(join(dir, '20990101000000_broken'));
      writeFileSync(
        join(dir, '20990101000000_broken', 'migration.sql'),
        'CREATE TABLE t_ok (x int);\nSELECT nope FROM nowhere;',
      );
      await expect(testDb.db.migrate(dir)).rejects.toThrow(/Migration 20990101000000_broken failed/);
      const exists = await testDb.db.prisma.$queryRaw<Array<{ n: bigint }>>`
        SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 't_ok'`;
      expect(Number(exists[0]?.n)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await testDb.cleanup();
    }
  });
});

describe('embedded database', () => {
  it('refuses a second process on the same directory with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-lock-'));
    const db = await openDatabase({ kind: 'pglite', dir: join(dir, 'pglite') });
    try {
      // Simulate another live process holding the lock.
      writeFileSync(join(dir, 'pglite.lock'), String(process.ppid));
      await expect(openDatabase({ kind: 'pglite', dir: join(dir, 'pglite') })).rejects.toThrow(
        /Another Herald process \(pid \d+\) is using the embedded database.*set DATABASE_URL/,
      );
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NameTypePool (prisma/orm#27403 workaround)', () => {
  it('reports name columns as text, in promise and callback form', async () => {
    const fields = () => ({ fields: [{ dataTypeID: NAME_OID }, { dataTypeID: 23 }] });
    const promised = (await wrapQuery(async () => fields())()) as { fields: Array<{ dataTypeID: number }> };
    expect(promised.fields.map((f) => f.dataTypeID)).toEqual([TEXT_OID, 23]);
    const viaCallback = await new Promise<{ fields: Array<{ dataTypeID: number }> }>((resolve) =>
      wrapQuery((_sql: unknown, cb: unknown) => (cb as (e: null, r: unknown) => void)(null, fields()))(
        'q',
        (_err: unknown, res: { fields: Array<{ dataTypeID: number }> }) => resolve(res),
      ),
    );
    expect(viaCallback.fields.map((f) => f.dataTypeID)).toEqual([TEXT_OID, 23]);
  });

  it('makes catalog queries on a real server return text instead of name', async () => {
    const pool = new NameTypePool({ connectionString: POSTGRES_URL, max: 1 });
    try {
      const res = await pool.query('SELECT tablename FROM pg_tables LIMIT 1');
      expect(res.fields[0]?.dataTypeID).toBe(TEXT_OID);
      const plain = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
      const raw = await plain.query('SELECT tablename FROM pg_tables LIMIT 1');
      expect(raw.fields[0]?.dataTypeID).toBe(NAME_OID);
      await plain.end();
    } finally {
      await pool.end();
    }
  });

  it('lets the Prisma CLI see Herald-applied migrations as up to date', async () => {
    const testDb = await createTestDatabase('postgres');
    try {
      const { stdout } = await run('npx', ['prisma', 'migrate', 'status'], {
        cwd: join(import.meta.dirname, '..'),
        env: { ...process.env, DATABASE_URL: testDb.url, CHECKPOINT_DISABLE: '1' },
        timeout: 60_000,
      });
      expect(stdout).toMatch(/Database schema is up to date/);
    } finally {
      await testDb.cleanup();
    }
  }, 90_000);
});
