import { defineConfig } from 'vite';

export default defineConfig({
  // Served by the API under /dashboard/.
  base: '/dashboard/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { proxy: { '/readyz': 'http://127.0.0.1:3000', '/v1': 'http://127.0.0.1:3000' } },
});
