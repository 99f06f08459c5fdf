/**
 * The official Junction SDK as labline loads it: vendor/junction-sdk.cjs, the part of
 * @junction-api/sdk that labline uses (two resource clients, the errors,
 * the order schema), bundled into one file by `npm run vendor` (scripts/bundle-vendor.ts). The code
 * is the SDK's own. It is a bundle because the whole package (some 2,000 modules) breaks the ready
 * and memory guards when loaded at start-up, and its create path the create guard when loaded on
 * first use: docs/benchmarks.md ("Issue 32: plain dependencies") has the figures.
 *
 * Types come from the package's declarations (`import type … from '@junction-api/sdk'`); every
 * value (classes checked with `instanceof` included) must come from here, so that one copy of the
 * SDK is loaded. The path is the same from src/junction and dist/junction.
 */
import { createRequire } from 'node:module';
import type * as Sdk from '@junction-api/sdk';

/** The SDK's JunctionClient with the members labline uses (scripts/vendor/junction-sdk.entry.mjs). */
export type JunctionSdkClient = Pick<Sdk.JunctionClient, 'labTests' | 'user'>;

export interface JunctionSdk {
  JunctionClient: new (options: Sdk.JunctionClient.Options) => JunctionSdkClient;
  JunctionEnvironment: typeof Sdk.JunctionEnvironment;
  JunctionError: typeof Sdk.JunctionError;
  JunctionTimeoutError: typeof Sdk.JunctionTimeoutError;
  BadRequestError: typeof Sdk.Junction.BadRequestError;
  ClientFacingOrder: typeof Sdk.serialization.ClientFacingOrder;
}

export const junctionSdk = createRequire(import.meta.url)('../../vendor/junction-sdk.cjs') as JunctionSdk;
