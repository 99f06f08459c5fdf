/**
 * Every long-running npm script stops on SIGTERM as `npm start` does (test/demo/demo.test.ts):
 * npm forwards the signal to its child, so the child must be the program itself (`exec …`), not
 * a shell that dies and leaves the program re-parented and still listening.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, descendants, ROOT, spawnProcess, type Spawned } from './helpers/process.js';

const LONG_RUNNING = ['start', 'dev', 'worker', 'simulator', 'console:dev'];

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('long-running npm scripts', () => {
  const started: Spawned[] = [];
  const survivors: number[] = [];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-scripts-'));
  afterAll(() => {
    for (const p of started) p.child.kill('SIGKILL');
    for (const pid of survivors.filter(alive)) process.kill(pid, 'SIGKILL');
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('each runs its program in place of npm’s shell (exec), so npm’s SIGTERM reaches it', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of LONG_RUNNING) expect(scripts[name], name).toMatch(/^exec /);
  });

  it('npm run simulator: SIGTERM to npm frees the port and leaves no process behind', async () => {
    const p = spawnProcess('npm', ['run', 'simulator', '--', '--port', '0', '--data-dir', scratch], {});
    started.push(p);
    const [, port] = await p.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/, 90_000);
    const tree = descendants(p.child.pid!);
    survivors.push(...tree);
    expect(tree.length).toBeGreaterThan(0);
    expect(await portIsFree(Number(port))).toBe(false);

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(tree.filter(alive)).toEqual([]);
    expect(await portIsFree(Number(port))).toBe(true);
  });
});
