/** A workspace's coupons, and their redemption. */
import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { newObjectId } from '../http/object-id.js';
import { labCoupons, type CouponType } from './tables.js';

export type CouponRow = typeof labCoupons.$inferSelect;

export interface CouponInput {
  code: string;
  type: CouponType;
  value: number;
  active: boolean;
  expiresAt: Date | null;
  maxRedemptions: number | null;
}

/** 409 `conflict` when the workspace has a coupon with the same code in any letter case. */
export async function insertCoupon(
  q: Queryable,
  workspaceId: string,
  createdBy: string,
  input: CouponInput,
): Promise<CouponRow> {
  const now = new Date();
  const [row] = await q
    .insert(labCoupons)
    .values({ id: newObjectId(), workspaceId, createdBy, ...input, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!row) throw Errors.conflict(`This workspace already has a coupon with the code "${input.code}".`);
  return row;
}

export async function findCoupon(q: Queryable, workspaceId: string, id: string): Promise<CouponRow | null> {
  const [row] = await q
    .select()
    .from(labCoupons)
    .where(and(eq(labCoupons.workspaceId, workspaceId), eq(labCoupons.id, id)));
  return row ?? null;
}

export async function findCouponByCode(
  q: Queryable,
  workspaceId: string,
  code: string,
): Promise<CouponRow | null> {
  const [row] = await q
    .select()
    .from(labCoupons)
    .where(
      and(eq(labCoupons.workspaceId, workspaceId), eq(sql`lower(${labCoupons.code})`, code.toLowerCase())),
    );
  return row ?? null;
}

export async function listCoupons(
  q: Queryable,
  workspaceId: string,
  afterId: string | null,
  limit: number,
): Promise<CouponRow[]> {
  return q
    .select()
    .from(labCoupons)
    .where(
      and(eq(labCoupons.workspaceId, workspaceId), afterId === null ? undefined : gt(labCoupons.id, afterId)),
    )
    .orderBy(asc(labCoupons.id))
    .limit(limit);
}

export async function updateCoupon(
  q: Queryable,
  workspaceId: string,
  id: string,
  changes: { active?: boolean; expiresAt?: Date | null },
): Promise<CouponRow | null> {
  const [row] = await q
    .update(labCoupons)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(labCoupons.workspaceId, workspaceId), eq(labCoupons.id, id)))
    .returning();
  return row ?? null;
}

/**
 * Counts one redemption unless the coupon is used up; false when it is. One conditional UPDATE:
 * concurrent redeemers queue on the row lock and each re-checks the condition against the
 * committed count (PostgreSQL re-evaluates the WHERE of a blocked UPDATE), so however many
 * transactions race, on however many processes, the count never passes `max_redemptions`.
 * It must run in the transaction that records the redemption (the visit).
 */
export async function redeemCoupon(q: Queryable, couponId: string): Promise<boolean> {
  const rows = await q
    .update(labCoupons)
    .set({ redemptions: sql`${labCoupons.redemptions} + 1` })
    .where(
      and(
        eq(labCoupons.id, couponId),
        or(isNull(labCoupons.maxRedemptions), lt(labCoupons.redemptions, labCoupons.maxRedemptions)),
      ),
    )
    .returning({ id: labCoupons.id });
  return rows.length === 1;
}

/**
 * Gives one redemption back (a visit that used the coupon will not take place: it was cancelled,
 * or deleted before its sample was collected). Never below zero.
 */
export async function releaseCoupon(q: Queryable, workspaceId: string, couponId: string): Promise<void> {
  await q
    .update(labCoupons)
    .set({ redemptions: sql`${labCoupons.redemptions} - 1` })
    .where(
      and(
        eq(labCoupons.workspaceId, workspaceId),
        eq(labCoupons.id, couponId),
        gt(labCoupons.redemptions, 0),
      ),
    );
}
