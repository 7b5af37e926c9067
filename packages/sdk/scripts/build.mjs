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

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  format: 'esm',
  platform: 'neutral',
  // Bundlers resolve socket.io-client themselves (and dedupe it).
  external: ['socket.io-client'],
});
