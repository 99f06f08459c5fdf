/**
 * How labline's process uses memory (docs/benchmarks.md has the measurements).
 *
 * Under load: V8 runs its next full collection when the old generation has grown by a factor of
 * what survived the last one, a factor it picks between 1.1 and 4 and raises when allocation is
 * fast. Under the benchmark's heaviest loads (400 requests in flight, each a second long) that let
 * a replica grow to 280–380 MB for some 60 MB of live objects. `boundHeapGrowth` fixes the factor
 * at 2: full runs peaked at 193–221 MB, at a few percent of CPU in more frequent full collections
 * (which V8 runs mostly concurrently). It is no heap cap: the heap still grows as far as live data
 * needs.
 *
 * At rest: start-up (loading some 650 modules, compiling the API's schemas, migrating) allocates far more
 * than it keeps, and V8 keeps what it grew for it: the young generation at its largest (two
 * 16 MB semi-spaces, committed) and pages of old space. A replica that then waits for traffic
 * would hold them for good: V8 shrinks the young generation only in a collection that finds the
 * allocation rate of the last 5 s low, and an idle process runs no collection at all.
 *
 * So once the process has been idle for a few seconds in a row, labline runs one full collection
 * (old-generation garbage) and then a young-generation one each idle second until V8 has shrunk
 * the young generation, at most a minute long: about 30 MB of a fresh replica's resident memory
 * goes back to the system (docs/benchmarks.md). Each collection takes a millisecond or a few tens
 * (the full one). Under load the young generation grows again as V8 needs it, so request handling
 * is unchanged; a replica that is busy all along never runs them.
 *
 * Node has no API for it. `global.gc` would need `--expose-gc` on every command line that starts
 * labline (and puts `gc` on the global object); instead the flag is set for a moment, a new V8
 * context is made (the flag adds `gc` to contexts made while it is on), its `gc` taken and the
 * flag reset: the main context never has a `gc`.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

/** The old generation's growth factor between full collections, in percent over 1 (100: 2×). */
export const HEAP_GROWING_PERCENT = 100;

/** Sets V8's heap growing factor for this process (see above); call once at start-up. */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/** V8's gc extension: a full collection, or with `{ type: 'minor' }` a young-generation one. */
type Gc = (options?: { type: 'minor' }) => void;

function takeGc(): Gc | undefined {
  v8.setFlagsFromString('--expose-gc');
  try {
    return vm.runInNewContext("typeof gc === 'function' ? gc : undefined") as Gc | undefined;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

const youngGenerationBytes = () =>
  v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/** A second counts as idle when the event loop was busy for less than this share of it. */
const IDLE_UTILIZATION = 0.1;
/** Idle seconds in a row before the first collection: V8 judges the allocation rate over 5 s. */
const IDLE_SECONDS = 6;
const GIVE_UP_SECONDS = 60;

/**
 * Starts watching for the first idle stretch after start-up (see above). The timer does not hold
 * the process open; `stop` ends it early. `done` resolves with whether the young generation shrank.
 */
export function releaseStartupMemoryWhenIdle(): { stop(): void; done: Promise<boolean> } {
  let resolve!: (shrank: boolean) => void;
  const done = new Promise<boolean>((r) => (resolve = r));
  const grown = youngGenerationBytes();
  let last = performance.eventLoopUtilization();
  let idleSeconds = 0;
  let seconds = 0;
  let gc: Gc | undefined;
  const finish = (shrank: boolean) => {
    clearInterval(timer);
    resolve(shrank);
  };
  const timer = setInterval(() => {
    seconds++;
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization >= IDLE_UTILIZATION;
    last = now;
    idleSeconds = busy ? 0 : idleSeconds + 1;
    if (idleSeconds >= IDLE_SECONDS) {
      if (!gc) {
        gc = takeGc();
        if (!gc) return finish(false);
        gc();
      }
      gc({ type: 'minor' });
      if (youngGenerationBytes() < grown) return finish(true);
    }
    if (seconds >= GIVE_UP_SECONDS) finish(false);
  }, 1000);
  timer.unref();
  return { stop: () => finish(false), done };
}
