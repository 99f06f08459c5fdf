/**
 * The workspace surface's records: workspaces, their members, clients (PHI) and referrals, the
 * platform lab test catalog with each workspace's own titles and prices, and coupons. Ids are
 * service-generated ObjectIds (object-id.ts); money is integer hundredths (money.ts).
 * Children carry their workspace id and are unique on (workspace_id, id) (a constraint, not just an
 * index, so that it exists before the foreign keys that need it), so that lab visits and referrals
 * reference them with composite foreign keys: the database itself refuses cross-workspace links.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { instantColumn } from '../db/instant-column.js';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
};

export const workspaces = pgTable('workspaces', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** the first owner, named by the platform admin who created the workspace */
  ownerUserId: text('owner_user_id').notNull(),
  createdBy: text('created_by').notNull(),
  ...timestamps,
});

export const WORKSPACE_ROLES = ['owner', 'staff'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];
export const WORKSPACE_PERMISSIONS = ['labs.run', 'clients.write', 'labs.price_override'] as const;
export type WorkspacePermission = (typeof WORKSPACE_PERMISSIONS)[number];

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** the token `sub` of the person */
    userId: text('user_id').notNull(),
    role: text('role', { enum: WORKSPACE_ROLES }).notNull(),
    permissions: text('permissions')
      .array()
      .$type<WorkspacePermission[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** what the person's token last said of them (`name` and `email` claims), for display */
    name: text('name'),
    email: text('email'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('workspace_members_workspace_user_idx').on(t.workspaceId, t.userId),
    index('workspace_members_user_idx').on(t.userId),
  ],
);

/**
 * An owner's invitation of a person by email: the first sign-in whose token carries that email,
 * verified (`email_verified: true`), becomes the member it describes, and the invitation is gone.
 */
export const workspaceInvitations = pgTable(
  'workspace_invitations',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** lowercased */
    email: text('email').notNull(),
    role: text('role', { enum: WORKSPACE_ROLES }).notNull(),
    permissions: text('permissions')
      .array()
      .$type<WorkspacePermission[]>()
      .notNull()
      .default(sql`'{}'::text[]`),
    invitedBy: text('invited_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('workspace_invitations_workspace_email_idx').on(t.workspaceId, t.email),
    index('workspace_invitations_email_idx').on(t.email),
  ],
);

/** A workspace's client: PHI. */
export const workspaceClients = pgTable(
  'workspace_clients',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    firstName: text('first_name').notNull(),
    lastName: text('last_name').notNull(),
    email: text('email'),
    dob: date('dob', { mode: 'string' }),
    phone: text('phone'),
    /** set when archived (soft delete): kept for its visits, hidden from lists, takes no new visits */
    archivedAt: timestamp('archived_at', { withTimezone: true, mode: 'date' }),
    createdBy: text('created_by').notNull(),
    ...timestamps,
  },
  (t) => [unique('workspace_clients_workspace_id_key').on(t.workspaceId, t.id)],
);

/** The referring provider or source of a workspace's visits, optionally for one client. */
export const workspaceReferrals = pgTable(
  'workspace_referrals',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    clientId: text('client_id'),
    notes: text('notes'),
    /** set when archived: kept for its visits, hidden from lists, named by no new visit */
    archivedAt: timestamp('archived_at', { withTimezone: true, mode: 'date' }),
    createdBy: text('created_by').notNull(),
    ...timestamps,
  },
  (t) => [
    unique('workspace_referrals_workspace_id_key').on(t.workspaceId, t.id),
    foreignKey({
      name: 'workspace_referrals_client_fk',
      columns: [t.workspaceId, t.clientId],
      foreignColumns: [workspaceClients.workspaceId, workspaceClients.id],
    }),
  ],
);

/** The platform catalog, keyed by the numeric test id visits use. */
export const labTests = pgTable(
  'lab_tests',
  {
    id: text('id').primaryKey(),
    testId: integer('test_id').notNull().unique('lab_tests_test_id_key'),
    testTitle: text('test_title').notNull(),
    priceCents: integer('price_cents').notNull(),
    ...timestamps,
  },
  (t) => [
    check('lab_tests_test_id_check', sql`${t.testId} > 0`),
    check('lab_tests_price_check', sql`${t.priceCents} >= 0`),
  ],
);

/** A workspace's own title and price for a catalog test (shown on visits as `designTest`). */
export const workspaceLabTests = pgTable(
  'workspace_lab_tests',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    testId: integer('test_id')
      .notNull()
      .references(() => labTests.testId),
    testTitle: text('test_title').notNull(),
    priceCents: integer('price_cents').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('workspace_lab_tests_workspace_test_idx').on(t.workspaceId, t.testId),
    check('workspace_lab_tests_price_check', sql`${t.priceCents} >= 0`),
  ],
);

export const COUPON_TYPES = ['percent', 'fixed'] as const;
export type CouponType = (typeof COUPON_TYPES)[number];

export const labCoupons = pgTable(
  'lab_coupons',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** as the owner wrote it; matched case-insensitively */
    code: text('code').notNull(),
    type: text('type', { enum: COUPON_TYPES }).notNull(),
    /** hundredths: of a percent for `percent` (10 % = 1000), of the currency unit (cents) for `fixed` */
    value: integer('value').notNull(),
    active: boolean('active').notNull().default(true),
    expiresAt: instantColumn('expires_at'),
    maxRedemptions: integer('max_redemptions'),
    redemptions: integer('redemptions').notNull().default(0),
    createdBy: text('created_by').notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('lab_coupons_workspace_code_idx').on(t.workspaceId, sql`lower(${t.code})`),
    unique('lab_coupons_workspace_id_key').on(t.workspaceId, t.id),
    check('lab_coupons_type_check', sql`${t.type} in ('percent', 'fixed')`),
    check(
      'lab_coupons_value_check',
      sql`${t.value} >= 0 and (${t.type} <> 'percent' or ${t.value} <= 10000)`,
    ),
    // The last line of defence against over-redemption; the redeeming UPDATE never reaches it.
    check(
      'lab_coupons_redemptions_check',
      sql`${t.redemptions} >= 0 and (${t.maxRedemptions} is null or ${t.redemptions} <= ${t.maxRedemptions})`,
    ),
  ],
);
