import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { buildConsoleIfStale } from './console-build.js';
import { makeTemplates } from './database.js';
import { PHI_MARKERS } from './phi.js';

const LOG_DIR = path.resolve('test-artifacts/logs');

let dropTemplates: (() => Promise<void>) | null = null;

export async function setup(project: TestProject): Promise<void> {
  fs.rmSync(LOG_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  // The console tests need its build (dist/console), as `npm start` does; a fresh clone has none.
  await buildConsoleIfStale();
  // One migrated database per run that every file's database starts from (test/helpers/database.ts).
  const run = randomBytes(6).toString('hex');
  const templates = await makeTemplates(
    `labline_template_${run}`,
    path.resolve('test-artifacts', `pglite-migrated-${run}.tar`),
  );
  dropTemplates = () => templates.drop();
  project.provide('postgresTemplate', templates.postgresTemplate);
  project.provide('pgliteImage', templates.pgliteImage);
}

/** After the whole suite: no captured log line may carry a patient value. */
export async function teardown(): Promise<void> {
  await dropTemplates?.();
  const leaks: string[] = [];
  let lines = 0;
  for (const file of fs.existsSync(LOG_DIR) ? fs.readdirSync(LOG_DIR) : []) {
    for (const line of fs.readFileSync(path.join(LOG_DIR, file), 'utf8').split('\n')) {
      if (!line) continue;
      lines++;
      const found = PHI_MARKERS.filter((m) => line.includes(m));
      if (found.length > 0) leaks.push(`${file}: ${found.join(', ')} in ${line.slice(0, 300)}`);
    }
  }
  if (leaks.length > 0) {
    throw new Error(`Patient data reached ${leaks.length} log line(s):\n${leaks.slice(0, 10).join('\n')}`);
  }
  process.stdout.write(`PHI log scan: ${lines} log lines captured, none carries patient data\n`);
}
