/**
 * The run's processes: labline replicas, the worker and the Junction simulator, each a child
 * process whose output is appended to its own log file (kept across restarts: the privacy check
 * reads every line any incarnation wrote). A process can be SIGKILLed and started again as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

export interface ProcessSpec {
  name: string;
  /** a TypeScript entry point of this project, run with tsx */
  entry: string;
  args?: string[];
  env: Record<string, string>;
  /** ready when this URL answers 200 … */
  readyUrl?: string;
  readyHeaders?: Record<string, string>;
  /** … or when this appears in its output (since this start) */
  readyPattern?: RegExp;
  logDir: string;
}

export class ManagedProcess {
  readonly logFile: string;
  private child: ChildProcess | null = null;
  private exit: Promise<void> = Promise.resolve();
  private stopping = false;
  /** the child once it was ready */
  private started: ChildProcess | null = null;
  /** starts that failed (the process exited before it was ready) */
  readonly failedStarts: { at: string }[] = [];
  starts = 0;
  /** exits nobody asked for (a crash, or a process that ran out of work to wait for) */
  readonly unexpectedExits: { at: string; code: number | null; signal: string | null }[] = [];

  constructor(readonly spec: ProcessSpec) {
    this.logFile = path.join(spec.logDir, `${spec.name}.log`);
  }

  get running(): boolean {
    return this.child !== null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(timeoutMs = 120_000): Promise<void> {
    const from = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const fd = fs.openSync(this.logFile, 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', this.spec.entry, ...(this.spec.args ?? [])], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.spec.env },
      stdio: ['ignore', fd, fd],
    });
    fs.closeSync(fd);
    this.child = child;
    this.starts++;
    this.stopping = false;
    let exited = false;
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exited = true;
        // A process that stops while starting refused to start (e.g. its database is cut off,
        // which labline answers by exiting: docs/configuration.md); start() says so and is retried.
        if (!this.stopping && this.started === child)
          this.unexpectedExits.push({ at: new Date().toISOString(), code, signal });
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited) {
        this.failedStarts.push({ at: new Date().toISOString() });
        throw new Error(`${this.spec.name} exited while starting; see ${this.logFile}`);
      }
      if (await this.ready(from)) {
        this.started = child;
        return;
      }
      if (Date.now() > deadline) {
        this.stopping = true;
        child.kill('SIGKILL');
        throw new Error(`${this.spec.name} did not become ready in ${timeoutMs} ms; see ${this.logFile}`);
      }
      await sleep(100);
    }
  }

  private async ready(from: number): Promise<boolean> {
    if (this.spec.readyPattern) {
      const text = fs.readFileSync(this.logFile).subarray(from).toString('utf8');
      return this.spec.readyPattern.test(text);
    }
    try {
      const res = await fetch(this.spec.readyUrl!, {
        headers: this.spec.readyHeaders,
        signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** SIGKILL: no shutdown, no goodbye; in-flight requests and jobs are cut off */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.stopping = true;
    this.child.kill('SIGKILL');
    await this.exit;
  }

  /** SIGSTOP/SIGCONT: the process is frozen (a hung replica), its sockets stay open */
  freeze(frozen: boolean): void {
    this.child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGTERM (SIGKILL after `graceMs`) */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}
