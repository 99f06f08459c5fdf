/**
 * POST /v1/lab-orders, exactly once (docs/clinical-lab-orders.md). Three phases, none holding a transaction or a
 * pooled connection across the network call:
 *   1. one transaction: claim the Idempotency-Key, keep the patient profile, insert the order
 *      as `submitting`, audit;
 *   2. Junction: ensure the user, create the order with X-Idempotency-Key = our order id, so a
 *      retry after a crash or a lost answer can never make a second Junction order;
 *   3. one transaction: store Junction's answer and the response for replay.
 * An unknown outcome (timeout, 5xx, reset) leaves the order `submitting` and the key resumable:
 * a retry with the same key resumes this same order with the same Junction key.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { auditActor } from '../audit/audit.js';
import type { Database, Tx } from '../db/database.js';
import { principalOf } from '../http/auth.js';
import { Errors, HttpError } from '../http/errors.js';
import { IdempotencyRace, type IdempotencyContext, type StoredAnswer } from '../idempotency/plugin.js';
import {
  JunctionRejected,
  JunctionUnavailable,
  JunctionUnknownUser,
  JunctionUserLimit,
  type JunctionApi,
  type JunctionOrder,
} from '../junction/types.js';
import {
  brandPanelOverride,
  cacheJunctionUser,
  cachedJunctionUser,
  findOrder,
  insertSubmittingOrder,
  junctionOrderChange,
  markRejected,
  writeJunctionOrderChange,
  type LabOrderRow,
} from './orders-repository.js';
import { forJunction, withStoredProfile } from './junction-requirements.js';
import { junctionClientUserId } from './junction-users.js';
import { findPatient, junctionPatientOf, profileAsChanges, type PatientChanges } from './patients.js';
import type { CreateLabOrderBody, LabOrder } from './schemas.js';

export interface LabOrderDeps {
  database: Database;
  junction: JunctionApi;
  /** which Junction `junction` is (JunctionDeps.environment): the key of its cached users */
  junctionEnvironment: string;
  /** default panel_id → Junction lab test id (configuration, or the simulator's tests in demo mode) */
  panels: Readonly<Record<string, string>>;
}

/** Turns a response body into the exact text sent and stored for replay. */
export type Serialize = (status: number, body: unknown) => string;

export interface CreateResult {
  status: 201 | 502;
  text: string;
}

export function toContractOrder(row: LabOrderRow): LabOrder {
  return {
    id: row.id,
    brand_id: row.brandId,
    patient_id: row.patientId,
    junction_order_id: row.junctionOrderId ?? '',
    panel_id: row.panelId,
    // Only an order Junction accepted is answered with this body: its status is Junction's.
    status: row.status as LabOrder['status'],
    created_at: row.createdAt.toISOString(),
    completed_at: row.completedAt ? row.completedAt.toISOString() : null,
  };
}

/** What the request itself says about the patient, as profile changes. */
function changesFromBody(body: CreateLabOrderBody): PatientChanges {
  const c: PatientChanges = {};
  if (body.patient) {
    c.firstName = body.patient.first_name;
    c.lastName = body.patient.last_name;
    c.dob = body.patient.dob;
    c.email = body.patient.email;
    if (body.patient.gender) c.gender = body.patient.gender;
    if (body.patient.phone_number) c.phoneNumber = body.patient.phone_number;
  }
  if (body.address) c.address = body.address;
  return c;
}

export async function createLabOrder(
  deps: LabOrderDeps,
  request: FastifyRequest,
  body: CreateLabOrderBody,
  idem: IdempotencyContext,
  serialize: Serialize,
): Promise<CreateResult | StoredAnswer> {
  const { database } = deps;
  // The brand was checked by the route's `authorize`, before any replay of a stored answer.
  const principal = principalOf(request);
  const who = auditActor(request);

  // What Junction would refuse is refused before anything is stored or sent (400).
  const fromBody = forJunction(changesFromBody(body));
  // A request that sends the whole patient needs nothing from the stored profile.
  let junctionPatient = junctionPatientOf(fromBody);
  // The key is read when the claim loses (idempotencyLookup: 'on-claim'); a request this handler
  // could refuse before claiming (a patient to complete from the stored profile, a panel that
  // only a brand's override may configure) reads it first, so that a stored answer still wins.
  if (idem.deferred && (!junctionPatient.ok || deps.panels[body.panel_id] === undefined)) {
    const stored = await idem.lookupNow();
    if (stored) return stored;
  }
  if (!junctionPatient.ok) {
    const stored = await findPatient(database.db, body.brand_id, body.patient_id);
    junctionPatient = junctionPatientOf(withStoredProfile(profileAsChanges(stored), fromBody));
    if (!junctionPatient.ok) throw Errors.patientIncomplete(junctionPatient.missing);
  }

  let order: Pick<LabOrderRow, 'id' | 'status' | 'labTestId'> | null = idem.resumedResourceId
    ? await findOrder(database.db, idem.resumedResourceId)
    : null;
  /** the patient's cached Junction user, when already looked up (null: none cached) */
  let cachedUser: string | null | undefined;
  /** the order as this request inserted it (null: resumed from an earlier attempt) */
  let inserted: LabOrderRow | null = null;
  if (order === null) {
    // The brand's override wins over the configured default; without a default, 400 unless an
    // override exists (checked first, before anything is written).
    const defaultLabTestId =
      deps.panels[body.panel_id] ?? (await brandPanelOverride(database.db, body.brand_id, body.panel_id));
    if (!defaultLabTestId) {
      throw Errors.panelNotConfigured(body.panel_id, body.brand_id);
    }
    const id = randomUUID();
    // One statement: the claim comes first, and a concurrent twin that loses it writes nothing.
    const created = await insertSubmittingOrder(database, idem.claimParams(id), {
      id,
      brandId: body.brand_id,
      patientId: body.patient_id,
      panelId: body.panel_id,
      defaultLabTestId,
      createdBy: principal.sub,
      junctionEnvironment: deps.junctionEnvironment,
      profile: body.patient || body.address ? fromBody : null,
      actor: who,
    });
    if (!created.claimed && idem.deferred) {
      // The key exists: replay, 409, or (its request died) taken over, and this create starts
      // again as a retry of that request, resuming what it created.
      const stored = await idem.settleLostClaim(created.keyRow);
      return stored ?? createLabOrder(deps, request, body, idem, serialize);
    }
    if (!created.claimed || !created.row) throw new IdempotencyRace();
    idem.claimed();
    order = inserted = created.row;
    cachedUser = created.junctionUserId;
  }
  const orderId = order.id;

  /** Phase 3: Junction's answer, the order and the stored response commit together. */
  const finish = (apply: (tx: Tx, row: LabOrderRow) => Promise<CreateResult>) =>
    database.transaction(async (tx) => {
      const locked = await findOrder(tx, orderId, { lock: true });
      if (!locked) throw new Error('order vanished');
      const result = await apply(tx, locked);
      if (!idem.completed) await idem.complete(tx, result.status, result.text);
      return result;
    });
  const answer = (row: LabOrderRow): CreateResult =>
    row.status === 'rejected'
      ? { status: 502, text: serialize(502, rejectionError(row).toBody()) }
      : { status: 201, text: serialize(201, toContractOrder(row)) };

  if (order.status !== 'submitting') {
    // An earlier attempt stored Junction's answer but died before answering: answer from it.
    return finish(async (_tx, row) => answer(row));
  }

  const { labTestId } = order;
  const place = (userId: string) =>
    deps.junction.createOrder(
      {
        userId,
        labTestId,
        patient: junctionPatient.patient,
        address: junctionPatient.address,
        passthrough: orderId,
      },
      orderId,
    );
  try {
    const user = await junctionUser(deps, body.brand_id, body.patient_id, cachedUser);
    let placed: JunctionOrder;
    try {
      placed = await place(user.id);
    } catch (err) {
      if (!(err instanceof JunctionUnknownUser && user.cached)) throw err;
      // The cached user is unknown to this Junction now (a sandbox reset, a database moved
      // between Junctions): ensure the user again, once, and send the same order again.
      request.log.warn({ order_id: orderId }, 'cached Junction user unknown to Junction; ensuring it again');
      placed = await place(await ensureJunctionUser(deps, body.brand_id, body.patient_id));
    }
    /** What Junction's answer changes in `row`, and the answer it makes (the order as it becomes). */
    const outcome = (row: LabOrderRow) => {
      const change = junctionOrderChange(row, placed);
      return { change, result: answer(change.set ? { ...row, ...change.set } : row) };
    };
    if (inserted && idem.owned) {
      // The usual case: the order is as this request inserted it, so no lock is needed to decide
      // what Junction's answer changes; one statement writes it unless the order moved on.
      const { change, result } = outcome(inserted);
      const { written } = await writeJunctionOrderChange(database, inserted, change, {
        completion: idem.completion(result.status, result.text),
        ifSubmitting: true,
      });
      if (written) {
        idem.completedWith();
        return result;
      }
    }
    return await finish(async (tx, row) => {
      // The answer is what the order becomes, so that the order and the stored response for the
      // key are written by one statement.
      const { change, result } = outcome(row);
      if (!idem.owned) await idem.claim(tx, idem.resumedResourceId);
      await writeJunctionOrderChange(tx, row, change, {
        completion: idem.completion(result.status, result.text),
      });
      idem.completedWith();
      return result;
    });
  } catch (err) {
    if (err instanceof JunctionRejected) {
      request.log.warn(
        { order_id: orderId, junction_status: err.statusCode, operation: err.operation },
        'Junction rejected the order',
      );
      const rejection = { statusCode: err.statusCode, reason: err.reason };
      return finish(async (tx, row) => answer((await markRejected(tx, row, rejection)) ?? row));
    }
    if (err instanceof JunctionUnavailable) {
      request.log.warn(
        { order_id: orderId, operation: err.operation, reason: err.reason },
        'Junction unavailable; order left resumable',
      );
      throw err instanceof JunctionUserLimit
        ? Errors.junctionUserLimit(err.reason)
        : Errors.junctionUnavailable();
    }
    throw err;
  }
}

function rejectionError(order: LabOrderRow): HttpError {
  const r = order.rejection as { reason?: string } | null;
  return Errors.junctionRejected(r?.reason ?? 'the order was refused');
}

/**
 * The Junction user of a brand's patient: the one cached for this Junction (`cached` is what the
 * order's insert read; undefined: not read yet), or made (or found) at Junction and cached.
 */
export async function junctionUser(
  deps: LabOrderDeps,
  brandId: string,
  patientId: string,
  cached: string | null | undefined,
): Promise<{ id: string; cached: boolean }> {
  const id =
    cached === undefined
      ? await cachedJunctionUser(deps.database.db, deps.junctionEnvironment, brandId, patientId)
      : cached;
  if (id !== null) return { id, cached: true };
  return { id: await ensureJunctionUser(deps, brandId, patientId), cached: false };
}

/** Makes (or finds) the brand's patient's user at Junction and caches it. */
export async function ensureJunctionUser(
  deps: LabOrderDeps,
  brandId: string,
  patientId: string,
): Promise<string> {
  const clientUserId = junctionClientUserId(brandId, patientId);
  const junctionUserId = await deps.junction.ensureUser(clientUserId);
  await cacheJunctionUser(deps.database.db, deps.junctionEnvironment, {
    brandId,
    patientId,
    clientUserId,
    junctionUserId,
  });
  return junctionUserId;
}
