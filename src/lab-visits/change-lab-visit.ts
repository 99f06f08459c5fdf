/**
 * Reading and changing a visit: status moves, notes and date, results, soft delete. Each runs in
 * the caller's transaction, locks the visit it changes, and writes its audit row alongside.
 */
import { audit, type AuditAction } from '../audit/audit.js';
import type { Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { cursorCodec } from '../http/cursor.js';
import { fetchPage, type PageParams } from '../http/pagination.js';
import { VISIT, type VisitContext } from './create-lab-visit.js';
import { acceptsResults, canReschedule, canTransition } from './lifecycle.js';
import { recordEvent } from '../events/record.js';
import { releaseCoupon } from '../workspaces/coupons-repository.js';
import { visitEvent } from './present.js';
import { findVisit, listVisits, updateVisit, type LabVisitRow, type VisitFilters } from './repository.js';
import type { LabVisitStatus, ResultFlag, StoredLabTestResult } from './tables.js';

const notFound = () => Errors.notFound('Lab visit not found.');

async function auditVisit(tx: Tx, ctx: VisitContext, action: AuditAction, visitId: string): Promise<void> {
  await audit(tx, ctx.actor, { action, resourceType: VISIT, resourceId: visitId, tenant: ctx.workspaceId });
}

export async function readLabVisit(tx: Tx, ctx: VisitContext, id: string): Promise<LabVisitRow> {
  const visit = await findVisit(tx, ctx.workspaceId, id);
  if (!visit) throw notFound();
  await auditVisit(tx, ctx, 'read', visit.id);
  return visit;
}

/** A cursor of the visit list: the (labVisitDate, id) of the last visit of the previous page. */
const VISIT_CURSOR = cursorCodec('timestamp', 'objectId');

/** A page of visits; only the visits returned are audited (not the look-ahead row). */
export async function listLabVisits(
  tx: Tx,
  ctx: VisitContext,
  filters: Omit<VisitFilters, 'after'>,
  query: PageParams,
): Promise<{ items: LabVisitRow[]; nextCursor: string | null }> {
  const page = await fetchPage(
    query,
    VISIT_CURSOR,
    (after, limit) =>
      listVisits(
        tx,
        ctx.workspaceId,
        { ...filters, after: after && { date: after[0], id: after[1] } },
        limit,
      ),
    (v) => [v.labVisitDate, v.id],
  );
  await audit(
    tx,
    ctx.actor,
    page.items.map((v) => ({
      action: 'list' as const,
      resourceType: VISIT,
      resourceId: v.id,
      tenant: ctx.workspaceId,
    })),
  );
  return page;
}

/**
 * A visit that will not take place gives its coupon's redemption back, so that the client can use
 * the coupon for the visit that replaces it (docs/workspace-lab-visits.md). Its pricing keeps the
 * coupon and the discount as booked.
 */
async function giveCouponBack(tx: Tx, visit: LabVisitRow): Promise<void> {
  if (visit.couponId !== null) await releaseCoupon(tx, visit.workspaceId, visit.couponId);
}

export interface VisitChanges {
  status?: LabVisitStatus;
  notes?: string | null;
  labVisitDate?: Date;
}

export async function changeLabVisit(
  tx: Tx,
  ctx: VisitContext,
  id: string,
  changes: VisitChanges,
): Promise<LabVisitRow> {
  const visit = await findVisit(tx, ctx.workspaceId, id, { forUpdate: true });
  if (!visit) throw notFound();
  if (changes.status !== undefined && !canTransition(visit.status, changes.status)) {
    throw Errors.invalidTransition(`A ${visit.status} visit cannot become ${changes.status}.`);
  }
  if (changes.labVisitDate !== undefined && !canReschedule(visit.status)) {
    throw Errors.invalidTransition(`A ${visit.status} visit cannot be moved to another date.`);
  }
  if (changes.status === 'cancelled') await giveCouponBack(tx, visit);
  const updated = await updateVisit(tx, ctx.workspaceId, id, {
    ...(changes.status === undefined ? {} : { status: changes.status }),
    ...(changes.notes === undefined ? {} : { notes: changes.notes }),
    ...(changes.labVisitDate === undefined ? {} : { labVisitDate: changes.labVisitDate }),
  });
  await auditVisit(tx, ctx, changes.status === 'cancelled' ? 'cancel' : 'update', id);
  const event = visitEvent('lab_visit.updated', visit, updated!);
  // A change that changes nothing but the time of the change is no event.
  if (Object.keys(event.previous).some((k) => k !== 'updatedAt')) await recordEvent(tx, event);
  return updated!;
}

export interface ResultInput {
  testId: number;
  value: number | string;
  unit?: string | null;
  referenceRange?: string | null;
  flag?: ResultFlag | null;
}

/** Adds results, replacing earlier ones for the same tests; results stay in the visit's test order. */
export async function attachResults(
  tx: Tx,
  ctx: VisitContext,
  id: string,
  results: readonly ResultInput[],
): Promise<LabVisitRow> {
  const visit = await findVisit(tx, ctx.workspaceId, id, { forUpdate: true });
  if (!visit) throw notFound();
  if (!acceptsResults(visit.status)) {
    throw Errors.invalidTransition(
      `Results can be attached once the sample is collected; this visit is ${visit.status}.`,
    );
  }
  const foreign = results.map((r) => r.testId).filter((t) => !visit.labTestIds.includes(t));
  if (foreign.length > 0) throw Errors.unknownLabTests(foreign, '/labTestResults');
  const resultedAt = new Date().toISOString();
  const byTest = new Map(visit.labTestResults.map((r) => [r.testId, r]));
  for (const r of results) {
    byTest.set(r.testId, {
      testId: r.testId,
      value: r.value,
      unit: r.unit ?? null,
      referenceRange: r.referenceRange ?? null,
      flag: r.flag ?? null,
      resultedAt,
    } satisfies StoredLabTestResult);
  }
  const merged = visit.labTestIds.flatMap((t) => byTest.get(t) ?? []);
  const updated = await updateVisit(tx, ctx.workspaceId, id, { labTestResults: merged });
  await auditVisit(tx, ctx, 'update', id);
  await recordEvent(tx, visitEvent('lab_visit.results_added', visit, updated!));
  return updated!;
}

export async function deleteLabVisit(tx: Tx, ctx: VisitContext, id: string): Promise<LabVisitRow> {
  const visit = await findVisit(tx, ctx.workspaceId, id, { forUpdate: true });
  if (!visit) throw notFound();
  // A cancelled visit gave its coupon use back already; a collected or completed one used it.
  if (canReschedule(visit.status)) await giveCouponBack(tx, visit);
  const deleted = await updateVisit(tx, ctx.workspaceId, id, { deletedAt: new Date() });
  if (!deleted) throw notFound();
  await auditVisit(tx, ctx, 'delete', id);
  await recordEvent(tx, visitEvent('lab_visit.deleted', visit, deleted));
  return deleted;
}
