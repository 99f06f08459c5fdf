/**
 * Lab visits. Test snapshots, results and pricing are copied onto the visit when it is made, so
 * later catalog or coupon edits never change an existing visit. The workspace records it points
 * at are re-exported here so that src/db/schema.ts gathers the whole surface with one line.
 */
import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { instantColumn } from '../db/instant-column.js';
import { labCoupons, workspaceClients, workspaceReferrals, workspaces } from '../workspaces/tables.js';

export * from '../workspaces/tables.js';

export const LAB_VISIT_TYPES = ['in-lab', 'at-home'] as const;
export type LabVisitType = (typeof LAB_VISIT_TYPES)[number];
export const LAB_VISIT_STATUSES = ['pending', 'scheduled', 'collected', 'completed', 'cancelled'] as const;
export type LabVisitStatus = (typeof LAB_VISIT_STATUSES)[number];
export const RESULT_FLAGS = ['normal', 'low', 'high', 'abnormal', 'critical'] as const;
export type ResultFlag = (typeof RESULT_FLAGS)[number];

export interface LabTestSnapshot {
  test: { testId: number; testTitle: string };
  /** the workspace's own title and price (hundredths) at creation, when it had one */
  designTest: { testId: number; testTitle: string; priceCents: number } | null;
}

export interface StoredLabTestResult {
  testId: number;
  value: number | string;
  unit: string | null;
  referenceRange: string | null;
  flag: ResultFlag | null;
  resultedAt: string;
}

export const labVisits = pgTable(
  'lab_visits',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    clientId: text('client_id').notNull(),
    referralId: text('referral_id'),
    labVisitType: text('lab_visit_type', { enum: LAB_VISIT_TYPES }).notNull(),
    status: text('status', { enum: LAB_VISIT_STATUSES }).notNull(),
    labTestIds: integer('lab_test_ids').array().notNull(),
    labTestSnapshots: jsonb('lab_test_snapshots').$type<LabTestSnapshot[]>().notNull(),
    labTestResults: jsonb('lab_test_results').$type<StoredLabTestResult[]>().notNull().default([]),
    labVisitDate: instantColumn('lab_visit_date').notNull(),
    notes: text('notes'),
    subtotalCents: integer('subtotal_cents').notNull(),
    couponId: text('coupon_id'),
    couponCode: text('coupon_code'),
    discountCents: integer('discount_cents').notNull(),
    totalCents: integer('total_cents').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    foreignKey({
      name: 'lab_visits_client_fk',
      columns: [t.workspaceId, t.clientId],
      foreignColumns: [workspaceClients.workspaceId, workspaceClients.id],
    }),
    foreignKey({
      name: 'lab_visits_referral_fk',
      columns: [t.workspaceId, t.referralId],
      foreignColumns: [workspaceReferrals.workspaceId, workspaceReferrals.id],
    }),
    foreignKey({
      name: 'lab_visits_coupon_fk',
      columns: [t.workspaceId, t.couponId],
      foreignColumns: [labCoupons.workspaceId, labCoupons.id],
    }),
    // The list's keyset order (lab_visit_date desc, id desc), per workspace and per client.
    index('lab_visits_workspace_date_idx')
      .on(t.workspaceId, t.labVisitDate.desc(), t.id.desc())
      .where(sql`${t.deletedAt} is null`),
    index('lab_visits_client_date_idx')
      .on(t.workspaceId, t.clientId, t.labVisitDate.desc(), t.id.desc())
      .where(sql`${t.deletedAt} is null`),
    check(
      'lab_visits_status_check',
      sql`${t.status} in ('pending', 'scheduled', 'collected', 'completed', 'cancelled')`,
    ),
    check('lab_visits_type_check', sql`${t.labVisitType} in ('in-lab', 'at-home')`),
    check(
      'lab_visits_pricing_check',
      sql`${t.discountCents} >= 0 and ${t.discountCents} <= ${t.subtotalCents} and ${t.totalCents} = ${t.subtotalCents} - ${t.discountCents}`,
    ),
  ],
);
