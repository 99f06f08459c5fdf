import { sql } from 'drizzle-orm';
import {
  bigserial,
  check,
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** Per-brand override of the panel -> Junction lab test mapping (the default comes from config). */
export const brandPanels = pgTable(
  'brand_panels',
  {
    brandId: text('brand_id').notNull(),
    panelId: text('panel_id').notNull(),
    labTestId: text('lab_test_id').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.panelId] })],
);

/** Patient profile per (brand, patient): the demographics Junction needs for an order. PHI. */
export const patients = pgTable(
  'patients',
  {
    brandId: text('brand_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    dob: date('dob', { mode: 'string' }),
    email: text('email'),
    gender: text('gender'),
    phoneNumber: text('phone_number'),
    addressLine1: text('address_line1'),
    addressLine2: text('address_line2'),
    city: text('city'),
    state: text('state'),
    zip: text('zip'),
    country: text('country'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.patientId] })],
);

/**
 * The Junction user of each brand's patient, per Junction environment: a user id is only
 * meaningful to the Junction (sandbox, production, a simulator) that made it, and two brands that
 * send the same patient id are two people, so never one Junction user (docs/junction.md, "One
 * Junction user per brand's patient").
 */
export const junctionUsers = pgTable(
  'junction_users',
  {
    /** which Junction the id came from (JunctionDeps.environment: its base URL, or the demo's simulator) */
    junctionEnvironment: text('junction_environment').notNull(),
    brandId: text('brand_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    /**
     * What labline named the user at Junction: derived from the brand and the patient
     * (junctionClientUserId), or the bare patient id for a user made before users were per brand.
     */
    clientUserId: text('client_user_id').notNull(),
    junctionUserId: text('junction_user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.junctionEnvironment, t.brandId, t.patientId] }),
    uniqueIndex('junction_users_client_user_idx').on(t.junctionEnvironment, t.clientUserId),
  ],
);

export const LAB_ORDER_STATUSES = [
  'submitting',
  'received',
  'collecting_sample',
  'sample_with_lab',
  'completed',
  'cancelled',
  'failed',
  'rejected',
] as const;
export type LabOrderStatus = (typeof LAB_ORDER_STATUSES)[number];

export const labOrders = pgTable(
  'lab_orders',
  {
    id: uuid('id').primaryKey(),
    brandId: text('brand_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    panelId: text('panel_id').notNull(),
    labTestId: text('lab_test_id').notNull(),
    /** `submitting` until Junction answered; then Junction's top-level status (or `rejected`). */
    status: text('status', { enum: LAB_ORDER_STATUSES }).notNull(),
    statusDetail: text('status_detail'),
    /** When Junction says the current status began (orders webhooks that arrive out of order). */
    statusAt: timestamp('status_at', { withTimezone: true, mode: 'date' }),
    junctionOrderId: text('junction_order_id'),
    junctionUserId: text('junction_user_id'),
    /** Junction's reason when it rejected the order. */
    rejection: jsonb('rejection'),
    createdBy: text('created_by').notNull(),
    // Milliseconds, as JavaScript (and the list's cursor) hold it: with microseconds, a cursor
    // could not name a row exactly and pages would skip orders made in the same millisecond.
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true, mode: 'date' }),
    /** when reconciliation last read the order from Junction (docs/clinical-lab-orders.md) */
    checkedAt: timestamp('checked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    // Keyset pagination, newest first: by patient, by brand, or over everything.
    index('lab_orders_patient_created_idx').on(t.patientId, t.createdAt.desc(), t.id.desc()),
    index('lab_orders_brand_created_idx').on(t.brandId, t.createdAt.desc(), t.id.desc()),
    index('lab_orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    // Junction's id, once there is one. Partial: every order in flight has none, and an index of
    // those NULLs was the one PostgreSQL chose for the create's answer (`where id = … and
    // junction_order_id is null`), reading every order in flight to find one (and an entry more
    // per create).
    uniqueIndex('lab_orders_junction_order_idx')
      .on(t.junctionOrderId)
      .where(sql`junction_order_id is not null`),
    // Reconciliation's work: orders still submitting, and orders Junction has not finished. The
    // submitting orders are keyed by id, not created_at: the create's answer updates its order
    // `where id = … and status = 'submitting'`, and PostgreSQL chose the index of the submitting
    // orders by created_at for it (smaller than the primary key, so a hair cheaper by its
    // estimate), reading every order still submitting to find the one: every create in flight.
    // Keyed by id, it finds the row at once; reconciliation reads the few submitting orders and
    // sorts them.
    index('lab_orders_submitting_idx')
      .on(t.id)
      .where(sql`status = 'submitting'`),
    index('lab_orders_open_idx')
      .on(t.updatedAt)
      .where(sql`status in ('received', 'collecting_sample', 'sample_with_lab')`),
    check('lab_orders_status_check', sql`${t.status} in ${sql.raw(`('${LAB_ORDER_STATUSES.join("','")}')`)}`),
  ],
);

/** The order's status history, from Junction's events and our own actions. */
export const labOrderEvents = pgTable(
  'lab_order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => labOrders.id),
    status: text('status').notNull(),
    statusDetail: text('status_detail'),
    source: text('source').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('lab_order_events_order_idx').on(t.orderId, t.id)],
);

/** Svix message ids already applied, for de-duplication across replicas. */
export const webhookMessages = pgTable('webhook_messages', {
  svixId: text('svix_id').primaryKey(),
  eventType: text('event_type').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
