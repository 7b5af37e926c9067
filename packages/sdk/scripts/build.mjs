// Builds the script-tag bundle (dist/sdk.js, one global `Herald`) with its lazily loaded scripts
// (dist/inbox.js, dist/push.js), the service worker (dist/herald-sw.js) and the ESM build (dist/index.js).
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
// ES2022 keeps class fields native: lowered fields are defined by string name, which mangleProps would not rename.
const common = { bundle: true, sourcemap: true, target: ['es2022'], legalComments: 'none', logLevel: 'warning' };

/**
 * Herald's private fields are `_`-prefixed so the minifier can shorten them (`mangleProps`). But
 * mangling applies to the whole bundle, and socket.io-client and engine.io-client have `_`-named
 * members of their own, some reached by a quoted name (`this.io["_destroy"](this)`), which esbuild
 * leaves alone while it renames the method: the shipped SDK then threw `this.io._destroy is not a
 * function` on its first refused handshake or server restart. So every `_name` that appears in the
 * bundled libraries is reserved: only Herald's own names are shortened.
 */
async function reserveLibraryNames(entry) {
  const { metafile } = await build({
    ...common,
    entryPoints: [entry],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const names = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    if (!input.includes('node_modules/')) continue;
    for (const [name] of (await readFile(input, 'utf8')).matchAll(/\b_[a-zA-Z]\w*/g)) names.add(name);
  }
  // (Go regular expressions have no lookahead: `^$` reserves nothing, as no property is named "".)
  return new RegExp(`^(${[...names].join('|')})$`);
}

/**
 * The widgets' stylesheets are template literals (`const STYLE = \`…\``), which the minifier keeps
 * as written: their indentation and the spaces around `{ : ; , }` go here instead.
 */
const compactStyles = {
  name: 'compact-styles',
  setup(b) {
    b.onLoad({ filter: /src[\\/][\w-]+\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const contents = source.replace(/(const STYLE = `)([^`]*)`/g, (_, start, css) => {
        const compact = css
          .replace(/\s+/g, ' ')
          .replace(/\s*([{};,>])\s*/g, '$1')
          .replace(/:\s+/g, ':')
          .replace(/;}/g, '}')
          .trim();
        return `${start}${compact}\``;
      });
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * The SDK connects over WebSocket or, where a proxy blocks it, HTTP long-polling (connection.ts):
 * engine.io-client's default transport table also holds WebTransport, which would ship unused in
 * every page's sdk.js with the stream codecs only it needs. The table is built without it (and the
 * build fails if engine.io-client's file no longer reads as expected).
 */
const withoutWebTransport = {
  name: 'without-webtransport',
  setup(b) {
    b.onLoad({ filter: /engine\.io-client[\\/]build[\\/]esm[\\/]transports[\\/]index\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const contents = source
        .replace(/^import \{ WT \} from "\.\/webtransport\.js";$/m, '')
        .replace(/^\s*webtransport: WT,$/m, '');
      if (contents.includes('WT')) throw new Error(`engine.io-client's transport table is not as expected: ${path}`);
      return { contents, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

await build({
  ...common,
  entryPoints: ['src/browser.ts'],
  outfile: 'dist/sdk.js',
  format: 'iife',
  minify: true,
  // Private fields are `_`-prefixed: safe to shorten.
  mangleProps: /^_[a-z]/,
  reserveProps: await reserveLibraryNames('src/browser.ts'),
  define: { __VERSION__: JSON.stringify(version) },
  platform: 'browser',
  plugins: [compactStyles, withoutWebTransport],
});

// The inbox widget: a separate script, loaded by sdk.js only on pages that use <herald-inbox>.
await build({
  ...common,
  entryPoints: ['src/inbox.ts'],
  outfile: 'dist/inbox.js',
  format: 'iife',
  minify: true,
  mangleProps: /^_[a-z]/,
  reserveProps: await reserveLibraryNames('src/inbox.ts'),
  platform: 'browser',
  plugins: [compactStyles],
});

// Web Push: a separate script, loaded by sdk.js when a page enables push or the browser has a subscription.
await build({
  ...common,
  entryPoints: ['src/push/script.ts'],
  outfile: 'dist/push.js',
  format: 'iife',
  minify: true,
  mangleProps: /^_[a-z]/,
  platform: 'browser',
});

// The service worker: a classic script a site's own worker imports (`importScripts`), tested as built.
await build({
  ...common,
  entryPoints: ['src/sw/herald-sw.ts'],
  outfile: 'dist/herald-sw.js',
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
