// Every table of the service, gathered for Drizzle and drizzle-kit. Each feature owns its file.
export * from '../audit/schema.js';
export * from '../http/idempotency-schema.js';
export * from '../lab-orders/schema.js';
export * from '../lab-visits/schema.js';
