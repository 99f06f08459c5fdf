import { sql } from 'drizzle-orm';
import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per (principal, route, key). `state` is `in_progress` while a request owns the key
 * (until `locked_until`, the lease) and `completed` once its response is stored for replay.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    route: text('route').notNull(),
    key: text('key').notNull(),
    fingerprint: text('fingerprint').notNull(),
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    /** what the request created, so a retry after a crash resumes the same resource */
    resourceId: text('resource_id'),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.principal, t.route, t.key] }),
    index('idempotency_keys_expires_idx').on(t.expiresAt),
    // Reconciliation asks whether a request still holds the key of a stuck resource
    // (`resource_id = $1 and state = 'in_progress'`). `state` is deliberately in no index (not even
    // an index's predicate): the update that stores the response then changes no indexed column
    // and stays on its page (a HOT update, no index insert). Migration 0012 also leaves 30 % of
    // each new page free (fillfactor 70) for that update's response body.
    index('idempotency_keys_resource_idx')
      .on(t.resourceId)
      .where(sql`resource_id is not null`),
  ],
);
