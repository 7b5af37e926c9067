// Builds the script-tag bundle (dist/sdk.js, one global `Herald`) and the ESM build (dist/index.js).
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
// ES2022 keeps class fields native: lowered fields are defined by string name, which mangleProps would not rename.
const common = { bundle: true, sourcemap: true, target: ['es2022'], legalComments: 'none', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: ['src/browser.ts'],
  outfile: 'dist/sdk.js',
  format: 'iife',
  minify: true,
  // Private fields are `_`-prefixed: safe to shorten.
  mangleProps: /^_[a-z]/,
  define: { __VERSION__: JSON.stringify(version) },
  platform: 'browser',
});

// The inbox widget: a separate script, loaded by sdk.js only on pages that use <herald-inbox>.
await build({
  ...common,
  entryPoints: ['src/inbox.ts'],
  outfile: 'dist/inbox.js',
  format: 'iife',
  minify: true,
  mangleProps: /^_[a-z]/,
  platform: 'browser',
});

await build({
  ...common,
  entryPoints: { index: 'src/index.ts', 'inbox-element': 'src/inbox.ts' },
  outdir: 'dist',
  format: 'esm',
  platform: 'neutral',
  // Bundlers resolve socket.io-client themselves (and dedupe it).
  external: ['socket.io-client'],
});
