/** Child processes of a bench run: labline, the Junction simulator and the baseline, on 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Service {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** resident set size now and at its peak (VmHWM), in bytes; null once the process is gone */
  memory(): { rss: number; peak: number } | null;
  /** CPU time used so far (user + system), in seconds */
  cpuSeconds(): number;
  /** the system (kernel) part of cpuSeconds */
  systemCpuSeconds(): number;
  /** SIGTERM, then wait for the exit (SIGKILL after `graceMs`) */
  stop(graceMs?: number): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process, from /proc (clock ticks of 1/100 s on Linux). */
function readCpuSeconds(pid: number | undefined, which: 'all' | 'system' = 'all'): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((which === 'all' ? Number(fields[11]) : 0) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function readMemory(pid: number | undefined): { rss: number; peak: number } | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

export interface StartOptions {
  name: string;
  /** a JavaScript file, or a TypeScript one run with tsx as `npm run simulator` does */
  entry?: string;
  /** a program and its arguments to run instead of node with `entry` (e.g. `npm start`) */
  command?: [string, ...string[]];
  args?: string[];
  env: Record<string, string>;
  port: number;
  /** path polled until it answers 200 */
  readyPath: string;
  readyHeaders?: Record<string, string>;
  logDir: string;
  /** extra node flags (e.g. --cpu-prof) */
  nodeFlags?: string[];
  timeoutMs?: number;
  /** how often readyPath is polled (100 ms) */
  pollMs?: number;
}

/**
 * Starts a node process, or `command` (output to a log file, not through the bench's own event
 * loop), and waits until it answers.
 */
export async function startService(o: StartOptions): Promise<Service> {
  const logFile = path.join(o.logDir, `${o.name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const [program, ...programArgs] = o.command ?? nodeCommand(o);
  const child = spawn(program, programArgs, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...o.env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`${o.name} exited with ${exitCode} while starting; see ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${url}${o.readyPath}`, { headers: o.readyHeaders });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.name} did not become ready; see ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(o.pollMs ?? 100);
  }
  return {
    name: o.name,
    url,
    child,
    logFile,
    memory: () => (exitCode === undefined ? readMemory(child.pid) : null),
    cpuSeconds: () => readCpuSeconds(child.pid),
    systemCpuSeconds: () => readCpuSeconds(child.pid, 'system'),
    async stop(graceMs = 30_000) {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function nodeCommand(o: StartOptions): [string, ...string[]] {
  if (!o.entry) throw new Error(`${o.name}: startService needs an entry or a command`);
  const loader = o.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return [process.execPath, ...(o.nodeFlags ?? []), ...loader, o.entry, ...(o.args ?? [])];
}

/**
 * A counter of the CPU seconds all PostgreSQL server processes on this machine used since it was
 * made (other users of the server included; processes that exit in between are not counted).
 */
export function postgresCpuCounter(): () => number {
  const read = () => {
    const byPid = new Map<string, number>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (!stat.includes('(postgres)')) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        byPid.set(entry, (Number(fields[11]) + Number(fields[12])) / 100);
      } catch {
        // gone
      }
    }
    return byPid;
  };
  const start = read();
  return () => {
    let total = 0;
    for (const [pid, seconds] of read()) total += seconds - (start.get(pid) ?? 0);
    return total;
  };
}

export function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
