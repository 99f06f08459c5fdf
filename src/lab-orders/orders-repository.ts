/** SQL for lab orders and their events. Status changes only ever move an order forward. */
import { and, asc, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import type { JunctionOrder } from '../junction/types.js';
import { brandPanels, junctionUsers, labOrderEvents, labOrders, type LabOrderStatus } from './schema.js';

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

export function statusRank(status: string): number {
  return RANK[status as LabOrderStatus] ?? -1;
}

export async function insertOrder(q: Queryable, order: typeof labOrders.$inferInsert): Promise<LabOrderRow> {
  const [row] = await q.insert(labOrders).values(order).returning();
  if (!row) throw new Error('order insert returned no row');
  return row;
}

export async function findOrder(q: Queryable, id: string, opts: { lock?: boolean } = {}): Promise<LabOrderRow | null> {
  const query = q.select().from(labOrders).where(eq(labOrders.id, id));
  const [row] = opts.lock ? await query.for('update') : await query;
  return row ?? null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The order a Junction order belongs to: by Junction id, or by our id sent as `passthrough`. */
export async function findOrderForJunction(q: Queryable, junctionOrderId: string, localId: string | null) {
  const match = localId && UUID.test(localId)
    ? or(eq(labOrders.junctionOrderId, junctionOrderId), eq(labOrders.id, localId))
    : eq(labOrders.junctionOrderId, junctionOrderId);
  const [row] = await q.select().from(labOrders).where(match).for('update');
  return row ?? null;
}

export async function orderEvents(q: Queryable, orderId: string): Promise<LabOrderEventRow[]> {
  return q.select().from(labOrderEvents).where(eq(labOrderEvents.orderId, orderId)).orderBy(asc(labOrderEvents.id));
}

export async function addEvent(
  q: Queryable,
  orderId: string,
  e: { status: string; statusDetail: string | null; source: string; occurredAt: Date },
): Promise<void> {
  await q.insert(labOrderEvents).values({ orderId, ...e });
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
  const at = new Date(order.updatedAt);
  const from = statusRank(current.status);
  const to = statusRank(order.status);
  const sameStepLater =
    to === from &&
    from < TERMINAL &&
    order.statusDetail !== current.statusDetail &&
    (current.statusAt === null || at > current.statusAt);
  const forward = to > from || sameStepLater || (current.junctionOrderId === null && to >= from);

  // Events Junction reports that we have not stored yet (matched by detail and time).
  const known = await orderEvents(q, current.id);
  const seen = new Set(known.map((e) => `${e.statusDetail}|${e.occurredAt.toISOString()}`));
  for (const ev of order.events) {
    const occurredAt = new Date(ev.createdAt);
    if (seen.has(`${ev.status}|${occurredAt.toISOString()}`)) continue;
    await addEvent(q, current.id, {
      status: ev.status.split('.')[0] ?? ev.status,
      statusDetail: ev.status,
      source: 'junction',
      occurredAt,
    });
  }

  if (!forward && current.junctionOrderId !== null) return { changed: false, row: current };
  const set: Partial<typeof labOrders.$inferInsert> = {
    junctionOrderId: order.id,
    junctionUserId: order.userId,
    updatedAt: new Date(),
  };
  if (forward) {
    set.status = order.status;
    set.statusDetail = order.statusDetail;
    set.statusAt = at;
    if (order.status === 'completed' && current.completedAt === null) set.completedAt = at;
  }
  const [row] = await q.update(labOrders).set(set).where(eq(labOrders.id, current.id)).returning();
  return { changed: forward, row: row ?? current };
}

/** Records Junction's refusal of a still-submitting order; null if the order had moved on. */
export async function markRejected(
  q: Queryable,
  id: string,
  reason: { statusCode: number; reason: string },
): Promise<LabOrderRow | null> {
  const [row] = await q
    .update(labOrders)
    .set({ status: 'rejected', statusDetail: null, rejection: reason, updatedAt: new Date() })
    .where(and(eq(labOrders.id, id), eq(labOrders.status, 'submitting')))
    .returning();
  return row ?? null;
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
  if (f.after) {
    conds.push(
      or(
        lt(labOrders.createdAt, f.after.createdAt),
        and(eq(labOrders.createdAt, f.after.createdAt), lt(labOrders.id, f.after.id)),
      )!,
    );
  }
  return q
    .select()
    .from(labOrders)
    .where(conds.length > 0 ? and(...conds) : undefined)
    .orderBy(desc(labOrders.createdAt), desc(labOrders.id))
    .limit(f.limit);
}

export async function cachedJunctionUser(q: Queryable, clientUserId: string): Promise<string | null> {
  const [row] = await q.select().from(junctionUsers).where(eq(junctionUsers.clientUserId, clientUserId));
  return row?.junctionUserId ?? null;
}

export async function cacheJunctionUser(q: Queryable, clientUserId: string, junctionUserId: string): Promise<void> {
  await q.insert(junctionUsers).values({ clientUserId, junctionUserId }).onConflictDoNothing();
}

export async function brandPanelOverride(q: Queryable, brandId: string, panelId: string): Promise<string | null> {
  const [row] = await q
    .select()
    .from(brandPanels)
    .where(and(eq(brandPanels.brandId, brandId), eq(brandPanels.panelId, panelId)));
  return row?.labTestId ?? null;
}

export async function setBrandPanel(q: Queryable, brandId: string, panelId: string, labTestId: string): Promise<void> {
  await q
    .insert(brandPanels)
    .values({ brandId, panelId, labTestId })
    .onConflictDoUpdate({ target: [brandPanels.brandId, brandPanels.panelId], set: { labTestId, updatedAt: sql`now()` } });
}
