#!/usr/bin/env node
// `npm run cluster`: several API/socket processes and workers on one PostgreSQL and one Redis,
// behind HAProxy with sticky sessions — the production shape, on one machine.
//
//   npm run cluster -- --api 3 --workers 2 --port 8080
//
// DATABASE_URL defaults to a `herald_cluster` schema in the local PostgreSQL; REDIS_URL to the
// local Redis. HAProxy comes from Debian (`apt-get install haproxy`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haproxyConfig } from './haproxy-config.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'apps/api/dist/main.js');
const { values } = parseArgs({
  options: {
    api: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    port: { type: 'string', default: '8080' },
    'first-node-port': { type: 'string', default: '3101' },
  },
});
const apiCount = Number(values.api);
const workerCount = Number(values.workers);
const port = Number(values.port);
const firstNodePort = Number(values['first-node-port']);
if (![apiCount, workerCount, port, firstNodePort].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('cluster: --api, --workers, --port and --first-node-port take positive integers.');
  process.exit(2);
}
if (spawnSync('haproxy', ['-v']).error) {
  console.error('cluster: HAProxy is not installed. Install it with `apt-get install haproxy`.');
  process.exit(1);
}

const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres?schema=herald_cluster',
  HERALD_DATA_DIR: process.env.HERALD_DATA_DIR ?? join(root, '.data/cluster'),
  HOST: '127.0.0.1',
  // Only HAProxy on this machine talks to the nodes; believe its X-Forwarded-For.
  HERALD_TRUST_PROXY: process.env.HERALD_TRUST_PROXY ?? '127.0.0.1',
};
mkdirSync(env.HERALD_DATA_DIR, { recursive: true });

const migrate = spawnSync(process.execPath, [main, 'migrate'], { env, stdio: 'inherit' });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children = [];
const start = (name, command, args, extraEnv = {}) => {
  const child = spawn(command, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `;
  const relay = (stream, out) => stream.on('data', (d) => out.write(d.toString().replace(/^(?=.)/gm, prefix)));
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`${prefix}exited (${signal ?? code})`);
  });
  children.push(child);
  return child;
};

const servers = [];
for (let i = 0; i < apiCount; i++) {
  const name = `api${i + 1}`;
  servers.push({ name, host: '127.0.0.1', port: firstNodePort + i });
  start(name, process.execPath, [main, '--role', 'api'], {
    PORT: String(firstNodePort + i),
    HERALD_PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
}
for (let i = 0; i < workerCount; i++) start(`worker${i + 1}`, process.execPath, [main, '--role', 'worker']);

const cfg = join(env.HERALD_DATA_DIR, 'haproxy.cfg');
writeFileSync(cfg, haproxyConfig({ port, servers, stats: port + 1 }));
start('haproxy', 'haproxy', ['-db', '-f', cfg]);
console.log(
  `\n  Herald cluster: ${apiCount} API node(s), ${workerCount} worker(s) behind HAProxy at http://127.0.0.1:${port} (stats: http://127.0.0.1:${port + 1}/)\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
