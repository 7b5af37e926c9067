import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/database.js';
import type { PrismaClient } from '../generated/prisma/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

/** Exposes the Prisma client. The process that opened the database closes it. */
export default fp(
  async function database(fastify: FastifyInstance, opts: { db: Database }) {
    fastify.decorate('prisma', opts.db.prisma);
  },
  { name: 'herald-database' },
);
