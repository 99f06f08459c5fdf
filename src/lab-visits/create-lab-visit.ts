/**
 * Creating a lab visit, in one transaction: the Idempotency-Key claim, the checks, the coupon
 * redemption, the visit, its audit row and its event commit together or not at all. Quoting one runs the
 * same checks and pricing (priceNewVisit) and writes nothing.
 */
import { audit, type AuditActor } from '../audit/audit.js';
import type { Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import type { IdempotencyContext } from '../idempotency/plugin.js';
import { workspaceTestsByIds, type WorkspaceTestRow } from '../workspaces/catalog-repository.js';
import { findClient, findReferral } from '../workspaces/clients-repository.js';
import { findCouponByCode, redeemCoupon, type CouponRow } from '../workspaces/coupons-repository.js';
import { newObjectId } from '../http/object-id.js';
import { recordEvent } from '../events/record.js';
import { visitEvent } from './present.js';
import { priceVisit, type VisitPrice } from './pricing.js';
import { findVisit, insertVisit, type LabVisitRow } from './repository.js';
import type { LabTestSnapshot, LabVisitType } from './tables.js';

export interface VisitContext {
  workspaceId: string;
  userId: string;
  actor: AuditActor;
}

/** The request, its ids already checked for shape and its money already in cents. */
export interface NewVisitInput {
  clientId: string;
  referralId: string | null;
  labVisitType: LabVisitType;
  labTestIds: number[];
  labVisitDate: Date;
  notes: string | null;
  couponCode: string | null;
  subtotalCents: number | null;
}

export const VISIT = 'lab_visit';

export async function createLabVisit(
  tx: Tx,
  ctx: VisitContext,
  input: NewVisitInput,
  idempotency: IdempotencyContext | null,
): Promise<LabVisitRow> {
  // An earlier attempt with this Idempotency-Key that recorded its visit but not its answer.
  if (idempotency?.resumedResourceId) {
    const earlier = await findVisit(tx, ctx.workspaceId, idempotency.resumedResourceId);
    if (earlier) return earlier;
  }
  const id = newObjectId();
  // First, so that a concurrent request with the same key waits here and then gets its 409.
  await idempotency?.claim(tx, id);

  const { snapshots, coupon, price } = await priceNewVisit(tx, ctx.workspaceId, input, { redeem: true });

  const now = new Date();
  const visit = await insertVisit(tx, {
    id,
    workspaceId: ctx.workspaceId,
    clientId: input.clientId,
    referralId: input.referralId,
    labVisitType: input.labVisitType,
    status: 'pending',
    labTestIds: input.labTestIds,
    labTestSnapshots: snapshots,
    labTestResults: [],
    labVisitDate: input.labVisitDate,
    notes: input.notes,
    ...price,
    couponId: coupon?.id ?? null,
    couponCode: coupon?.code ?? null,
    createdBy: ctx.userId,
    createdAt: now,
    updatedAt: now,
  });
  await audit(tx, ctx.actor, {
    action: 'create',
    resourceType: VISIT,
    resourceId: visit.id,
    tenant: ctx.workspaceId,
  });
  await recordEvent(tx, visitEvent('lab_visit.created', null, visit));
  return visit;
}

export interface PricedNewVisit {
  snapshots: LabTestSnapshot[];
  coupon: CouponRow | null;
  price: VisitPrice;
}

/**
 * The create's checks (client, referral, tests, coupon) and its price, shared by the create and
 * the quote. `redeem: true` counts the coupon's use (the create, in its own transaction);
 * `redeem: false` only checks that it could be counted (the quote, which writes nothing).
 */
export async function priceNewVisit(
  tx: Tx,
  workspaceId: string,
  input: NewVisitInput,
  { redeem }: { redeem: boolean },
): Promise<PricedNewVisit> {
  // The create reads them share-locked: an archive of the client or referral running now either
  // waits for the visit or, when it committed first, is seen here.
  const lock = redeem ? 'share' : null;
  const client = await findClient(tx, workspaceId, input.clientId, lock);
  if (!client) throw Errors.notFound('Client not found.');
  if (client.archivedAt !== null) throw Errors.clientArchived('/clientId');
  if (input.referralId !== null) {
    const referral = await findReferral(tx, workspaceId, input.referralId, lock);
    if (!referral) throw Errors.invalidReferral('The referral does not exist in this workspace.');
    if (referral.archivedAt !== null) throw Errors.invalidReferral('The referral is archived.');
    if (referral.clientId !== null && referral.clientId !== input.clientId) {
      throw Errors.invalidReferral('The referral is for another client.');
    }
  }
  const tests = await testsInOrder(tx, workspaceId, input.labTestIds);
  const coupon =
    input.couponCode === null ? null : await useCoupon(tx, workspaceId, input.couponCode, redeem);
  const price = priceVisit(
    tests.map((t) => ({
      catalogPriceCents: t.test.priceCents,
      workspacePriceCents: t.designTest?.priceCents ?? null,
    })),
    input.subtotalCents,
    coupon,
  );
  return { snapshots: tests.map(snapshot), coupon, price };
}

/** The requested tests in request order, or 422 `unknown_lab_tests` naming those not in the catalog. */
async function testsInOrder(
  tx: Tx,
  workspaceId: string,
  testIds: readonly number[],
): Promise<WorkspaceTestRow[]> {
  const byId = new Map((await workspaceTestsByIds(tx, workspaceId, testIds)).map((t) => [t.test.testId, t]));
  const missing = testIds.filter((id) => !byId.has(id));
  if (missing.length > 0) throw Errors.unknownLabTests(missing, '/labTestIds');
  return testIds.map((id) => byId.get(id)!);
}

function snapshot({ test, designTest }: WorkspaceTestRow): LabTestSnapshot {
  return {
    test: { testId: test.testId, testTitle: test.testTitle },
    designTest:
      designTest === null
        ? null
        : { testId: designTest.testId, testTitle: designTest.testTitle, priceCents: designTest.priceCents },
  };
}

/**
 * The coupon for `code` in this workspace, or 422 `invalid_coupon` saying why it cannot be used;
 * with `redeem`, its use is counted (atomically: concurrent visits never pass maxRedemptions).
 */
async function useCoupon(tx: Tx, workspaceId: string, code: string, redeem: boolean): Promise<CouponRow> {
  const coupon = await findCouponByCode(tx, workspaceId, code);
  if (!coupon) throw Errors.invalidCoupon(`No coupon "${code}" exists in this workspace.`);
  if (!coupon.active) throw Errors.invalidCoupon(`Coupon "${coupon.code}" is not active.`);
  if (coupon.expiresAt !== null && coupon.expiresAt.getTime() <= Date.now()) {
    throw Errors.invalidCoupon(`Coupon "${coupon.code}" has expired.`);
  }
  const exhausted = redeem
    ? !(await redeemCoupon(tx, coupon.id))
    : coupon.maxRedemptions !== null && coupon.redemptions >= coupon.maxRedemptions;
  if (exhausted)
    throw Errors.invalidCoupon(`Coupon "${coupon.code}" has reached its maximum number of redemptions.`);
  return coupon;
}
