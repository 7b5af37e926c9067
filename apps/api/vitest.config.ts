import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite and Socket.IO servers are heavy: two files at a time on a 2-core machine.
    maxWorkers: 2,
  },
});
