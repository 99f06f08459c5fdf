/**
 * The one V8 flag labline sets, at start-up: the old generation may grow to twice what survived
 * the last full collection before V8 runs the next (`--heap-growing-percent=100`). V8 otherwise
 * picks a factor of up to 4 when allocation is fast, and under the benchmark's heaviest loads a
 * replica then held far more garbage than live data, past the peak memory labline must stay under.
 * It is no heap cap: the heap still grows as far as live data needs. Set here rather than on the
 * command line so that every way of starting the service (`npm start`, `node dist/main.js`, the
 * worker) has it. Measurements, with and without: docs/benchmarks.md ("Issue 32: plain
 * dependencies").
 */
import v8 from 'node:v8';

/** The old generation's growth factor between full collections, in percent over 1 (100: 2×). */
export const HEAP_GROWING_PERCENT = 100;

/** Sets V8's heap growing factor for this process (see above); call once at start-up. */
export function boundHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
