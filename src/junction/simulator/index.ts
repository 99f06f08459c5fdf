/** The Junction simulator (docs/junction.md): start it in-process, or run main.ts standalone. */
export { SIMULATOR_LAB_TESTS, SIMULATOR_PANELS } from './catalog.js';
export { SIMULATOR_OPERATIONS, type Faults, type SimulatorOperation } from './faults.js';
export { FINAL_STATUSES, LifecycleError } from './lifecycle.js';
export {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorOrderJson,
  type SimulatorUserJson,
} from './server.js';
export {
  generateWebhookSecret,
  JUNCTION_RETRY_SCHEDULE_MS,
  type WebhookDelivery,
  type WebhookRetryOptions,
} from './webhook-sender.js';
