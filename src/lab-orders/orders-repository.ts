/** SQL for lab orders and their events. Status changes only ever move an order forward. */
import { and, asc, eq, exists, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { AuditActor } from '../audit/audit.js';
import { auditEvents } from '../audit/tables.js';
import {
  inline,
  mergeValues,
  newestFirst,
  olderThan,
  preparedRows,
  templateRows,
  type Part,
  type Queryable,
  type Values,
} from '../db/database.js';
import type { JunctionOrder } from '../junction/types.js';
import { isCorrection, isRedrawAvailable, topLevelOf } from '../junction/order-statuses.js';
import { eventCtes } from '../events/record.js';
import { profileShape, upsertPatientStatement, type PatientChanges } from './patients.js';
import { orderChangeEvent } from './presenters.js';
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
 * The first phase of a create as one statement (atomic on its own, one round trip): the
 * Idempotency-Key claim, the patient profile, the order as `submitting` and the audit rows of
 * both; and, read along the way, the Junction user cached for the patient. `claim` is the
 * key's statement (IdempotencyContext.claimStatement); when `gated`, nothing else is written
 * unless it returned its row, and `claimed` is false.
 */
export async function insertSubmittingOrder(
  q: Queryable,
  claim: {
    gated: boolean;
    statement: Part;
    /** the key's row (one column, `key_row`), returned when the claim loses (IdempotencyContext.keyRowStatement) */
    keyRow?: Part;
  },
  o: NewSubmittingOrder,
): Promise<{ claimed: boolean; row: LabOrderRow | null; junctionUserId: string | null; keyRow: unknown }> {
  // The text depends only on the claim's kind and the profile fields sent (templateRows).
  const kind = claim.gated ? (claim.keyRow ? 'claim-first' : 'claim') : 'takeover';
  const shape = `lab_order_insert:${kind}:${o.profile ? profileShape(o.profile) : '-'}`;
  const patient = o.profile ? upsertPatientStatement(o.brandId, o.patientId, o.profile, 'gate') : null;
  const values = mergeValues(claim.statement.values, claim.keyRow?.values, patient?.values, {
    brand_id: o.brandId,
    order_patient_id: o.patientId,
    panel_id: o.panelId,
    order_id: o.id,
    default_lab_test_id: o.defaultLabTestId,
    created_by: o.createdBy,
    actor: o.actor.actor,
    request_id: o.actor.requestId,
    junction_environment: o.junctionEnvironment,
  });
  const [row] = await templateRows<{
    claimed: boolean;
    lab_test_id: string | null;
    // Date on node-postgres, text or Date on PGlite: new Date() takes both.
    created_at: Date | string | null;
    updated_at: Date | string | null;
    junction_user_id: string | null;
    key_row?: unknown;
  }>(q, shape, {
    values,
    sql: (slot) => {
      const brandId = slot('brand_id');
      const patientId = slot('order_patient_id');
      const ctes = [
        sql`claim as (${claim.statement.sql(slot)})`,
        sql`gate as (${claim.gated ? sql`select 1 from claim` : sql`select 1`})`,
      ];
      if (patient) ctes.push(sql`patient as (${patient.sql(slot)})`);
      const patientAction = patient
        ? sql`case when (select created from patient) then 'create' else 'update' end`
        : sql`'read'`;
      const panelId = slot('panel_id');
      const orderId = slot('order_id');
      ctes.push(sql`ord as (
      insert into ${labOrders} (id, brand_id, patient_id, panel_id, lab_test_id, status, created_by)
      select ${orderId}::uuid, ${brandId}, ${patientId}::uuid, ${panelId},
             coalesce((select lab_test_id from ${brandPanels} where brand_id = ${brandId} and panel_id = ${panelId}), ${slot('default_lab_test_id')}),
             'submitting', ${slot('created_by')}
      from gate
      returning lab_test_id, created_at, updated_at)`);
      // Audit rows in the order the changes happen: the patient, then the order.
      ctes.push(sql`audit as (
      insert into ${auditEvents} (actor, request_id, action, resource_type, resource_id, tenant)
      select ${slot('actor')}, ${slot('request_id')}, a.action, a.resource_type, a.resource_id, ${brandId}
      from gate, (values (1, ${patientAction}, 'patient', ${patientId}::text), (2, 'create', 'lab_order', ${orderId}::text)) as a (n, action, resource_type, resource_id)
      order by a.n)`);
      // A claim that loses reads the key's row as it stood when the statement began.
      const keyRow = claim.keyRow
        ? {
            columns: sql`, k.key_row`,
            join: sql` left join (${claim.keyRow.sql(slot)}) k on not exists (select 1 from gate)`,
          }
        : { columns: sql``, join: sql`` };
      return sql`with ${sql.join(ctes, sql`, `)}
      select exists (select 1 from gate) as claimed,
             ord.lab_test_id, ord.created_at, ord.updated_at,
             (select junction_user_id from ${junctionUsers} where junction_environment = ${slot('junction_environment')} and brand_id = ${brandId} and patient_id = ${patientId}::uuid) as junction_user_id${keyRow.columns}
      from (select 1) as one left join ord on true${keyRow.join}`;
    },
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
    claimed: row.claimed,
    row: inserted,
    junctionUserId: row.junction_user_id,
    keyRow: row.key_row ?? null,
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

/** Inserts the events not stored yet (matched by detail and time), in Junction's order. */
function newEventsStatement(orderId: string, events: JunctionOrderChange['events'], when?: SQL): Part | null {
  if (events.length === 0) return null;
  const values: Values = { history_order_id: orderId };
  events.forEach((e, i) => {
    values[`history_${i}_status`] = e.status;
    values[`history_${i}_detail`] = e.statusDetail;
    values[`history_${i}_at`] = e.occurredAt.toISOString();
  });
  return {
    values,
    sql: (slot) => {
      const rowsSql = sql.join(
        events.map(
          (_e, i) =>
            sql`(${sql.raw(String(i))}, ${slot(`history_${i}_status`)}, ${slot(`history_${i}_detail`)}, ${slot(`history_${i}_at`)})`,
        ),
        sql`, `,
      );
      const id = slot('history_order_id');
      return sql`
    insert into ${labOrderEvents} (order_id, status, status_detail, source, occurred_at)
    select ${id}::uuid, v.status, v.status_detail, 'junction', v.occurred_at::timestamptz
    from (values ${rowsSql}) as v (n, status, status_detail, occurred_at)
    where not exists (
      select 1 from ${labOrderEvents} e
      where e.order_id = ${id}::uuid and e.status_detail = v.status_detail and e.occurred_at = v.occurred_at::timestamptz
    )${when ? sql` and ${when}` : sql``}
    order by v.n`;
    },
  };
}

/**
 * Applies Junction's view of an order (from its answer or a webhook) if it moves the order
 * forward; records the events not seen before. Must run in a transaction holding the row lock.
 * One statement: the events, the order and, when given, `also` (e.g. storing the response of an
 * Idempotency-Key) are written together.
 */
export async function applyJunctionOrder(
  q: Queryable,
  current: LabOrderRow,
  order: JunctionOrder,
): Promise<{ changed: boolean; row: LabOrderRow }> {
  return writeJunctionOrderChange(q, current, junctionOrderChange(current, order));
}

/**
 * Writes a change from junctionOrderChange (the row it was decided from must still be locked) as
 * one statement, sent prepared (see preparedRows): Junction's events not stored yet, `also` (e.g.
 * storing the response of an Idempotency-Key), the order, and the order's event (docs/events.md)
 * when its status changes. The new row is `{ ...current, ...change.set }`: every value it sets
 * comes from here.
 */
export async function writeJunctionOrderChange(
  q: Queryable,
  current: LabOrderRow,
  change: JunctionOrderChange,
  also?: Part,
): Promise<{ changed: boolean; row: LabOrderRow }> {
  const next = change.set ? { ...current, ...change.set } : current;
  const ctes = changeCtes(current, next, change, also ?? null).map(inline);
  const withClause = ctes.length > 0 ? sql`with ${sql.join(ctes, sql`, `)} ` : sql``;
  if (change.set === null) {
    if (ctes.length > 0) await preparedRows(q, sql`${withClause}select 1`);
    return { changed: false, row: current };
  }
  const update = q.update(labOrders).set(change.set).where(eq(labOrders.id, current.id));
  await preparedRows(q, sql`${withClause}${update.getSQL()}`);
  return { changed: change.forward, row: next };
}

/**
 * What is written with an order's change, as CTEs in this order: Junction's events not stored
 * yet, `also`, and the order's event when its status changes; `when` (a condition over the rest
 * of the statement) gates all three.
 */
function changeCtes(
  current: LabOrderRow,
  next: LabOrderRow,
  change: JunctionOrderChange,
  also: Part | null,
  when?: SQL,
): Part[] {
  const ctes: Part[] = [];
  const history = newEventsStatement(current.id, change.events, when);
  if (history) ctes.push(named('history', history));
  if (also) ctes.push(named('also', also));
  const event = orderChangeEvent(current, next);
  if (event) ctes.push(eventCtes(event, when));
  return ctes;
}

/** `part` as the CTE `name as (…)`. */
function named(name: string, part: Part): Part {
  return { values: part.values, sql: (slot) => sql`${sql.raw(name)} as (${part.sql(slot)})` };
}

/**
 * writeJunctionOrderChange without a transaction or a lock, for an order this request has just
 * inserted as `submitting` (the create's last phase, one round trip instead of four): the
 * statement's update applies only while the order is still as `current` says (submitting, no
 * Junction id), and everything else it writes (`also(when)`, the history, the event) only if the
 * update did. Null when the order had moved on (a Junction webhook or reconciliation got there
 * first): nothing was written, and the caller takes the locking path.
 */
export async function writeJunctionOrderChangeIfUnchanged(
  q: Queryable,
  current: LabOrderRow,
  change: JunctionOrderChange,
  also: (when: SQL) => Part,
): Promise<LabOrderRow | null> {
  const set = change.set;
  if (set === null || current.status !== 'submitting' || current.junctionOrderId !== null) return null;
  const next = { ...current, ...set };
  // The text depends only on which columns change, how many of Junction's events there are and
  // whether the status changes (an event is written then: orderChangeEvent); every create of the
  // usual kind sends the same one (templateRows).
  const columns = (Object.keys(set) as (keyof typeof set)[]).filter((k) => set[k] !== undefined).sort();
  const statusChanges = next.status !== current.status;
  const shape = `lab_order_answer:${columns.join(',')}:${change.events.length}:${statusChanges ? 'event' : ''}`;
  const when = sql`exists (select 1 from upd)`;
  const ctes = changeCtes(current, next, change, also(when), when);
  // Each value as the column sends it (a Date as its ISO text), as drizzle's update builder would.
  const own: Values = { order_id: current.id };
  for (const k of columns) own[`set_${k}`] = labOrders[k].mapToDriverValue(set[k]);
  const values = mergeValues(own, ...ctes.map((cte) => cte.values));
  const [row] = await templateRows<{ updated: boolean }>(q, shape, {
    values,
    sql: (slot) => {
      const assignments = sql.join(
        columns.map((k) => sql`${sql.identifier(labOrders[k].name)} = ${slot(`set_${k}`)}`),
        sql`, `,
      );
      const upd = sql`upd as (update ${labOrders} set ${assignments}
        where ${labOrders.id} = ${slot('order_id')}::uuid and ${labOrders.status} = 'submitting' and ${labOrders.junctionOrderId} is null
        returning ${labOrders.id})`;
      return sql`with ${sql.join([upd, ...ctes.map((cte) => cte.sql(slot))], sql`, `)} select exists (select 1 from upd) as updated`;
    },
  });
  return row?.updated ? next : null;
}

/**
 * Records Junction's refusal of a still-submitting order (locked by the caller) and its
 * `lab_order.rejected` event, one statement; null if the order had moved on.
 */
export async function markRejected(
  q: Queryable,
  current: LabOrderRow,
  reason: { statusCode: number; reason: string },
): Promise<LabOrderRow | null> {
  const set = { status: 'rejected' as const, statusDetail: null, rejection: reason, updatedAt: new Date() };
  const next: LabOrderRow = { ...current, ...set };
  const update = q
    .update(labOrders)
    .set(set)
    .where(and(eq(labOrders.id, current.id), eq(labOrders.status, 'submitting')))
    .returning({ id: labOrders.id });
  const event = orderChangeEvent(current, next);
  const ctes = [sql`rejected as (${update.getSQL()})`];
  if (event) ctes.push(inline(eventCtes(event, sql`exists (select 1 from rejected)`)));
  const [row] = await preparedRows<{ updated: boolean }>(
    q,
    sql`with ${sql.join(ctes, sql`, `)} select exists (select 1 from rejected) as updated`,
  );
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
