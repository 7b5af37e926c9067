#!/usr/bin/env node
/**
 * Herald's process entry. `herald [start] [--role all|api|worker]` runs a server, a worker, or
 * both (the default); `herald migrate` applies database migrations and exits.
 */
import { mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type BootstrapResult, bootstrap, markCredentialsShown } from './admin/bootstrap.js';
import { buildApp, type HeraldApp } from './app.js';
import { fillVapidKeys } from './delivery/push/keys.js';
import { DispatchHandoff } from './fanout/handoff.js';
import { ConfigError, loadConfig, type ResolvedConfig, type Role } from './platform/config/index.js';
import { type Database, DatabaseError, databaseTarget, openDatabase, redactUrl } from './platform/db/database.js';
import { MigrationError } from './platform/db/migrate.js';
import { claimPrefix, installationId, installationPrefix, keepPrefixClaim } from './platform/installation.js';
import { createMetrics } from './platform/metrics/metrics.js';
import { RedisUnavailableError, type ResolvedRedis, resolveRedis } from './platform/redis/endpoint.js';
import { type RunningWorker, startWorker } from './queue/worker.js';
import { ListenError, listen, listenMetrics } from './server.js';

const USAGE = `Usage: herald [start|migrate] [--role all|api|worker]

  start     run the platform (default); --role picks server + worker (all), server only (api) or worker only
  migrate   apply database migrations and exit

Configuration comes from the environment; see the README.`;

function parseCommand(argv: string[]): { command: 'start' | 'migrate'; role?: Role } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { role: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const command = positionals[0] ?? 'start';
  if (command !== 'start' && command !== 'migrate') throw new ConfigError(`Unknown command "${command}".\n\n${USAGE}`);
  const role = values.role;
  if (role !== undefined && role !== 'all' && role !== 'api' && role !== 'worker') {
    throw new ConfigError(`--role must be one of all, api, worker (got "${role}").`);
  }
  return { command, role };
}

function banner(config: ResolvedConfig, url: URL, boot: BootstrapResult, redis: string): string {
  const base = config.publicUrl ?? url.origin;
  const rel = relative(process.cwd(), boot.credentialsPath);
  const where = rel && !rel.startsWith('..') ? rel : boot.credentialsPath;
  const c = boot.credentials;
  const lines = [
    '',
    `  Herald is running at ${base}`,
    // The demo is off by default on a public HOST (HERALD_DEMO): do not point at a page that is not there.
    ...(config.demo ? [`    demo page   ${base}/`] : []),
    `    dashboard   ${base}/dashboard/`,
    `    API docs    ${base}/docs`,
    `    Redis       ${redis}, keys and channels under ${config.queuePrefix}`,
  ];
  if (boot.generated) {
    lines.push(
      '',
      `  First run: these were generated and saved to ${where} (mode 0600). They are shown only once.`,
      `    admin       ${c.adminEmail}${c.adminPassword ? ` / ${c.adminPassword}` : ''}`,
      `    app id      ${c.appId}`,
      ...(c.apiKey ? [`    API key     ${c.apiKey}`] : []),
      ...(c.jwtSecret ? [`    JWT secret  ${c.jwtSecret}`] : []),
      '',
      '  Send a notification:',
      `    curl -X POST ${base}/v1/notifications \\`,
      `      -H "Authorization: Bearer ${c.apiKey ?? '<API key>'}" -H "Content-Type: application/json" \\`,
      `      -d '{"to":{"userId":"alice"},"title":"Hello from Herald"}'`,
    );
  } else {
    lines.push('', `  Credentials of the first run: ${where}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A second signal this soon after the first is the same one, delivered twice (see below): npm
 * passes it on within milliseconds, a person pressing Ctrl-C again takes longer.
 */
const SAME_SIGNAL_MS = 250;

async function main(): Promise<void> {
  const { command, role } = parseCommand(process.argv.slice(2));
  const given = loadConfig(process.env, role ? { HERALD_ROLE: role } : {});
  const log = pino({ level: given.logLevel, base: { role: command === 'migrate' ? 'migrate' : given.role } });

  // Credentials, the embedded database and the private Redis live here: owner-only.
  mkdirSync(given.dataDir, { recursive: true, mode: 0o700 });
  const target = databaseTarget(given.databaseUrl, given.dataDir);
  if (target.kind === 'pglite' && given.role !== 'all' && command === 'start') {
    throw new ConfigError(
      `The ${given.role} role needs DATABASE_URL: the embedded database serves a single process, so without ` +
        'PostgreSQL run the all role (the default).',
    );
  }

  const db: Database = await openDatabase(target);
  const cleanups: Array<() => Promise<void>> = [() => db.close()];
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      // The last registered first; one registered meanwhile (a start still under way) too.
      for (let step = cleanups.pop(); step; step = cleanups.pop()) {
        await step().catch((err) => log.error({ err }, 'shutdown step failed'));
      }
      process.exit(code);
    })());

  // Whatever a step of stopping waits on (a job that does not finish, a database that does not
  // answer), it takes at most this long: a crashed worker's job is taken over by another anyway.
  const exitWithin = () =>
    setTimeout(() => {
      process.stderr.write(
        `herald: shutdown did not finish within ${given.shutdownTimeoutMs} ms (HERALD_SHUTDOWN_TIMEOUT_MS); exiting anyway.\n`,
      );
      process.exit(1);
    }, given.shutdownTimeoutMs).unref();

  // From here on Ctrl-C/SIGTERM stop Herald cleanly, also while it is still starting.
  let signalledAt = 0;
  /** Set once the HTTP server is built: refuses new requests from the first signal on. */
  let stopAccepting = () => {};
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) {
        // The same Ctrl-C twice: the terminal signals the whole group, and `npm start` passes it
        // on to Herald as well. Only a second one, a moment later, means "now".
        if (Date.now() - signalledAt < SAME_SIGNAL_MS) return;
        process.stderr.write('herald: stopping at once.\n');
        process.exit(1);
      }
      signalledAt = Date.now();
      log.info({ signal }, 'shutting down');
      exitWithin();
      // New requests are refused from now on, while the worker finishes its jobs first.
      stopAccepting();
      void shutdown(0);
    });
  }

  try {
    if (command === 'migrate' || given.autoMigrate) {
      const { applied, total } = await db.migrate();
      log.info({ applied, total, database: target.kind }, applied.length ? 'migrations applied' : 'schema up to date');
      // Data the SQL could not make: VAPID key pairs for apps created before Web Push.
      const keyed = await fillVapidKeys(db.sql);
      if (keyed > 0) log.info({ apps: keyed }, 'VAPID keys made for apps that had none');
      if (command === 'migrate') return shutdown(0);
    } else {
      // Without this, a database nobody migrated fails later, on the first query, with a stack trace.
      const pending = await db.pendingMigrations();
      if (pending.length > 0) {
        const where = target.kind === 'postgres' ? `${redactUrl(target.url)} (schema "${target.schema}")` : target.dir;
        throw new MigrationError(
          `The database at ${where} is missing ${pending.length} of Herald's migrations (from ${pending[0]} on). ` +
            'Apply them once with `npm run migrate` (herald migrate) and the same DATABASE_URL, or set HERALD_AUTO_MIGRATE=true.',
        );
      }
    }
    // Every Redis key and channel is named after the installation kept in the database (unless
    // HERALD_QUEUE_PREFIX says otherwise): all processes of this deployment share it, and another
    // installation on the same Redis gets a prefix of its own.
    const installation = await installationId(db.prisma);
    const config: ResolvedConfig = { ...given, queuePrefix: given.queuePrefix ?? installationPrefix(installation) };

    const redis: ResolvedRedis = await resolveRedis({
      url: config.redisUrl,
      dataDir: config.dataDir,
      log: (message) => log.warn(message),
    });
    if (redis.server) cleanups.splice(1, 0, () => redis.server?.stop() ?? Promise.resolve());
    await claimPrefix(redis.endpoint, config.queuePrefix, installation);
    log.info({ redis: redis.description, queuePrefix: config.queuePrefix, installation }, 'redis ready');

    let app: HeraldApp | undefined;
    let apiUrl: string | undefined;
    let worker: RunningWorker | undefined;
    let ready = () => {};
    const stopKeeping = keepPrefixClaim(redis.endpoint, config.queuePrefix, installation, (error) => {
      // Another installation took this prefix while Redis had lost the claim: stop, or both would
      // take each other's jobs and deliver each other's notifications. Sends are refused first
      // (the HTTP server closes), then the worker stops, within the shutdown timeout.
      log.error({ queuePrefix: config.queuePrefix }, 'another installation holds this queue prefix; stopping');
      report(error);
      exitWithin();
      void (async () => {
        await app?.close().catch(() => {});
        await shutdown(1);
      })();
    });
    cleanups.push(async () => stopKeeping());
    // One set of metrics per process: in the `all` role the worker's outcomes and acks are on the server's /metrics.
    const metrics = createMetrics();
    // The `all` role's intake hands what its small sends' jobs will emit to its own worker.
    const handoff = config.role === 'all' ? new DispatchHandoff() : undefined;
    // One embedded process needs no adapter; anything that can scale out does (unless told otherwise).
    const clustered =
      config.adapter === 'sharded' ||
      (config.adapter === 'auto' && (config.role !== 'all' || target.kind === 'postgres'));
    if (config.role !== 'worker') {
      const boot = await bootstrap(db.prisma, {
        dataDir: config.dataDir,
        adminEmail: config.admin.email,
        adminPassword: config.admin.password,
        apiKey: config.apiKey,
        jwtSecret: config.jwtSecret,
      });
      app = await buildApp({
        config,
        db,
        redis: redis.endpoint,
        defaultAppId: boot.credentials.appId,
        clusterAdapter: clustered,
        loggerInstance: log,
        metrics,
        handoff,
      });
      const running = app;
      cleanups.push(() => running.close());
      stopAccepting = () => running.stopAccepting();
      const url = await listen(app, config.host, config.port);
      apiUrl = url.origin;
      // Shown once everything runs (the worker too): "running" is then true, and a start that
      // fails before this shows the generated credentials on the next one.
      ready = () => {
        process.stdout.write(banner(config, url, boot, redis.description));
        if (boot.generated) markCredentialsShown(boot.credentialsPath);
      };
    }
    if (config.role !== 'api') {
      worker = await startWorker({
        db,
        redis: redis.endpoint,
        queuePrefix: config.queuePrefix,
        concurrency: config.workerConcurrency,
        freshnessMs: config.popupFreshnessSeconds * 1000,
        jobLockMs: config.jobLockMs,
        fanoutChunk: config.fanoutChunk,
        sweepIntervalMs: config.sweepIntervalMs,
        requeueAfterMs: config.requeueAfterMs,
        retentionDays: config.retentionDays,
        log,
        metrics,
        // In a cluster every node's sockets must see each batch, this node's included.
        localDelivery: app && !clustered ? app.deliverLocally : undefined,
        handoff,
        push: {
          windowMs: config.push.windowMs,
          policy: { allowPrivate: config.push.allowPrivate, hosts: config.push.hosts },
          subject: config.push.subject,
          // Service workers post receipts to the API: its public URL (a worker-only node has no other).
          receiptsUrl: `${config.publicUrl ?? apiUrl ?? `http://${config.host}:${config.port}`}/push/receipts`,
        },
      });
      const running = worker;
      cleanups.push(() => running.close());
      if (!app && config.metricsPort !== undefined) {
        const served = await listenMetrics(metrics.registry, config.host, config.metricsPort);
        cleanups.push(() => served.close());
        process.stdout.write(`  Herald worker metrics at ${served.url}\n`);
      }
      process.stdout.write(
        `  Herald worker is running (concurrency ${config.workerConcurrency}, queue prefix ${config.queuePrefix})\n`,
      );
    }
    if (!stopping) ready();
  } catch (error) {
    // Stopping while starting makes the remaining steps fail: that is not worth a message.
    if (stopping) return;
    report(error);
    await shutdown(1);
  }
}

/** Herald's own startup errors are sentences for the operator; anything else gets its stack. */
function report(error: unknown): void {
  const sentence = [ConfigError, DatabaseError, MigrationError, RedisUnavailableError, ListenError].some(
    (E) => error instanceof E,
  );
  const text = sentence ? (error as Error).message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`herald: ${text}\n`);
}

main().catch((error: unknown) => {
  report(error);
  process.exit(1);
});
