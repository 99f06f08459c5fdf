/**
 * Builds the console (console/ → dist/console, as `npm run build` does) when it has no build or a
 * source is newer than its build, so that `npm test` on a fresh clone tests the pages it serves.
 * The build goes to a scratch folder first and then takes dist/console's place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { ROOT } from './process.js';

const SOURCES = [path.join(ROOT, 'console'), path.join(ROOT, 'package-lock.json')];
const OUT = path.join(ROOT, 'dist/console');
const STAMP = path.join(OUT, '.build-stamp');

function newestChange(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

export async function buildConsoleIfStale(): Promise<void> {
  const built =
    fs.existsSync(STAMP) && fs.existsSync(path.join(OUT, 'index.html')) ? fs.statSync(STAMP).mtimeMs : 0;
  if (Math.max(...SOURCES.map(newestChange)) <= built) return;
  const started = new Date();
  const scratch = `${OUT}.${process.pid}`;
  await build({
    configFile: path.join(ROOT, 'console/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: scratch, emptyOutDir: true },
  });
  fs.writeFileSync(path.join(scratch, '.build-stamp'), '');
  fs.utimesSync(path.join(scratch, '.build-stamp'), started, started);
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.renameSync(scratch, OUT);
}
