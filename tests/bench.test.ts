/**
 * The benchmark harness itself, at its smallest sizes (`--smoke`): every scenario against Herald
 * and both baselines, the two-node topologies, the report, the raw figures and the chart. Its
 * figures mean nothing; that the harness runs and counts correctly does.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL, REDIS_URL, ROOT, tempDir } from './support/herald.js';

const run = promisify(execFile);
const out = tempDir();

afterAll(() => out.remove());

interface Flow {
  delivered: number;
  lost: number;
  duplicates: number;
  cpu: number;
  machineBusy: number;
}

describe('npm run bench', () => {
  it('runs every scenario against Herald, bare Socket.IO (with and without acks) and raw ws, one and two nodes, Web Push against Herald alone, and writes the report', async () => {
    const report = join(out.path, 'benchmarks.md');
    await run(process.execPath, [join(ROOT, 'bench/run.mjs'), '--smoke', '--out', report], {
      cwd: ROOT,
      // The same PostgreSQL and Redis as every other test (TEST_POSTGRES_URL, TEST_REDIS_URL).
      env: { ...process.env, BENCH_POSTGRES_URL: POSTGRES_URL, REDIS_URL },
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    });

    const md = readFileSync(report, 'utf8');
    for (const heading of [
      'idle',
      'stream',
      'broadcast',
      'topic',
      'burst',
      'reconnect',
      'push',
      'Ratios to the baselines',
      'Targets',
    ]) {
      expect(md).toContain(`## ${heading}`);
    }
    expect(md).toContain('## What bounds Herald');
    expect(existsSync(join(out.path, 'benchmarks.png'))).toBe(true);

    const { results } = JSON.parse(readFileSync(join(out.path, 'benchmarks.json'), 'utf8')) as {
      results: Record<string, Record<string, Flow & Record<string, number>>>;
    };
    const all = ['herald', 'socketio', 'socketio-acks', 'ws'];
    expect(Object.keys(results.stream ?? {})).toEqual([...all, 'herald-2', 'socketio-2']);
    expect(Object.keys(results.burst ?? {})).toEqual([...all, 'herald-2', 'socketio-2']);
    expect(Object.keys(results.broadcast ?? {})).toEqual(all);
    expect(md).toContain(
      '| broadcast latency (send → client) | Herald ÷ bare Socket.IO | Herald ÷ bare Socket.IO with acks |',
    );
    expect(md).toMatch(
      /\| broadcast to 50 connected: p99 send → client ≤ 2× bare Socket.IO's room emit \| [\d.]+× \| /,
    );
    for (const scenario of ['stream', 'broadcast', 'burst']) {
      for (const [target, r] of Object.entries(results[scenario] ?? {})) {
        expect({ scenario, target, lost: r.lost, duplicates: r.duplicates }).toEqual({
          scenario,
          target,
          lost: 0,
          duplicates: 0,
        });
        expect(r.delivered).toBeGreaterThan(0);
        // A toy run can be shorter than the kernel's CPU accounting tick: present, not positive.
        for (const key of ['cpu', 'pgCpu', 'redisCpu', 'loadCpu', 'machineBusy']) {
          expect(Number.isFinite(r[key])).toBe(true);
        }
      }
    }
    for (const r of Object.values(results.reconnect ?? {})) expect(r.failed).toBe(0);
    // Web Push is Herald's alone: one push per seeded browser, from Herald and from the ceiling.
    expect(Object.keys(results.push ?? {})).toEqual(['herald']);
    const push = results.push?.herald;
    expect({
      pushes: push?.pushes,
      reached: push?.browsersReached,
      duplicates: push?.duplicates,
      rows: push?.rowsPushDeliveries,
      attempts: push?.attempts,
      ceiling: push?.ceilingPushes,
      ceilingDuplicates: push?.ceilingDuplicates,
    }).toEqual({ pushes: 50, reached: 50, duplicates: 0, rows: 50, attempts: 50, ceiling: 50, ceilingDuplicates: 0 });
    expect(push?.pushesPerSec).toBeGreaterThan(0);
    expect(push?.ceilingPushesPerSec).toBeGreaterThan(0);
    expect(md).toMatch(/\| \*\*pushes \/ s\*\* \(first to last post\) \| [\d,]+ \| [\d,]+ \| \d+% \|/);
    for (const r of Object.values(results.idle ?? {})) expect(r.connections).toBe(100);
  }, 300_000);

  it("asks each client for an ack in the socketio-acks baseline, and only there (the price of Herald's acks alone)", async () => {
    for (const acks of [false, true]) {
      const child = spawn(process.execPath, [join(ROOT, 'bench/baselines/socketio-server.mjs')], {
        env: { ...process.env, PORT: '0', ...(acks ? { BENCH_ACKS: '1' } : {}) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const [line] = (await once(child.stdout, 'data')) as [Buffer];
        const url = `http://127.0.0.1:${/listening (\d+)/.exec(line.toString())?.[1]}`;
        const socket = io(url, { transports: ['websocket'], auth: { userId: 'u1' }, forceNew: true });
        await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
        const got = new Promise<unknown>((resolve) => socket.on('notification', (_p, ack) => resolve(ack)));
        for (const to of [{ broadcast: true }, { userId: 'u1' }]) {
          const res = await fetch(`${url}/send`, {
            method: 'POST',
            body: JSON.stringify({ notifications: [{ to, payload: { id: 'n1', title: 'T' } }] }),
          });
          expect(res.status).toBe(202);
        }
        expect(typeof (await got)).toBe(acks ? 'function' : 'undefined');
        socket.disconnect();
      } finally {
        child.kill('SIGTERM');
      }
    }
  });

  it('skips the push scenario for a baseline, which has no Web Push, and writes the report without its table', async () => {
    const report = join(out.path, 'push-baseline.md');
    await run(
      process.execPath,
      [
        join(ROOT, 'bench/run.mjs'),
        '--smoke',
        '--scenarios',
        'push',
        '--targets',
        'socketio',
        '--cluster',
        '',
        '--out',
        report,
      ],
      { cwd: ROOT, env: { ...process.env, BENCH_POSTGRES_URL: POSTGRES_URL, REDIS_URL }, timeout: 120_000 },
    );
    const { results } = JSON.parse(readFileSync(report.replace(/\.md$/, '.json'), 'utf8')) as {
      results: Record<string, Record<string, unknown>>;
    };
    expect(results).toEqual({ push: {} });
    const md = readFileSync(report, 'utf8');
    expect(md).toContain('## Targets');
    expect(md).not.toContain('## push');
  }, 180_000);

  /** Runs the harness expecting it to refuse at once; returns its exit code and stderr. */
  async function refused(args: string[]) {
    const started = Date.now();
    const error = await run(process.execPath, [join(ROOT, 'bench/run.mjs'), '--smoke', ...args], {
      cwd: ROOT,
      env: { ...process.env, BENCH_POSTGRES_URL: POSTGRES_URL, REDIS_URL },
      timeout: 240_000,
    }).then(
      () => null,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(error).not.toBeNull();
    // Before starting any server: a full run would otherwise be lost at its very end.
    expect(error?.stderr).not.toContain('starting servers');
    expect(Date.now() - started).toBeLessThan(30_000);
    return { code: error?.code, stderr: error?.stderr ?? '' };
  }

  it('refuses an --out in a folder that does not exist before running anything', async () => {
    const missing = join(out.path, 'no-such-folder', 'report.md');
    const { code, stderr } = await refused(['--out', missing]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `bench: the folder of --out does not exist: ${dirname(missing)}. Create it first (mkdir -p ${dirname(missing)}), or pick another path.`,
    );
    expect(existsSync(dirname(missing))).toBe(false);
  });

  it('refuses an --out that is not a .md file, whose figures would overwrite it', async () => {
    const { code, stderr } = await refused(['--out', join(out.path, 'report.txt')]);
    expect(code).toBe(2);
    expect(stderr).toContain('bench: --out must name a Markdown file ending in .md');
  });
});
