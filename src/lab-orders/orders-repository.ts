/** SQL for lab orders and their events. Status changes only ever move an order forward. */
import { and, asc, eq, exists, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { newestFirst, olderThan, type Database, type Queryable } from '../db/database.js';
import { runStatement } from '../db/statements.js';
import type { JunctionOrder } from '../junction/types.js';
import { isCorrection, isRedrawAvailable, topLevelOf } from '../junction/order-statuses.js';
import type { AuditActor } from '../audit/audit.js';
import { eventParams } from '../events/record.js';
import type { ClaimKeyParams } from '../idempotency/sql/claim-key.sql.js';
import type { CompleteKeyParams } from '../idempotency/sql/complete-key.sql.js';
import type { PatientChanges } from './patients.js';
import { orderChangeEvent } from './presenters.js';
import { applyJunctionOrder as applyJunctionOrderStatement } from './sql/apply-junction-order.sql.js';
import { claimOrder } from './sql/claim-order.sql.js';
import { rejectOrder } from './sql/reject-order.sql.js';
import { brandPanels, junctionUsers, labOrderEvents, labOrders, type LabOrderStatus } from './tables.js';

export type LabOrderRow = typeof labOrders.$inferSelect;
export type LabOrderEventRow = typeof labOrderEvents.$inferSelect;

/**
 * Lifecycle rank: an update applies only when it ranks higher, or the same non-terminal rank
 * with a later Junction time (a finer step such as received.*.requisition_created).
 */
const RANK: Record<LabOrderStatus, number> = {
  submitting: 0,
  received: 1,
  collecting_sample: 2,
  sample_with_lab: 3,
  completed: 9,
  cancelled: 9,
  failed: 9,
  rejected: 9,
};
const TERMINAL = 9;
const REDRAW_AVAILABLE = 8;

export function statusRank(status: string): number {
  return RANK[status as LabOrderStatus] ?? -1;
}

export interface NewSubmittingOrder {
  id: string;
  brandId: string;
  patientId: string;
  panelId: string;
  /** the panel's lab test when the brand has no override of it */
  defaultLabTestId: string;
  createdBy: string;
  /** the Junction the order goes to, for its cached user (JunctionDeps.environment) */
  junctionEnvironment: string;
  /** what the request sends about the patient, kept in the profile; null when it sends nothing */
  profile: PatientChanges | null;
  actor: AuditActor;
}

/**
 * The first phase of a create as one statement (claim-order.sql.ts): the Idempotency-Key claim,
 * the patient profile, the order as `submitting` and the audit rows of both, and the Junction user
 * cached for the patient. `held` false: another request holds the key (nothing was written).
 */
export async function insertSubmittingOrder(
  database: Database,
  claim: ClaimKeyParams,
  o: NewSubmittingOrder,
): Promise<{ held: boolean; row: LabOrderRow | null; junctionUserId: string | null }> {
  const p = o.profile ?? {};
  const [row] = await runStatement(database, claimOrder, {
    ...claim,
    brandId: o.brandId,
    patientId: o.patientId,
    panelId: o.panelId,
    orderId: o.id,
    defaultLabTestId: o.defaultLabTestId,
    createdBy: o.createdBy,
    actor: o.actor.actor,
    requestId: o.actor.requestId,
    junctionEnvironment: o.junctionEnvironment,
    hasProfile: o.profile !== null,
    firstName: p.firstName ?? null,
    lastName: p.lastName ?? null,
    dob: p.dob ?? null,
    email: p.email ?? null,
    gender: p.gender ?? null,
    phoneNumber: p.phoneNumber ?? null,
    addressLine1: p.address?.line1 ?? null,
    addressLine2: p.address?.line2 ?? null,
    city: p.address?.city ?? null,
    state: p.address?.state ?? null,
    zip: p.address?.zip ?? null,
    country: p.address?.country ?? null,
  });
  if (!row) throw new Error('order insert returned no row');
  const inserted: LabOrderRow | null =
    row.claimed && row.lab_test_id !== null && row.created_at !== null && row.updated_at !== null
      ? {
          id: o.id,
          brandId: o.brandId,
          patientId: o.patientId,
          panelId: o.panelId,
          labTestId: row.lab_test_id,
          status: 'submitting',
          statusDetail: null,
          statusAt: null,
          junctionOrderId: null,
          junctionUserId: null,
          rejection: null,
          createdBy: o.createdBy,
          createdAt: new Date(row.created_at),
          updatedAt: new Date(row.updated_at),
          completedAt: null,
          checkedAt: null,
        }
      : null;
  return {
    held: row.claimed,
    row: inserted,
    junctionUserId: row.junction_user_id,
  };
}

export async function findOrder(
  q: Queryable,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<LabOrderRow | null> {
  // Named, so that each pooled connection plans it once: every create and read comes here.
  const query = q
    .select()
    .from(labOrders)
    .where(eq(labOrders.id, sql.placeholder('id')));
  const [row] = opts.lock
    ? await query.for('update').prepare('lab_order_by_id_for_update').execute({ id })
    : await query.prepare('lab_order_by_id').execute({ id });
  return row ?? null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The local order a Junction order belongs to, locked. By Junction's order id; by `passthrough`
 * (our order id, sent with the create) only for an order that has no Junction id yet and whose
 * brand's patient has the Junction order's user. `passthrough` is whatever the creator of a
 * Junction order sent: anyone able to create orders under the same Junction team could name one of
 * our orders with it, so it alone must never attach a Junction order to a local one.
 * `mismatch`: the passthrough names an order this rule refuses (the caller logs it, changes nothing).
 */
export async function findOrderForJunction(
  q: Queryable,
  order: { id: string; userId: string; passthrough: string | null },
): Promise<{ row: LabOrderRow | null; mismatch: boolean }> {
  const byJunctionId = async () => {
    const [row] = await q
      .select()
      .from(labOrders)
      .where(eq(labOrders.junctionOrderId, order.id))
      .for('update');
    return row ?? null;
  };
  const attached = await byJunctionId();
  if (attached) return { row: attached, mismatch: false };
  const localId = order.passthrough;
  if (!localId || !UUID.test(localId)) return { row: null, mismatch: false };
  const [byPassthrough] = await q
    .select()
    .from(labOrders)
    .where(
      and(
        eq(labOrders.id, localId),
        isNull(labOrders.junctionOrderId),
        exists(
          q
            .select({ one: sql`1` })
            .from(junctionUsers)
            .where(
              and(
                eq(junctionUsers.brandId, labOrders.brandId),
                eq(junctionUsers.patientId, labOrders.patientId),
                eq(junctionUsers.junctionUserId, order.userId),
              ),
            ),
        ),
      ),
    )
    .for('update');
  if (byPassthrough) return { row: byPassthrough, mismatch: false };
  // Another webhook of the same order (Junction sends created and updated moments apart) may have
  // attached it while this one waited for the row's lock: by Junction's id, it is found now.
  const attachedMeanwhile = await byJunctionId();
  if (attachedMeanwhile) return { row: attachedMeanwhile, mismatch: false };
  const [named] = await q.select({ id: labOrders.id }).from(labOrders).where(eq(labOrders.id, localId));
  return { row: null, mismatch: named !== undefined };
}

export async function orderEvents(q: Queryable, orderId: string): Promise<LabOrderEventRow[]> {
  return q
    .select()
    .from(labOrderEvents)
    .where(eq(labOrderEvents.orderId, orderId))
    .orderBy(asc(labOrderEvents.id));
}

/** What Junction's view of an order changes, decided from the locked row (see applyJunctionOrder). */
export interface JunctionOrderChange {
  /** the order moves forward in its lifecycle */
  forward: boolean;
  /** the order's new values; null when it stays as it is */
  set: Partial<typeof labOrders.$inferInsert> | null;
  /** Junction's events, in its order; those already stored (same detail and time) are skipped when written */
  events: { status: string; statusDetail: string; occurredAt: Date }[];
}

/**
 * Where a status stands in the lifecycle (docs/junction.md, "Every status Junction sends"): its
 * top-level rank, except `redraw_available`, which Junction reports as `collecting_sample` after
 * the lab resulted the sample: the order's results are final (incomplete), nothing follows but,
 * possibly, its end.
 */
function progressOf(status: LabOrderStatus, detail: string | null): number {
  return isRedrawAvailable(detail) ? REDRAW_AVAILABLE : statusRank(status);
}

export function junctionOrderChange(current: LabOrderRow, order: JunctionOrder): JunctionOrderChange {
  const at = new Date(order.updatedAt);
  // A status labline cannot place leaves the order where it is (an order Junction has just
  // accepted is at least `received`); its detail is still kept.
  const status: LabOrderStatus =
    order.status ??
    (current.status === 'submitting' || current.status === 'rejected' ? 'received' : current.status);
  const from = progressOf(current.status, current.statusDetail);
  const to = progressOf(status, order.statusDetail);
  const later = current.statusAt === null || at > current.statusAt;
  const sameStepLater =
    to === from && from < TERMINAL && order.statusDetail !== current.statusDetail && later;
  // The lab corrected a completed order's results: a step of its own, each time (a new event).
  const correction =
    current.status === 'completed' && status === 'completed' && isCorrection(order.statusDetail) && later;
  const forward =
    to > from || sameStepLater || correction || (current.junctionOrderId === null && to >= from);
  const events = order.events.map((ev) => ({
    status: topLevelOf(ev.status, null) ?? status,
    statusDetail: ev.status,
    occurredAt: new Date(ev.createdAt),
  }));

  if (!forward && current.junctionOrderId !== null) return { forward, set: null, events };
  const set: Partial<typeof labOrders.$inferInsert> = {
    junctionOrderId: order.id,
    junctionUserId: order.userId,
    updatedAt: new Date(),
  };
  if (forward) {
    set.status = status;
    set.statusDetail = order.statusDetail;
    set.statusAt = at;
    if (status === 'completed' && current.completedAt === null) set.completedAt = at;
  }
  return { forward, set, events };
}

/**
 * Applies Junction's view of an order (from its answer or a webhook) if it moves the order
 * forward; records the events not seen before. Must run in a transaction holding the row lock.
 */
export async function applyJunctionOrder(
  q: Queryable,
  current: LabOrderRow,
  order: JunctionOrder,
): Promise<{ changed: boolean; row: LabOrderRow }> {
  return writeJunctionOrderChange(q, current, junctionOrderChange(current, order));
}

/**
 * Writes a change from junctionOrderChange as one statement (apply-junction-order.sql.ts): the
 * order becomes `{ ...current, ...change.set }`, with Junction's events not stored yet, the
 * order's event when its status changes, and `completion` (a create's stored response) if given.
 *
 * `current` must be the row as stored: locked by the caller, or (`ifSubmitting`) the order this
 * request has just inserted, which the statement then changes only while it is still submitting
 * without a Junction id. `written` false: it had moved on (a webhook or reconciliation got there
 * first), nothing was written, and the caller takes the locking path.
 */
export async function writeJunctionOrderChange(
  q: Database | Queryable,
  current: LabOrderRow,
  change: JunctionOrderChange,
  options: { completion?: CompleteKeyParams; ifSubmitting?: boolean } = {},
): Promise<{ written: boolean; changed: boolean; row: LabOrderRow }> {
  const ifSubmitting = options.ifSubmitting ?? false;
  const unchanged = { written: false, changed: false, row: current };
  if (
    ifSubmitting &&
    (change.set === null || current.status !== 'submitting' || current.junctionOrderId !== null)
  )
    return unchanged;
  const next: LabOrderRow = change.set ? { ...current, ...change.set } : current;
  const event = orderChangeEvent(current, next);
  if (change.set === null && change.events.length === 0 && !options.completion && !event)
    return { ...unchanged, written: true };
  const [row] = await runStatement(q, applyJunctionOrderStatement, {
    orderId: current.id,
    update: change.set !== null,
    ifSubmitting,
    status: next.status,
    statusDetail: next.statusDetail,
    statusAt: next.statusAt?.toISOString() ?? null,
    junctionOrderId: next.junctionOrderId,
    junctionUserId: next.junctionUserId,
    completedAt: next.completedAt?.toISOString() ?? null,
    updatedAt: next.updatedAt.toISOString(),
    history: JSON.stringify(
      change.events.map((e) => ({
        status: e.status,
        status_detail: e.statusDetail,
        occurred_at: e.occurredAt.toISOString(),
      })),
    ),
    ...(options.completion ?? NO_COMPLETION),
    ...eventParams(event),
  });
  if (!row?.written) return unchanged;
  return { written: true, changed: change.set !== null && change.forward, row: next };
}

const NO_COMPLETION: CompleteKeyParams = {
  principal: null,
  route: null,
  key: null,
  responseStatus: null,
  responseBody: null,
};

/**
 * Records Junction's refusal of a still-submitting order (locked by the caller) and its
 * `lab_order.rejected` event, one statement; null if the order had moved on.
 */
export async function markRejected(
  q: Queryable,
  current: LabOrderRow,
  reason: { statusCode: number; reason: string },
): Promise<LabOrderRow | null> {
  const next: LabOrderRow = {
    ...current,
    status: 'rejected',
    statusDetail: null,
    rejection: reason,
    updatedAt: new Date(),
  };
  const [row] = await runStatement(q, rejectOrder, {
    orderId: current.id,
    rejection: JSON.stringify(reason),
    updatedAt: next.updatedAt.toISOString(),
    ...eventParams(orderChangeEvent(current, next)),
  });
  return row?.updated ? next : null;
}

export interface ListFilter {
  brandIds: readonly string[] | null;
  patientId?: string | undefined;
  status?: string | undefined;
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listOrders(q: Queryable, f: ListFilter): Promise<LabOrderRow[]> {
  const conds: SQL[] = [];
  if (f.brandIds) conds.push(inArray(labOrders.brandId, [...f.brandIds]));
  if (f.patientId) conds.push(eq(labOrders.patientId, f.patientId));
  if (f.status) conds.push(eq(labOrders.status, f.status as LabOrderStatus));
  if (f.after) conds.push(olderThan(labOrders.createdAt, labOrders.id, [f.after.createdAt, f.after.id]));
  return q
    .select()
    .from(labOrders)
    .where(conds.length > 0 ? and(...conds) : undefined)
    .orderBy(...newestFirst(labOrders.createdAt, labOrders.id))
    .limit(f.limit);
}

/** The Junction user of a brand's patient cached for this Junction, or null. */
export async function cachedJunctionUser(
  q: Queryable,
  environment: string,
  brandId: string,
  patientId: string,
): Promise<string | null> {
  const [row] = await q
    .select()
    .from(junctionUsers)
    .where(
      and(
        eq(junctionUsers.junctionEnvironment, environment),
        eq(junctionUsers.brandId, brandId),
        eq(junctionUsers.patientId, patientId),
      ),
    );
  return row?.junctionUserId ?? null;
}

/** Keeps (or replaces: the old one is unknown to that Junction now) a brand's patient's Junction user. */
export async function cacheJunctionUser(
  q: Queryable,
  environment: string,
  user: { brandId: string; patientId: string; clientUserId: string; junctionUserId: string },
): Promise<void> {
  await q
    .insert(junctionUsers)
    .values({ junctionEnvironment: environment, ...user })
    .onConflictDoUpdate({
      target: [junctionUsers.junctionEnvironment, junctionUsers.brandId, junctionUsers.patientId],
      set: { clientUserId: user.clientUserId, junctionUserId: user.junctionUserId },
    });
}

export async function brandPanelOverride(
  q: Queryable,
  brandId: string,
  panelId: string,
): Promise<string | null> {
  const [row] = await q
    .select()
    .from(brandPanels)
    .where(and(eq(brandPanels.brandId, brandId), eq(brandPanels.panelId, panelId)));
  return row?.labTestId ?? null;
}

export async function setBrandPanel(
  q: Queryable,
  brandId: string,
  panelId: string,
  labTestId: string,
): Promise<void> {
  await q
    .insert(brandPanels)
    .values({ brandId, panelId, labTestId })
    .onConflictDoUpdate({
      target: [brandPanels.brandId, brandPanels.panelId],
      set: { labTestId, updatedAt: sql`now()` },
    });
}
