/**
 * POST /v1/lab-orders, exactly once (docs/clinical-lab-orders.md). `createLabOrder` calls three
 * phases in order, none holding a transaction or a pooled connection across the network call:
 *   1. `claim`, one statement: the Idempotency-Key, the patient profile, the order as
 *      `submitting`, the audit rows (sql/claim-order.sql.ts);
 *   2. `callJunction`: ensure the user, create the order with X-Idempotency-Key = our order id, so
 *      a retry after a crash or a lost answer can never make a second Junction order;
 *   3. `recordAnswer`, one statement (or, when the order moved meanwhile, one transaction):
 *      Junction's answer and the response stored for replay.
 * An unknown outcome (timeout, 5xx, reset) leaves the order `submitting` and the key resumable:
 * a retry with the same key resumes this same order with the same Junction key.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { auditActor } from '../audit/audit.js';
import type { Database, Tx } from '../db/database.js';
import { principalOf } from '../http/auth.js';
import { Errors, HttpError } from '../http/errors.js';
import type { IdempotencyContext } from '../idempotency/plugin.js';
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
): Promise<CreateResult> {
  // What Junction would refuse is refused before anything is stored or sent (400).
  const fromBody = forJunction(changesFromBody(body));
  const patient = await patientFor(deps, body, fromBody);
  const claimed = await claim(deps, request, body, fromBody, idem);
  if (claimed.order.status !== 'submitting') {
    // An earlier attempt stored Junction's answer but died before answering: answer from it.
    return recordAnswer(deps, idem, claimed, { recorded: true }, serialize);
  }
  const answer = await callJunction(deps, request, body, claimed, patient);
  return recordAnswer(deps, idem, claimed, answer, serialize);
}

type JunctionPatient = Extract<ReturnType<typeof junctionPatientOf>, { ok: true }>;

/**
 * The patient as Junction needs it: from the request, completed from the stored profile when it
 * lacks fields (400 when both together still lack some).
 */
async function patientFor(
  deps: LabOrderDeps,
  body: CreateLabOrderBody,
  fromBody: PatientChanges,
): Promise<JunctionPatient> {
  const patient = junctionPatientOf(fromBody);
  if (patient.ok) return patient;
  const profile = await findPatient(deps.database.db, body.brand_id, body.patient_id);
  const completed = junctionPatientOf(withStoredProfile(profileAsChanges(profile), fromBody));
  if (!completed.ok) throw Errors.patientIncomplete(completed.missing);
  return completed;
}

interface Claimed {
  order: Pick<LabOrderRow, 'id' | 'status' | 'labTestId'>;
  /** the order as this request inserted it (null: resumed from an earlier attempt) */
  inserted: LabOrderRow | null;
  /** the patient's cached Junction user, as the insert read it (undefined: not read) */
  cachedUser: string | null | undefined;
}

/**
 * Phase 1: the order this request goes on with. The order of an earlier attempt whose request
 * died (the idempotency lookup took its key over: `resumedResourceId`), or a new one, inserted by
 * one statement with the key's claim: a concurrent twin that loses the claim writes nothing and
 * answers 409.
 */
async function claim(
  deps: LabOrderDeps,
  request: FastifyRequest,
  body: CreateLabOrderBody,
  fromBody: PatientChanges,
  idem: IdempotencyContext,
): Promise<Claimed> {
  const resumed = idem.resumedResourceId ? await findOrder(deps.database.db, idem.resumedResourceId) : null;
  if (resumed) return { order: resumed, inserted: null, cachedUser: undefined };
  // The brand's override wins over the configured default; without either, 400.
  const defaultLabTestId =
    deps.panels[body.panel_id] ?? (await brandPanelOverride(deps.database.db, body.brand_id, body.panel_id));
  if (!defaultLabTestId) throw Errors.panelNotConfigured(body.panel_id, body.brand_id);
  const id = randomUUID();
  const claimed = await idem.claimWith(id, (key) =>
    insertSubmittingOrder(deps.database, key, {
      id,
      brandId: body.brand_id,
      patientId: body.patient_id,
      panelId: body.panel_id,
      defaultLabTestId,
      createdBy: principalOf(request).sub,
      junctionEnvironment: deps.junctionEnvironment,
      profile: body.patient || body.address ? fromBody : null,
      actor: auditActor(request),
    }),
  );
  if (!claimed.row) throw new Error('a held claim inserted no order');
  return { order: claimed.row, inserted: claimed.row, cachedUser: claimed.junctionUserId };
}

/** What Junction answered: the order it made, its refusal, or (an earlier attempt's) already recorded. */
type Answer = { placed: JunctionOrder } | { rejected: JunctionRejected } | { recorded: true };

/**
 * Phase 2: the order at Junction, made with our order id as its idempotency key. A cached user
 * Junction no longer knows (a sandbox reset, a database moved between Junctions) is ensured again,
 * once, and the same order sent again. Junction unavailable: 502, the order left resumable.
 */
async function callJunction(
  deps: LabOrderDeps,
  request: FastifyRequest,
  body: CreateLabOrderBody,
  { order, cachedUser }: Claimed,
  patient: JunctionPatient,
): Promise<Answer> {
  const place = (userId: string) =>
    deps.junction.createOrder(
      {
        userId,
        labTestId: order.labTestId,
        patient: patient.patient,
        address: patient.address,
        passthrough: order.id,
      },
      order.id,
    );
  try {
    const user = await junctionUser(deps, body.brand_id, body.patient_id, cachedUser);
    try {
      return { placed: await place(user.id) };
    } catch (err) {
      if (!(err instanceof JunctionUnknownUser && user.cached)) throw err;
      request.log.warn({ order_id: order.id }, 'cached Junction user unknown to Junction; ensuring it again');
      return { placed: await place(await ensureJunctionUser(deps, body.brand_id, body.patient_id)) };
    }
  } catch (err) {
    if (err instanceof JunctionRejected) {
      request.log.warn(
        { order_id: order.id, junction_status: err.statusCode, operation: err.operation },
        'Junction rejected the order',
      );
      return { rejected: err };
    }
    if (err instanceof JunctionUnavailable) {
      request.log.warn(
        { order_id: order.id, operation: err.operation, reason: err.reason },
        'Junction unavailable; order left resumable',
      );
      throw err instanceof JunctionUserLimit
        ? Errors.junctionUserLimit(err.reason)
        : Errors.junctionUnavailable();
    }
    throw err;
  }
}

/**
 * Phase 3: Junction's answer and the response stored for replay, committed together; the
 * response is the order as the answer leaves it (201), or Junction's refusal (502). Usually one
 * statement: the order is as this request inserted it, so no lock is needed to decide what the
 * answer changes, and the statement writes it unless the order moved on meanwhile (a Junction
 * webhook or reconciliation got there first). Otherwise one transaction that locks the order.
 */
async function recordAnswer(
  deps: LabOrderDeps,
  idem: IdempotencyContext,
  { order, inserted }: Claimed,
  answer: Answer,
  serialize: Serialize,
): Promise<CreateResult> {
  const respond = (row: LabOrderRow): CreateResult =>
    row.status === 'rejected'
      ? { status: 502, text: serialize(502, rejectionError(row).toBody()) }
      : { status: 201, text: serialize(201, toContractOrder(row)) };
  /** What Junction's order changes in `row`, and the response for the order as it becomes. */
  const placedIn = (row: LabOrderRow, placed: JunctionOrder) => {
    const change = junctionOrderChange(row, placed);
    return { change, result: respond(change.set ? { ...row, ...change.set } : row) };
  };

  if (inserted && 'placed' in answer) {
    const { change, result } = placedIn(inserted, answer.placed);
    const written = await idem.completeWith(result.status, result.text, async (completion) => {
      const options = { completion, ifSubmitting: true };
      return (await writeJunctionOrderChange(deps.database, inserted, change, options)).written;
    });
    if (written) return result;
  }
  return deps.database.transaction(async (tx: Tx) => {
    const locked = await findOrder(tx, order.id, { lock: true });
    if (!locked) throw new Error('order vanished');
    let result: CreateResult;
    if ('placed' in answer) {
      const placed = placedIn(locked, answer.placed);
      await writeJunctionOrderChange(tx, locked, placed.change);
      result = placed.result;
    } else if ('rejected' in answer) {
      const { statusCode, reason } = answer.rejected;
      result = respond((await markRejected(tx, locked, { statusCode, reason })) ?? locked);
    } else {
      result = respond(locked);
    }
    await idem.complete(tx, result.status, result.text);
    return result;
  });
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
