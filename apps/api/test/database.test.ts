import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  DatabaseError,
  databaseTarget,
  isRunning,
  MIGRATIONS_DIR,
  openDatabase,
  processIdentity,
} from '../src/platform/db/database.js';
import { NAME_OID, NameTypePool, TEXT_OID, wrapQuery } from '../src/platform/db/name-type-pool.js';
import { createTestDatabase, POSTGRES_URL, uid } from './helpers.js';

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

  it("upgrade a database with history: each user's broadcast window and settled mark are where their rows say", async () => {
    // Migrations up to the two that added them, then rows as that schema had them, then the rest.
    const dir = mkdtempSync(join(tmpdir(), 'herald-mig-'));
    const schema = uid('herald_test_');
    const db = await openDatabase(
      kind === 'pglite' ? { kind, dir: join(dir, 'pglite') } : { kind, url: POSTGRES_URL, schema },
    );
    try {
      const before = join(dir, 'before');
      for (const name of readdirSync(MIGRATIONS_DIR).filter((n) => n < '20261211090000')) {
        cpSync(join(MIGRATIONS_DIR, name), join(before, name), { recursive: true });
      }
      await db.migrate(before);
      const history = `INSERT INTO apps (id, name, jwt_secret) VALUES ('a', 'a', 's');
         INSERT INTO subscribers (id, app_id, external_id, last_seq, created_at) VALUES
           ('s-ann', 'a', 'ann', 3, '2026-01-01'), ('s-bob', 'a', 'bob', 2, '2026-01-01'),
           ('s-cat', 'a', 'cat', 0, '2026-01-01'), ('s-dan', 'a', 'dan', 0, '2026-03-01');
         INSERT INTO notifications (id, app_id, target, title, status, created_at) VALUES
           ('00000000-0000-4000-8000-000000000001', 'a', '{}', 'one', 'dispatched', '2026-01-02'),
           ('00000000-0000-4000-8000-000000000002', 'a', '{}', 'two', 'dispatched', '2026-01-03'),
           ('00000000-0000-4000-8000-000000000003', 'a', '{}', 'three', 'dispatched', '2026-01-04'),
           ('00000000-0000-4000-8000-0000000000b1', 'a', '{}', 'everyone', 'dispatched', '2026-02-01');
         INSERT INTO deliveries (notification_id, subscriber_id, seq, status, delivered_at) VALUES
           ('00000000-0000-4000-8000-000000000001', 's-ann', 1, 'read', now()),
           ('00000000-0000-4000-8000-000000000002', 's-ann', 2, 'sent', NULL),
           ('00000000-0000-4000-8000-000000000003', 's-ann', 3, 'queued', NULL),
           ('00000000-0000-4000-8000-000000000001', 's-bob', 1, 'delivered', now()),
           ('00000000-0000-4000-8000-000000000002', 's-bob', 2, 'delivered', now());
         INSERT INTO streams (app_id, name, last_seq) VALUES ('a', '*', 1);
         INSERT INTO stream_entries (notification_id, app_id, stream, audience_seq, seq)
           VALUES ('00000000-0000-4000-8000-0000000000b1', 'a', '*', 1, 1)`;
      // One statement a query: the embedded database's query takes no more.
      for (const statement of history.split(';')) await db.sql.query(statement);
      await db.migrate();
      const users = await db.sql.query<{ external_id: string; broadcast_since: number; settled_seq: number }>(
        'SELECT external_id, broadcast_since, settled_seq FROM subscribers ORDER BY external_id',
      );
      // ann's first pending row is her second; bob has none (his last); cat has no rows; dan came
      // after the broadcast, which is not his.
      expect(users).toEqual([
        { external_id: 'ann', broadcast_since: 0, settled_seq: 1 },
        { external_id: 'bob', broadcast_since: 0, settled_seq: 2 },
        { external_id: 'cat', broadcast_since: 0, settled_seq: 0 },
        { external_id: 'dan', broadcast_since: 1, settled_seq: 0 },
      ]);
    } finally {
      await db.close();
      if (kind === 'postgres') {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
      rmSync(dir, { recursive: true, force: true });
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

describe('migrations on a PostgreSQL server whose time zone is not UTC', () => {
  // A column added with DEFAULT CURRENT_TIMESTAMP fills the existing rows with the migration
  // session's clock, in that session's zone: it must be UTC, as every other session's.
  it('run in UTC', async () => {
    const options = process.env.PGOPTIONS;
    // What a server configured for Tokyo (postgresql.conf or ALTER ROLE) gives a session that does not choose.
    process.env.PGOPTIONS = '-c TimeZone=Asia/Tokyo';
    const testDb = await createTestDatabase('postgres');
    const dir = mkdtempSync(join(tmpdir(), 'herald-mig-'));
    try {
      mkdirSync(join(dir, '20990101000000_clock'));
      writeFileSync(
        join(dir, '20990101000000_clock', 'migration.sql'),
        "CREATE TABLE t_clock AS SELECT current_setting('TimeZone') AS zone, now()::timestamp AS at;",
      );
      await testDb.db.migrate(dir);
      const [row] = await testDb.db.sql.query<{ zone: string; at: Date }>('SELECT zone, at FROM t_clock');
      expect(row?.zone).toBe('UTC');
      expect(Math.abs((row?.at.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await testDb.cleanup();
      if (options === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = options;
    }
  });
});

describe.each(['postgres', 'pglite'] as const)('raw SQL on %s, in a process whose time zone is not UTC', (kind) => {
  // Columns are `timestamp` (without time zone) holding UTC, as Prisma writes them. node-pg, left
  // alone, sends a Date as local time with an offset (which a cast to `timestamp` drops) and reads a
  // `timestamp` back as local time: on a server in New York every raw write was four or five hours off.
  it('writes a Date as the instant it is, and reads it back as the same instant', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    const testDb = await createTestDatabase(kind);
    try {
      const { prisma, sql } = testDb.db;
      expect(new Date('2026-07-01T12:00:00.000Z').getTimezoneOffset()).toBe(240);
      const id = crypto.randomUUID();
      await prisma.notification.create({ data: { id, appId: 'tz', target: {}, title: 'tz' } });
      const at = new Date('2026-07-01T12:00:00.123Z');
      const later = new Date('2026-12-24T23:30:00.000Z');
      // An untyped parameter into a timestamp column, and one cast to `timestamp` (as the push
      // subscription's expires_at is written).
      await sql.query('UPDATE notifications SET expires_at = $1, send_at = $2::timestamp WHERE id = $3::uuid', [
        at,
        later,
        id,
      ]);
      const stored = await prisma.notification.findUniqueOrThrow({ where: { id } });
      expect(stored.expiresAt?.toISOString()).toBe(at.toISOString());
      expect(stored.sendAt?.toISOString()).toBe(later.toISOString());
      const [text] = await sql.query<{ expires: string }>(
        'SELECT expires_at::text AS expires FROM notifications WHERE id = $1::uuid',
        [id],
      );
      expect(text?.expires).toBe('2026-07-01 12:00:00.123');
      // Read back through raw SQL: the same instants, also inside an array.
      const [read] = await sql.query<{ expires_at: Date; both: Date[] }>(
        'SELECT expires_at, ARRAY[expires_at, send_at] AS both FROM notifications WHERE id = $1::uuid',
        [id],
      );
      expect(read?.expires_at).toBeInstanceOf(Date);
      expect(read?.expires_at.toISOString()).toBe(at.toISOString());
      expect(read?.both.every((d) => d instanceof Date)).toBe(true);
      expect(read?.both.map((d) => d.toISOString())).toEqual([at.toISOString(), later.toISOString()]);
      // A Date compared with now() (a timestamptz) in SQL is the same instant as in JavaScript.
      const [cmp] = await sql.query<{ ahead: boolean }>('SELECT $1::timestamp > now() AS ahead', [
        new Date(Date.now() + 60_000),
      ]);
      expect(cmp?.ahead).toBe(true);
    } finally {
      await testDb.cleanup();
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('a DATABASE_URL that does not work', () => {
  const open = (url: string) => openDatabase(databaseTarget(url, '/x'));
  const refusal = async (url: string) => {
    const error = await open(url).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseError);
    return (error as Error).message;
  };

  it('says nothing answers at that address, and how to fix it', async () => {
    expect(await refusal('postgresql://postgres@127.0.0.1:1/test')).toMatch(
      /^No PostgreSQL answers at 127\.0\.0\.1:1 \(DATABASE_URL=postgresql:\/\/postgres@127\.0\.0\.1:1\/test\): the connection was refused\. Start PostgreSQL, or fix DATABASE_URL/,
    );
  });

  it('names a database that does not exist, without the password', async () => {
    const url = new URL(POSTGRES_URL);
    url.pathname = '/no_such_database_here';
    url.password = 'secret-password';
    const message = await refusal(url.toString());
    expect(message).toMatch(/^The database "no_such_database_here" does not exist on the PostgreSQL server at /);
    expect(message).toMatch(/createdb no_such_database_here/);
    expect(message).not.toContain('secret-password');
  });

  it('names a user the server refuses', async () => {
    const url = new URL(POSTGRES_URL);
    url.username = 'no_such_user_here';
    expect(await refusal(url.toString())).toMatch(/refused the user "no_such_user_here".*Fix the user or password/);
  });

  it('names a host that cannot be found', async () => {
    expect(await refusal('postgresql://postgres@no-such-host.invalid:5432/test')).toMatch(
      /^The host "no-such-host\.invalid" in DATABASE_URL cannot be found/,
    );
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

  it('takes over a lock left by a killed process whose pid now belongs to another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-lock-'));
    try {
      // After kill -9 the pid is free for reuse (in a container the next start often gets the same
      // one): here a live process's pid, but with a start time that is not that process's.
      const live = processIdentity(process.ppid);
      expect(isRunning(live)).toBe(true);
      const [pid] = live.split(' ');
      writeFileSync(join(dir, 'pglite.lock'), `${pid} 1`);
      const db = await openDatabase({ kind: 'pglite', dir: join(dir, 'pglite') });
      expect(readFileSync(join(dir, 'pglite.lock'), 'utf8')).toBe(processIdentity(process.pid));
      await db.close();
      expect(existsSync(join(dir, 'pglite.lock'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over an empty or garbled lock file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-lock-'));
    try {
      writeFileSync(join(dir, 'pglite.lock'), '');
      const db = await openDatabase({ kind: 'pglite', dir: join(dir, 'pglite') });
      await db.close();
    } finally {
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
