/**
 * vendor/junction-sdk.cjs (the part of the Junction SDK labline loads, src/junction/sdk.ts) is what
 * `npm run vendor` makes from the installed @junction-api/sdk: after an upgrade of the SDK (or of
 * esbuild) this fails until the bundle is written again. That the bundle works is what every
 * Junction client test shows, against the simulator.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleJunctionSdk, VENDOR_SDK } from '../../scripts/bundle-vendor.js';

describe('vendored Junction SDK', () => {
  it('is the bundle `npm run vendor` writes from the installed SDK', async () => {
    const fresh = await bundleJunctionSdk();
    const checkedIn = readFileSync(VENDOR_SDK, 'utf8');
    expect(checkedIn === fresh, 'vendor/junction-sdk.cjs is stale: run `npm run vendor` and commit it').toBe(
      true,
    );
  });

  it('holds only what labline uses, not the whole SDK', async () => {
    const bundle = readFileSync(VENDOR_SDK, 'utf8');
    expect(bundle).toContain('var LabTestsClient = class');
    expect(bundle).toContain('var UserClient = class');
    // Resource clients labline never calls are left out, and so are the schemas of their types.
    expect(bundle).not.toContain('WorkoutsClient');
    expect(bundle).not.toContain('SleepClient');
    expect(bundle.length).toBeLessThan(1_000_000);
  });
});
