/**
 * For test/memory.test.ts: allocates as a start-up does (the young generation grows to its
 * largest), starts the release, and prints the young generation's size before and once the release
 * is over. With `busy`, the event loop stays busy meanwhile, as under traffic, and the probe
 * reports after 12 s.
 */
import v8 from 'node:v8';
import { releaseStartupMemoryWhenIdle } from '../../src/memory.js';

const youngMb = () =>
  v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size / 2 ** 20;
const busy = process.argv.includes('busy');

const startUp = () => {
  const kept: unknown[] = [];
  for (let i = 0; i < 300_000; i++) kept.push({ i, s: `item ${i}`, a: [i] });
  return kept.length;
};
startUp();
const before = youngMb();
const started = Date.now();
const release = releaseStartupMemoryWhenIdle();
// Its timer does not hold the process open; a server's socket would.
setTimeout(() => {}, 70_000);
// What an idle replica still does (its job queue polls, timers fire): a little allocation.
let idleWork: unknown[] = [];
setInterval(() => {
  idleWork = Array.from({ length: 100 }, (_, i) => ({ i }));
}, 100).unref();
if (busy) {
  const spin = () => {
    const end = Date.now() + 20;
    while (Date.now() < end);
    setImmediate(spin);
  };
  spin();
}
const report = (shrank: boolean) => {
  const globalGc = typeof (globalThis as { gc?: unknown }).gc;
  process.stdout.write(
    `${JSON.stringify({ before, after: youngMb(), shrank, globalGc, seconds: (Date.now() - started) / 1000, idleWork: idleWork.length })}\n`,
  );
  process.exit(0);
};
if (busy) setTimeout(() => report(false), 12_000);
else void release.done.then(report);
