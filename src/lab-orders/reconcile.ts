/**
 * Reconciliation (docs/clinical-lab-orders.md, "Orders that heal themselves"): a periodic job
 * (`lab-orders.reconcile`, once per interval across replicas) so that no order depends on a client
 * retrying or on Junction's webhooks arriving.
 *
 * 1. An order still `submitting` after the Idempotency-Key lease (its request died, or Junction's
 *    answer was lost and the client never retried), whose key no request holds: the job takes the
 *    key's lease (a client retry meanwhile gets 409 in progress, then the answer) and
 *    - within Junction's idempotency window (23 h of its 24, for clock skew) sends the order again
 *      with the same `X-Idempotency-Key` (our order id): Junction answers with the order it made,
 *      or makes it now, never a second one;
 *    - after it, looks the order up among the patient's Junction orders by `passthrough` and
 *      adopts it, or, when Junction has none, marks it `rejected` (with a reason and its
 *      `lab_order.rejected` event): sending it again could make a second order.
 *    Junction refusing the order marks it `rejected` too; Junction unavailable leaves it for the
 *    next run.
 * 2. An order Junction has not finished whose status has not changed for RECONCILE_STALE_AFTER_HOURS
 *    is read again from `GET /v3/order/:id` (webhooks can be lost), at most
 *    RECONCILE_REFRESH_PER_MINUTE a minute, oldest first.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rows, type Database } from '../db/database.js';
import type { JobQueue } from '../jobs/queue.js';
import {
  JunctionRejected,
  JunctionUnavailable,
  JunctionUnknownUser,
  type JunctionOrder,
} from '../junction/types.js';
import { ensureJunctionUser, junctionUser, type LabOrderDeps } from './create-lab-order.js';
import {
  applyJunctionOrder,
  cachedJunctionUser,
  findOrder,
  markRejected,
  type LabOrderRow,
} from './orders-repository.js';
import { findPatient, junctionPatientOf, profileAsChanges } from './patients.js';
import { labOrders } from './tables.js';

export interface ReconcileOptions {
  intervalSeconds: number;
  staleAfterHours: number;
  refreshPerMinute: number;
  /** the Idempotency-Key lease: a submitting order younger than this may still be in its request */
  leaseSeconds: number;
}

/** Junction replays an X-Idempotency-Key for 24 h; we rely on 23 of them. */
const REPLAY_WINDOW_MS = 23 * 3600 * 1000;
/** Stuck orders resumed per run (each is a few calls to Junction). */
const RESUME_BATCH = 20;
const OPEN_STATUSES = ['received', 'collecting_sample', 'sample_with_lab'] as const;

export function registerReconciliation(jobs: JobQueue, deps: LabOrderDeps, options: ReconcileOptions): void {
  jobs.periodic(
    'lab-orders.reconcile',
    options.intervalSeconds,
    async (_job, { log, signal }) => {
      await resumeSubmitting(deps, options, log, signal);
      await refreshStale(deps, options, log, signal);
    },
    { leaseSeconds: Math.max(60, options.intervalSeconds) },
  );
}

async function resumeSubmitting(
  deps: LabOrderDeps,
  options: ReconcileOptions,
  log: Logger,
  signal: AbortSignal,
) {
  const { db } = deps.database;
  const stuck = await db
    .select()
    .from(labOrders)
    .where(
      and(
        eq(labOrders.status, 'submitting'),
        lt(labOrders.createdAt, new Date(Date.now() - options.leaseSeconds * 1000)),
      ),
    )
    .orderBy(asc(labOrders.createdAt))
    .limit(RESUME_BATCH);
  for (const order of stuck) {
    if (signal.aborted) return;
    if (!(await takeKey(deps.database, order.id, options.leaseSeconds))) continue;
    try {
      await resumeOne(deps, order, log);
    } catch (err) {
      if (!(err instanceof JunctionUnavailable)) throw err;
      log.warn(
        { order_id: order.id, operation: err.operation, reason: err.reason },
        'reconcile: Junction unavailable; retried next run',
      );
    } finally {
      await releaseKey(deps.database, order.id);
    }
  }
}

/**
 * Takes the lease of the order's unfinished Idempotency-Key, if it has one: false when a request
 * holds it now (that request is resuming the order itself).
 */
async function takeKey(database: Database, orderId: string, leaseSeconds: number): Promise<boolean> {
  const [row] = await rows<{ keys: number; taken: number }>(
    database.db,
    sql`with keys as (
          select count(*)::int as n from idempotency_keys where resource_id = ${orderId} and state = 'in_progress'),
        taken as (
          update idempotency_keys set locked_until = now() + ${leaseSeconds} * interval '1 second'
          where resource_id = ${orderId} and state = 'in_progress' and (locked_until is null or locked_until <= now())
          returning 1)
        select (select n from keys) as keys, (select count(*)::int from taken) as taken`,
  );
  return !row || row.keys === 0 || row.taken > 0;
}

/** Hands the key back at once: a client retry then answers from the order as it now is. */
async function releaseKey(database: Database, orderId: string): Promise<void> {
  await database.db.execute(
    sql`update idempotency_keys set locked_until = now() where resource_id = ${orderId} and state = 'in_progress'`,
  );
}

async function resumeOne(deps: LabOrderDeps, order: LabOrderRow, log: Logger): Promise<void> {
  const reject = (statusCode: number, reason: string) =>
    deps.database.transaction(async (tx) => {
      const locked = await findOrder(tx, order.id, { lock: true });
      if (locked) await markRejected(tx, locked, { statusCode, reason });
    });
  let placed: JunctionOrder | null;
  try {
    if (Date.now() - order.createdAt.getTime() < REPLAY_WINDOW_MS) {
      placed = await sendAgain(deps, order);
    } else {
      const userId = await cachedJunctionUser(
        deps.database.db,
        deps.junctionEnvironment,
        order.brandId,
        order.patientId,
      );
      placed = userId === null ? null : await deps.junction.findOrderByPassthrough(userId, order.id);
    }
  } catch (err) {
    if (!(err instanceof JunctionRejected)) throw err;
    log.warn(
      { order_id: order.id, junction_status: err.statusCode, operation: err.operation },
      'reconcile: Junction rejected the order',
    );
    return reject(err.statusCode, err.reason);
  }
  if (placed === null) {
    log.warn(
      { order_id: order.id },
      'reconcile: Junction has no order for it after its idempotency window; rejected',
    );
    return reject(
      404,
      'the order never reached Junction, and it was not retried within 24 hours; place it again with a new Idempotency-Key',
    );
  }
  const found = placed;
  const adopted = await deps.database.transaction(async (tx) => {
    const locked = await findOrder(tx, order.id, { lock: true });
    return locked ? (await applyJunctionOrder(tx, locked, found)).changed : false;
  });
  log.info(
    { order_id: order.id, junction_order_id: found.id, adopted },
    'reconcile: submitting order resumed',
  );
}

/** The order sent again under its own id as X-Idempotency-Key (as the create path sends it). */
async function sendAgain(deps: LabOrderDeps, order: LabOrderRow): Promise<JunctionOrder | null> {
  const profile = junctionPatientOf(
    profileAsChanges(await findPatient(deps.database.db, order.brandId, order.patientId)),
  );
  if (!profile.ok)
    throw new JunctionRejected(
      'create_order',
      400,
      `the patient's ${profile.missing.join(', ')} are unknown`,
    );
  const place = (userId: string) =>
    deps.junction.createOrder(
      {
        userId,
        labTestId: order.labTestId,
        patient: profile.patient,
        address: profile.address,
        passthrough: order.id,
      },
      order.id,
    );
  const user = await junctionUser(deps, order.brandId, order.patientId, undefined);
  try {
    return await place(user.id);
  } catch (err) {
    if (!(err instanceof JunctionUnknownUser && user.cached)) throw err;
    return place(await ensureJunctionUser(deps, order.brandId, order.patientId));
  }
}

async function refreshStale(deps: LabOrderDeps, options: ReconcileOptions, log: Logger, signal: AbortSignal) {
  const limit = Math.ceil((options.refreshPerMinute * options.intervalSeconds) / 60);
  if (limit === 0) return;
  const { db } = deps.database;
  const cutoff = new Date(Date.now() - options.staleAfterHours * 3600 * 1000);
  const stale = await db
    .select()
    .from(labOrders)
    .where(
      and(
        inArray(labOrders.status, [...OPEN_STATUSES]),
        isNotNull(labOrders.junctionOrderId),
        lt(labOrders.updatedAt, cutoff),
        or(isNull(labOrders.checkedAt), lt(labOrders.checkedAt, cutoff)),
      ),
    )
    .orderBy(asc(labOrders.updatedAt))
    .limit(limit);
  for (const order of stale) {
    if (signal.aborted) return;
    let current: JunctionOrder | null = null;
    try {
      current = await deps.junction.getOrder(order.junctionOrderId!);
      if (current.undocumentedStatus)
        log.warn(
          {
            order_id: order.id,
            junction_status: current.statusDetail.slice(0, 200),
            placed_as: current.status,
          },
          'reconcile: Junction sent an order status labline does not know; kept as sent',
        );
    } catch (err) {
      if (!(err instanceof JunctionUnavailable || err instanceof JunctionRejected)) throw err;
      log.warn(
        { order_id: order.id, operation: err.operation },
        'reconcile: could not read the order from Junction',
      );
      if (err instanceof JunctionUnavailable) continue;
    }
    const changed = await deps.database.transaction(async (tx) => {
      const locked = await findOrder(tx, order.id, { lock: true });
      const moved = locked && current ? (await applyJunctionOrder(tx, locked, current)).changed : false;
      await tx.update(labOrders).set({ checkedAt: new Date() }).where(eq(labOrders.id, order.id));
      return moved;
    });
    if (changed)
      log.info(
        { order_id: order.id, junction_order_id: order.junctionOrderId },
        'reconcile: stale order refreshed from Junction',
      );
  }
}
