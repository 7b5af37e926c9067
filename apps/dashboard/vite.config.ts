import { transform } from 'esbuild';
import { defineConfig, type Plugin } from 'vite';

/**
 * Vite 8 transforms TypeScript with Oxc, which parses standard (TC39) decorators but does not
 * lower them, so the bundle would ship `@customElement` syntax no browser runs (vitejs/vite#22353,
 * oxc-project/oxc#9170). esbuild lowers them; run it first on our own .ts files.
 */
function standardDecorators(): Plugin {
  return {
    name: 'herald:standard-decorators',
    enforce: 'pre',
    async transform(code, id) {
      if (!id.endsWith('.ts') || id.includes('/node_modules/') || !code.includes('@')) return null;
      const out = await transform(code, { loader: 'ts', target: 'es2022', sourcemap: true, sourcefile: id });
      return { code: out.code, map: out.map };
    },
  };
}

export default defineConfig({
  // Served by the API under /dashboard/.
  base: '/dashboard/',
  plugins: [standardDecorators()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { proxy: { '/readyz': 'http://127.0.0.1:3000', '/v1': 'http://127.0.0.1:3000' } },
});
