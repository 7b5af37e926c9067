// Process helpers: start a server and wait for its readiness line; read RSS and CPU time from /proc.
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export function startServer(command, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const onData = (d) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve({
          child,
          pid: child.pid,
          url: m[1] === undefined ? null : m[1].startsWith('http') ? m[1] : `http://127.0.0.1:${m[1]}`,
          output: () => out,
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}

/** Resident memory of a process, in bytes. */
export function rss(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * A process's command name and CPU seconds so far: its own (user + system), and those of its
 * children that exited and were waited for. Null when it is gone.
 */
function procStat(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself contain spaces or ')'.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    own: (Number(fields[11]) + Number(fields[12])) / 100,
    children: (Number(fields[13]) + Number(fields[14])) / 100,
  };
}

/** CPU seconds (user + system) used so far by a process. */
export function cpuSeconds(pid) {
  const stat = procStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return stat.own;
}

/**
 * A forked helper that answers messages; `ask` sends one and waits for the reply of `replyType`.
 * `ready` is the helper's first message (a server helper says its port there).
 */
export async function helper(path) {
  const child = fork(path, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=2048'],
  });
  const listeners = new Set();
  child.on('message', (m) => {
    for (const l of [...listeners]) l(m);
  });
  const ready = await new Promise((resolve) => {
    const l = (m) => {
      if (m.type === 'ready') {
        listeners.delete(l);
        resolve(m);
      }
    };
    listeners.add(l);
  });
  return {
    child,
    ready,
    on(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    ask(message, replyType) {
      return new Promise((resolve) => {
        const l = (m) => {
          if (m.type === replyType) {
            listeners.delete(l);
            resolve(m);
          }
        };
        listeners.add(l);
        child.send(message);
      });
    },
  };
}

/**
 * CPU seconds used so far, machine-wide: in total and idle (from /proc/stat), and by the
 * PostgreSQL and Redis server processes (every process with that command name, plus what their
 * exited children used — a PostgreSQL backend that ended is counted in its postmaster).
 */
export function machineCpu() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = fields.map(Number);
  const byComm = { postgres: 0, 'redis-server': 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry); // null when it exited meanwhile
    if (stat && stat.comm in byComm) byComm[stat.comm] += stat.own + stat.children;
  }
  return {
    total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) / 100,
    idle: (ticks[3] + ticks[4]) / 100,
    postgres: byComm.postgres,
    redis: byComm['redis-server'],
  };
}
