// Every table of the service, gathered for Drizzle and drizzle-kit. Each feature owns its file.
export * from '../audit/tables.js';
export * from '../idempotency/tables.js';
export * from '../lab-orders/tables.js';
export * from '../lab-visits/tables.js';
export * from '../jobs/tables.js';
export * from '../webhooks/tables.js';
export * from '../events/tables.js';
export * from '../api-keys/tables.js';
