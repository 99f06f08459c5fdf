import { sql } from 'drizzle-orm';
import { check, index, json, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Every state change of a lab order or a lab visit, written by the statement (or transaction) of
 * the change (docs/events.md). Exactly one tenant: a brand (clinical) or a workspace. `data` is
 * `{object, previous}` as JSON text (json, not jsonb: kept byte for byte, keys in the resource's
 * own order). Kept 30 days.
 */
export const events = pgTable(
  'events',
  {
    /** evt_ + 24 hex */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    brandId: text('brand_id'),
    workspaceId: text('workspace_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    data: json('data').notNull(),
  },
  (t) => [
    // Keyset pagination, newest first, per tenant. Each event has one tenant: each index holds only
    // the events of its kind (an event is not also indexed under its NULL column).
    index('events_brand_created_idx')
      .on(t.brandId, t.createdAt.desc(), t.id.desc())
      .where(sql`brand_id is not null`),
    index('events_workspace_created_idx')
      .on(t.workspaceId, t.createdAt.desc(), t.id.desc())
      .where(sql`workspace_id is not null`),
    // Every brand's events, newest first (a token for all brands), and the purge of old events.
    index('events_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check('events_one_tenant', sql`(${t.brandId} is null) <> (${t.workspaceId} is null)`),
  ],
);
