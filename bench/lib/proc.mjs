// Process helpers: start a server and wait for its readiness line; read RSS and CPU time from /proc.
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
          url: m[1].startsWith('http') ? m[1] : `http://127.0.0.1:${m[1]}`,
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

/** CPU seconds (user + system) used so far by a process. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A forked helper that answers messages; `ask` sends one and waits for the reply of `replyType`. */
export async function helper(path) {
  const child = fork(path, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: ['--max-old-space-size=2048'],
  });
  const listeners = new Set();
  child.on('message', (m) => {
    for (const l of [...listeners]) l(m);
  });
  await new Promise((resolve) => {
    const l = (m) => {
      if (m.type === 'ready') {
        listeners.delete(l);
        resolve();
      }
    };
    listeners.add(l);
  });
  return {
    child,
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
