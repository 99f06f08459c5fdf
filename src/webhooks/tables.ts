import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Where a brand or a workspace wants its events (docs/webhooks.md). Exactly one of `brand_id`
 * (clinical surface) and `workspace_id` (workspace surface) is set: the endpoint's tenant.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    /** `ep_` + a 24-hex ObjectId (time-ordered, so listing by id is listing by creation) */
    id: text('id').primaryKey(),
    brandId: text('brand_id'),
    workspaceId: text('workspace_id'),
    url: text('url').notNull(),
    /** the event types it takes */
    events: text('events').array().notNull(),
    description: text('description'),
    enabled: boolean('enabled').notNull().default(true),
    disabledReason: text('disabled_reason'),
    disabledAt: timestamp('disabled_at', { withTimezone: true, mode: 'date', precision: 3 }),
    /** Standard Webhooks signing secret, `whsec_` + base64 */
    secret: text('secret').notNull(),
    /** after a rotation, the secret that keeps signing alongside the new one until it expires */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', {
      withTimezone: true,
      mode: 'date',
      precision: 3,
    }),
    /** first failed attempt since the last success: the clock of auto-disable */
    failingSince: timestamp('failing_since', { withTimezone: true, mode: 'date', precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    index('webhook_endpoints_brand_idx').on(t.brandId, t.id),
    index('webhook_endpoints_workspace_idx').on(t.workspaceId, t.id),
    check('webhook_endpoints_one_tenant', sql`(${t.brandId} is null) <> (${t.workspaceId} is null)`),
  ],
);

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** why a delivery exists: the event itself, a resend, or a recover */
export const DELIVERY_TRIGGERS = ['event', 'resend', 'recover'] as const;
export type DeliveryTrigger = (typeof DELIVERY_TRIGGERS)[number];

/** One attempt of a delivery, as the deliveries log shows it. */
export interface DeliveryAttempt {
  at: string;
  /** the receiver's HTTP status, or null when there was no answer (then `error` says why) */
  status: number | null;
  error: string | null;
  duration_ms: number;
  /** the receiver's answer, at most 1 KiB */
  response_body: string | null;
}

/**
 * One event sent to one endpoint, with its attempts. The row is also the unit of work: a worker
 * leases it (`locked_until`) for an attempt, so two workers never send it at once, and a worker
 * that died leaves a lease that expires and is taken again (at least once).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    /**
     * The endpoint. Not a foreign key: a key's check locks the endpoint's row (FOR KEY SHARE) for
     * every delivery a create fans out, and all of a brand's creates fan out to the same endpoint
     * row, so every create wrote a lock into that row and concurrent ones built MultiXacts of each
     * other. Deleting an endpoint deletes its
     * deliveries in the same statement (endpoints-repository.ts), and a delivery written by a
     * fan-out that raced the delete is removed by the next claim for its endpoint
     * (deliveries-repository.ts, claimDue), which the sweep wakes within a second.
     */
    endpointId: text('endpoint_id').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    trigger: text('trigger', { enum: DELIVERY_TRIGGERS }).notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attemptCount: integer('attempt_count').notNull().default(0),
    attempts: jsonb('attempts')
      .$type<DeliveryAttempt[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** when the next attempt is due (null once the delivery succeeded or failed) */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date', precision: 3 }),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date', precision: 3 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [
    // The log of an endpoint, newest first, keyset-paginated (with or without a status).
    index('webhook_deliveries_endpoint_created_idx').on(t.endpointId, t.createdAt.desc(), t.id.desc()),
    // The work: an endpoint's pending deliveries by due time. By endpoint first, so that one
    // endpoint's backlog (a receiver down while its brand keeps ordering) is never read to claim
    // another's deliveries, nor by the sweep (deliveries-repository.ts, DUE_ENDPOINTS).
    index('webhook_deliveries_endpoint_due_idx')
      .on(t.endpointId, t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'pending'`),
    // The deliveries being sent (leased), which a claim counts against the endpoint's concurrency.
    // A fan-out's insert (never leased) adds no entry.
    index('webhook_deliveries_leased_idx')
      .on(t.endpointId)
      .where(sql`${t.status} = 'pending' and ${t.lockedUntil} is not null`),
    // An event is handed to an endpoint once (resend and recover add their own deliveries).
    uniqueIndex('webhook_deliveries_event_once_idx')
      .on(t.endpointId, t.eventId)
      .where(sql`${t.trigger} = 'event'`),
    // The purge's (deliveries older than the retention). BRIN: rows arrive in created_at order, and
    // a BRIN index costs an insert next to nothing, where a btree costs an entry per fan-out row.
    index('webhook_deliveries_created_idx').using('brin', t.createdAt),
    // No index on event_id alone (an entry more per fan-out row): recover's anti-join reads the
    // endpoint's recent log through the endpoint's index above.
  ],
);
