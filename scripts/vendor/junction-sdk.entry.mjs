// The part of the official Junction SDK (@junction-api/sdk) that labline uses, bundled into
// vendor/junction-sdk.cjs by scripts/bundle-vendor.ts (see there for why).
//
// The SDK's JunctionClient is a shell of getters over its 26 resource clients, and importing it
// brings all of them and their schemas. labline uses two resource clients, so this JunctionClient
// is that shell with only those: the SDK's own resource clients and option normalisation, wired
// as the SDK's JunctionClient wires them.
import { normalizeClientOptionsWithAuth } from '@junction-api/sdk/dist/esm/BaseClient.mjs';
import { LabTestsClient } from '@junction-api/sdk/labTests';
import { UserClient } from '@junction-api/sdk/user';

// From their own modules: the package's index re-exports whole namespaces (`Junction`,
// `serialization`), which would bring every type's schema along.
export { JunctionEnvironment } from '@junction-api/sdk/dist/esm/environments.mjs';
export { JunctionError, JunctionTimeoutError } from '@junction-api/sdk/dist/esm/errors/index.mjs';
export { BadRequestError } from '@junction-api/sdk/dist/esm/api/errors/index.mjs';
export { ClientFacingOrder } from '@junction-api/sdk/dist/esm/serialization/types/ClientFacingOrder.mjs';

export class JunctionClient {
  constructor(options = {}) {
    this._options = normalizeClientOptionsWithAuth(options);
    this.labTests = new LabTestsClient(this._options);
    this.user = new UserClient(this._options);
  }
}
