import { bigserial, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Who did what to which patient-data resource, written in the same transaction as the change. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id').notNull(),
    /** brand id or workspace id the resource belongs to */
    tenant: text('tenant'),
    requestId: text('request_id'),
  },
  (t) => [index('audit_events_resource_idx').on(t.resourceType, t.resourceId, t.at)],
);
