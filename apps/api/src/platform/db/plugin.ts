import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Database, Sql } from './database.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
    sql: Sql;
  }
}

/** Exposes the Prisma client. The process that opened the database closes it. */
export default fp(
  async function database(fastify: FastifyInstance, opts: { db: Database }) {
    fastify.decorate('prisma', opts.db.prisma);
    fastify.decorate('sql', opts.db.sql);
  },
  { name: 'herald-database' },
);
