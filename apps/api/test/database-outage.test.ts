import { connect, createServer, type Socket } from 'node:net';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/platform/db/database.js';
import { databaseUnreachable } from '../src/platform/db/unreachable.js';
import errorsPlugin from '../src/platform/http/errors.js';
import { createTestDatabase, POSTGRES_URL } from './helpers.js';

/** A TCP proxy to PostgreSQL that can be cut: every connection through it is dropped, and new ones refused. */
async function cuttableProxy() {
  const target = new URL(POSTGRES_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `postgresql://${target.username}@127.0.0.1:${port}${target.pathname}${target.search}`,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

describe('the database away', () => {
  it('is told apart from a statement it refused: what the pg driver and Prisma throw once it is cut', async () => {
    const testDb = await createTestDatabase('postgres');
    const proxy = await cuttableProxy();
    const schema = new URL(testDb.url as string).searchParams.get('schema') as string;
    const db = await openDatabase({ kind: 'postgres', url: proxy.url, schema });
    try {
      // A statement the database refuses is not an outage.
      const refused = await db.sql.query('SELECT 1/0').catch((e: unknown) => e);
      expect(databaseUnreachable(refused)).toBe(false);
      expect(databaseUnreachable(new Error('something else'))).toBe(false);
      // PostgreSQL out of connection slots is an outage; a protocol violation is Herald's own fault.
      const code = (c: string, message = 'x') => Object.assign(new Error(message), { code: c });
      expect(databaseUnreachable(code('53300', 'sorry, too many clients already'))).toBe(true);
      expect(databaseUnreachable(code('08006'))).toBe(true);
      expect(databaseUnreachable(code('08P01'))).toBe(false);
      const twice = { data: { id: 'twice', name: 'Twice', jwtSecret: 'x'.repeat(32) } };
      await db.prisma.app.create(twice);
      const duplicate = await db.prisma.app.create(twice).catch((e: unknown) => e);
      expect((duplicate as { code?: string }).code).toBe('P2002');
      expect(databaseUnreachable(duplicate)).toBe(false);

      proxy.cut();
      await new Promise((r) => setTimeout(r, 100));
      const thrown = await Promise.all([
        db.sql.query('SELECT 1').catch((e: unknown) => e),
        db.prisma.app.findFirst().catch((e: unknown) => e),
        db.prisma.$queryRaw`SELECT 1`.catch((e: unknown) => e),
      ]);
      for (const error of thrown) {
        expect(error).toBeInstanceOf(Error);
        expect(databaseUnreachable(error), String(error)).toBe(true);
      }

      // A request that meets one: a 503 with a code, a sentence and Retry-After, not a 500.
      const app = Fastify({ logger: false });
      await app.register(errorsPlugin);
      app.get('/sql', () => db.sql.query('SELECT 1'));
      app.get('/prisma', () => db.prisma.app.findFirst());
      for (const url of ['/sql', '/prisma']) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(503);
        expect(res.headers['retry-after']).toBe('2');
        expect(res.json()).toMatchObject({
          statusCode: 503,
          code: 'HERALD_ERR_DATABASE_UNAVAILABLE',
          message: expect.stringMatching(/^The database is not answering right now/),
        });
      }
      await app.close();
    } finally {
      await db.close().catch(() => {});
      await testDb.cleanup();
    }
  });
});
