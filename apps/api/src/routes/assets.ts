import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const require = createRequire(import.meta.url);

function resolvePackageDir(name: string): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

export const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../public');

function notBuilt(reply: FastifyReply, what: string) {
  return reply.code(404).send({
    statusCode: 404,
    code: 'HERALD_ERR_NOT_BUILT',
    error: 'Not Found',
    message: `The ${what} is not built; run \`npm run build\` at the repository root.`,
  });
}

/** The HTML pages served from files (the demo page and the dashboard), for the CSP's script hashes. */
export function servedPages(): string[] {
  const dashboardDir = resolvePackageDir('@herald/dashboard');
  return [join(PUBLIC_DIR, 'index.html'), ...(dashboardDir ? [join(dashboardDir, 'dist', 'index.html')] : [])];
}

/** The SDK script, the dashboard and the demo page. */
export default async function assets(fastify: FastifyInstance, opts: { demo: boolean }) {
  const sdkDir = resolvePackageDir('@herald/sdk');
  const dashboardDir = resolvePackageDir('@herald/dashboard');

  // The SDK is embedded by pages of any origin; `*` also lets them load it as a module, and
  // `Cross-Origin-Resource-Policy: cross-origin` lifts the same-origin default of every other response.
  // The service worker is fetched by browsers on every update check: never cached for long.
  fastify.get('/herald-sw.js', { schema: { hide: true } }, async (_request, reply) => {
    const path = sdkDir && join(sdkDir, 'dist', 'herald-sw.js');
    const content = path ? await readFile(path).catch(() => undefined) : undefined;
    if (!content) return notBuilt(reply, 'service worker');
    return reply
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'no-cache')
      .type('text/javascript; charset=utf-8')
      .send(content);
  });
  for (const file of [
    'sdk.js',
    'sdk.js.map',
    'inbox.js',
    'inbox.js.map',
    'push.js',
    'push.js.map',
    'herald-sw.js.map',
  ]) {
    fastify.get(`/${file}`, { schema: { hide: true } }, async (_request, reply) => {
      const path = sdkDir && join(sdkDir, 'dist', file);
      const content = path ? await readFile(path).catch(() => undefined) : undefined;
      if (!content) return notBuilt(reply, 'browser SDK');
      return reply
        .header('access-control-allow-origin', '*')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('cache-control', 'public, max-age=300')
        .type(file.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8')
        .send(content);
    });
  }

  if (dashboardDir) {
    await fastify.register(fastifyStatic, {
      root: join(dashboardDir, 'dist'),
      prefix: '/dashboard/',
      decorateReply: false,
      index: ['index.html'],
      redirect: true,
    });
  }

  await fastify.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    decorateReply: false,
    index: opts.demo ? ['index.html'] : false,
    wildcard: false,
  });
}
