/**
 * `npm run chaos [-- --minutes N --seed S] [--out file.json]`: one chaos run against a fresh
 * database on the PostgreSQL server (CHAOS_DATABASE_URL, else TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test). Prints the summary, writes it as JSON, and exits 1
 * when any invariant broke. See docs/reliability.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatSummary, runChaos } from './run.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string' },
    out: { type: 'string' },
  },
});

const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 120) {
  process.stderr.write('chaos: --minutes must be a number from 0 (exclusive) to 120\n');
  process.exit(2);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
  process.stderr.write('chaos: --seed must be an integer from 0 to 4294967295\n');
  process.exit(2);
}
const adminUrl =
  process.env.CHAOS_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

const log = (line: string) => process.stdout.write(`${line}\n`);
runChaos({ minutes, seed, adminUrl, log }).then(
  (summary) => {
    const out = values.out ?? path.join(summary.run_dir, 'summary.json');
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
    log(formatSummary(summary));
    log(`  summary: ${out}`);
    process.exit(summary.passed ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(`chaos: the run could not complete: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(3);
  },
);
