/**
 * The official Junction SDK, loaded from its CommonJS build. Its ESM build is some 2,500 modules,
 * and Node's ESM loader kept about 75 MB of resident memory for them against about 48 MB for the
 * same SDK through `require` (measured on Node 20 after start-up and a full GC): the largest single
 * share of labline's idle memory. Types still come from the package's own declarations
 * (`import type … from '@junction-api/sdk'`); every value (classes checked with `instanceof`
 * included) must come from here, so that one copy of the SDK is loaded.
 */
import { createRequire } from 'node:module';
import type * as JunctionSdk from '@junction-api/sdk';

export const junctionSdk = createRequire(import.meta.url)('@junction-api/sdk') as typeof JunctionSdk;
