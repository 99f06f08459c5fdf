/**
 * scripts/start.sh (`npm start`) builds only when a build input is newer than the last build.
 * Run here on a copy in a scratch project whose `npm run build` is a stand-in that says so;
 * test/demo/demo.test.ts runs the real `npm start`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/process.js';

const run = promisify(execFile);

function scratchProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-start-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts/start.sh'), path.join(dir, 'scripts/start.sh'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/main.ts'), '');
  fs.mkdirSync(path.join(dir, 'console/src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'console/src/main.tsx'), '');
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'])
    fs.writeFileSync(path.join(dir, f), '{}');
  const build =
    `node -e "require('fs').writeFileSync('dist/main.js', 'console.log(process.argv.slice(2).join(\\' \\') || \\'started\\')')" && ` +
    `mkdir -p dist/console && touch dist/console/index.html && echo BUILT`;
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, scripts: { build } }),
  );
  return dir;
}

async function start(dir: string, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('bash', [path.join(dir, 'scripts/start.sh'), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return stdout + stderr;
}

describe('npm start (scripts/start.sh)', () => {
  it('builds on a fresh clone, not again without changes, again when a source changes', async () => {
    const dir = scratchProject();
    try {
      const fresh = await start(dir);
      expect(fresh).toContain('BUILT');
      expect(fresh).toContain('started');

      const again = await start(dir, 'with', 'args');
      expect(again).not.toContain('BUILT');
      expect(again).toContain('with args');

      // A source saved after the last build.
      fs.writeFileSync(path.join(dir, 'src/main.ts'), '// changed');
      expect(await start(dir)).toContain('BUILT');
      expect(await start(dir)).not.toContain('BUILT');

      // A new source file counts too; so does a missing output.
      fs.writeFileSync(path.join(dir, 'src/new.ts'), '');
      expect(await start(dir)).toContain('BUILT');
      fs.rmSync(path.join(dir, 'src/new.ts'));
      expect(await start(dir)).toContain('BUILT');
      fs.rmSync(path.join(dir, 'dist/main.js'));
      expect(await start(dir)).toContain('BUILT');

      // The console's sources and output count as the service's do.
      fs.writeFileSync(path.join(dir, 'console/src/main.tsx'), '// changed');
      expect(await start(dir)).toContain('BUILT');
      expect(await start(dir)).not.toContain('BUILT');
      fs.rmSync(path.join(dir, 'dist/console/index.html'));
      expect(await start(dir)).toContain('BUILT');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
