/**
 * The official Junction SDK (@junction-api/sdk), imported through its package entry point on
 * first use (the first Junction call or incoming Junction webhook), never at start-up: whichever
 * of its entry points is imported, the package loads some 2,300 modules (all its resource clients
 * and every schema of Junction's API), which at start-up took ready time and idle memory past
 * their limits (docs/benchmarks.md, "Issue 32: plain dependencies").
 *
 * So: types come from `import type … from '@junction-api/sdk'` (erased at run time), and values
 * (classes, schemas, `instanceof` checks) from `loadJunctionSdk()`. A static value import of the
 * package in src/ would load it at start-up again: lint refuses one.
 */
import type * as Sdk from '@junction-api/sdk';

export type JunctionSdk = typeof Sdk;

let loading: Promise<JunctionSdk> | undefined;

/** The SDK's module, imported once per process. */
export function loadJunctionSdk(): Promise<JunctionSdk> {
  return (loading ??= import('@junction-api/sdk'));
}
