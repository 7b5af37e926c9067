// Prisma CLI configuration: migrations run through the same driver adapters as the app,
// with Prisma's bundled WebAssembly schema engine (nothing is downloaded).
import { resolve } from 'node:path';
import { defineConfig } from 'prisma/config';
import { createAdapter, databaseTarget } from './src/platform/db/adapter.ts';

const root = resolve(import.meta.dirname, '../..');
const dataDir = resolve(process.env.HERALD_DATA_DIR ?? resolve(root, '.data'));
// The schema's datasource reads DATABASE_URL; the adapter below is what is actually used.
const databaseUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= 'postgresql://embedded@localhost/pglite';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: resolve(root, 'prisma/schema.prisma'),
  migrations: { path: resolve(root, 'prisma/migrations') },
  adapter: async () => createAdapter(databaseTarget(databaseUrl, dataDir), { max: 2 }),
});
