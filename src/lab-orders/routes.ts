/** The clinical surface's routes (docs/contracts/clinical-lab-orders.txt and docs/clinical-lab-orders.md). */
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import { audit, auditActor } from '../audit/audit.js';
import { brandsToList, principalOf, requireBrand, SCOPES, type Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses, sendJsonText } from '../http/schemas.js';
import { mayBeCancelled, mayHaveResults } from '../junction/order-statuses.js';
import { JunctionRejected, JunctionUnavailable } from '../junction/types.js';
import { createLabOrder, type LabOrderDeps } from './create-lab-order.js';
import { patientKey, patientNames } from './patients.js';
import { ORDER_CURSOR, toDetail, toSummary } from './presenters.js';
import {
  applyJunctionOrder,
  brandPanelOverride,
  findOrder,
  listOrders,
  orderEvents,
  setBrandPanel,
  type LabOrderRow,
} from './orders-repository.js';
import type { LabOrderStatus } from './tables.js';
import {
  CreateLabOrderBody,
  LabOrder,
  LabOrderDetail,
  LabOrderList,
  LabOrderListQuery,
  LabResults,
  OrderIdParams,
  PanelMapping,
  PanelParams,
  PutPanelBody,
} from './schemas.js';

const TAGS = ['Clinical lab orders'];

/** An order the token may see, or 404 (another brand's order is not revealed). */
export async function visibleOrder(
  deps: LabOrderDeps,
  principal: Principal,
  id: string,
): Promise<LabOrderRow> {
  const order = await findOrder(deps.database.db, id);
  if (!order || (principal.brandIds !== null && !principal.brandIds.includes(order.brandId))) {
    throw Errors.notFound(`No lab order ${id}.`);
  }
  return order;
}

/** A call to Junction from a read or a cancel: its failures become the 502s of the catalogue. */
export async function fromJunction<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof JunctionRejected) throw Errors.junctionRejected(err.reason);
    if (err instanceof JunctionUnavailable)
      throw Errors.junctionUnavailable('Junction did not answer in time; retry shortly.');
    throw err;
  }
}

/**
 * Reads the order from Junction and applies what moved (after Junction refused a cancel: our view
 * was behind, its webhooks late or lost). Best effort: a failure leaves the order to webhooks and
 * reconciliation.
 */
async function refreshFromJunction(
  deps: LabOrderDeps,
  orderId: string,
  junctionOrderId: string,
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    const latest = await deps.junction.getOrder(junctionOrderId);
    await deps.database.transaction(async (tx) => {
      const locked = await findOrder(tx, orderId, { lock: true });
      if (locked) await applyJunctionOrder(tx, locked, latest);
    });
  } catch (err) {
    if (!(err instanceof JunctionRejected || err instanceof JunctionUnavailable)) throw err;
    log.warn({ order_id: orderId, operation: err.operation }, 'could not read the order again from Junction');
  }
}

export async function labOrderRoutes(app: App, deps: LabOrderDeps) {
  const { database, junction } = deps;

  app.post(
    '/v1/lab-orders',
    {
      config: {
        scope: SCOPES.labOrdersWrite,
        idempotency: 'required',
        authorize: (request) =>
          requireBrand(principalOf(request), (request.body as CreateLabOrderBody).brand_id),
      },
      schema: {
        tags: TAGS,
        operationId: 'createLabOrder',
        summary: 'Create a Junction lab panel order for a patient',
        description:
          'Requires the `Idempotency-Key` header and the `lab-orders:write` scope. A retry with the same key and body ' +
          'replays the first answer (`Idempotent-Replayed: true`); a retry after a 502 `junction_unavailable` resumes the same order.',
        body: CreateLabOrderBody,
        response: {
          201: { ...LabOrder, description: 'Lab order created' },
          ...errorResponses(400, 401, 403, 409, 413, 415, 502),
        },
      },
    },
    async (request, reply) => {
      const idem = request.idempotency;
      if (!idem) throw Errors.missingIdempotencyKey();
      const raw = reply as FastifyReply;
      const result = await createLabOrder(deps, request, request.body, idem, (status, body) => {
        // The 201 goes through the contract schema's serializer; error bodies are plain JSON.
        return status === 201 ? (raw.code(201).serialize(body) as string) : JSON.stringify(body);
      });
      return sendJsonText(raw, result.status, result.text);
    },
  );

  app.get(
    '/v1/lab-orders/:id',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getLabOrder',
        summary: 'A lab order with its detailed status and event history',
        params: OrderIdParams,
        response: { 200: LabOrderDetail, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const order = await visibleOrder(deps, principal, request.params.id);
      const events = await orderEvents(database.db, order.id);
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'lab_order',
        resourceId: order.id,
        tenant: order.brandId,
      });
      return toDetail(order, events);
    },
  );

  app.get(
    '/v1/lab-orders',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'listLabOrders',
        summary: 'Lab orders, newest first, keyset-paginated; limited to the brands of the token',
        description:
          "Each order carries `patient_name`, the name the brand's profile of the patient keeps (null when none); " +
          'showing it is a read of that profile and is audited as one, like `GET /v1/patients/:patientId`.',
        querystring: LabOrderListQuery,
        response: { 200: LabOrderList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const brandIds = brandsToList(principalOf(request), q.brand_id);
      const limit = q.limit ?? 50;
      const [createdAt, id] = q.cursor ? ORDER_CURSOR.decode(q.cursor) : [];
      const after = createdAt && id ? { createdAt, id } : undefined;
      const rows = await listOrders(database.db, {
        brandIds,
        patientId: q.patient_id,
        status: q.status,
        after,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const names = await patientNames(database.db, page);
      // Each patient whose name the page shows is a read of their profile, audited as
      // GET /v1/patients/:id is (once per patient of the page).
      const namedPatients = new Map(
        page
          .filter((o) => names.has(patientKey(o.brandId, o.patientId)))
          .map((o) => [patientKey(o.brandId, o.patientId), o] as const),
      );
      await audit(database.db, auditActor(request), [
        {
          action: 'list',
          resourceType: 'lab_order',
          resourceId: q.patient_id ? `patient:${q.patient_id}` : '*',
          tenant: brandIds?.join(',') ?? null,
        },
        ...[...namedPatients.values()].map((o) => ({
          action: 'read' as const,
          resourceType: 'patient',
          resourceId: o.patientId,
          tenant: o.brandId,
        })),
      ]);
      return {
        data: page.map((o) => ({
          ...toSummary(o),
          patient_name: names.get(patientKey(o.brandId, o.patientId)) ?? null,
        })),
        next_cursor: rows.length > limit && last ? ORDER_CURSOR.encode([last.createdAt, last.id]) : null,
      };
    },
  );

  app.post(
    '/v1/lab-orders/:id/cancel',
    {
      config: { scope: SCOPES.labOrdersWrite },
      schema: {
        tags: TAGS,
        operationId: 'cancelLabOrder',
        summary: 'Cancel a lab order at Junction while it is still early enough',
        description:
          'Cancelling an order that is already cancelled answers 200 with the order. 409 `order_not_cancellable` when the ' +
          'order is too far along (sample with the lab, completed, failed, rejected, `redraw_available`) or still being ' +
          'submitted, and when Junction refuses the cancel (its reason is in the message; the order is then read again from Junction).',
        params: OrderIdParams,
        response: { 200: LabOrderDetail, ...errorResponses(400, 401, 403, 404, 409, 502) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const order = await visibleOrder(deps, principal, request.params.id);
      let current = order;
      if (order.status !== 'cancelled') {
        if (!order.junctionOrderId || !mayBeCancelled(order.status, order.statusDetail)) {
          throw Errors.orderNotCancellable(
            `The order is ${order.statusDetail ?? order.status} and can no longer be cancelled.`,
          );
        }
        const junctionOrderId = order.junctionOrderId;
        const cancelled = await fromJunction(async () => {
          try {
            return await junction.cancelOrder(junctionOrderId);
          } catch (err) {
            // Junction refuses a cancel that comes too late with a 400 `{error, message}` ("Transition
            // from … to cancelled is not allowed", lab/workflow/cancelling-an-order.mdx): our view was
            // behind. Learn where the order is (best effort), and pass Junction's reason on.
            if (!(err instanceof JunctionRejected) || err.statusCode === 404 || err.statusCode === 401)
              throw err;
            await refreshFromJunction(deps, order.id, junctionOrderId, request.log);
            throw Errors.orderNotCancellable(`Junction refused to cancel the order: ${err.reason}`);
          }
        });
        current = await database.transaction(async (tx) => {
          const locked = await findOrder(tx, order.id, { lock: true });
          await audit(tx, auditActor(request), {
            action: 'cancel',
            resourceType: 'lab_order',
            resourceId: order.id,
            tenant: order.brandId,
          });
          return locked ? (await applyJunctionOrder(tx, locked, cancelled)).row : order;
        });
      }
      return toDetail(current, await orderEvents(database.db, order.id));
    },
  );

  const noResults = (order: LabOrderRow) => Errors.resultsNotAvailable(order.statusDetail ?? order.status);
  /** An order whose results Junction may hold (order-statuses.ts: mayHaveResults), else 404. */
  const resultsReady = async (principal: Principal, id: string) => {
    const order = await visibleOrder(deps, principal, id);
    if (!order.junctionOrderId || !mayHaveResults(order.status, order.statusDetail)) throw noResults(order);
    return order as LabOrderRow & { junctionOrderId: string };
  };
  /** Junction's 404 for results it does not have (yet) is ours too. */
  const resultsFromJunction = <T>(order: LabOrderRow, call: () => Promise<T>) =>
    fromJunction(async () => {
      try {
        return await call();
      } catch (err) {
        if (err instanceof JunctionRejected && err.statusCode === 404) throw noResults(order);
        throw err;
      }
    });

  app.get(
    '/v1/lab-orders/:id/results',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getLabOrderResults',
        summary: 'Structured results of an order, from Junction, as soon as it has them',
        description:
          'Partial results while the sample is with the lab, then final ones: completed, corrected (a ' +
          '`lab_order.results_corrected` event says so), or `redraw_available` (final, some markers missing). ' +
          '404 `results_not_available` until Junction has any.',
        params: OrderIdParams,
        response: { 200: LabResults, ...errorResponses(400, 401, 403, 404, 502) },
      },
    },
    async (request) => {
      const order = await resultsReady(principalOf(request), request.params.id);
      const results = await resultsFromJunction(order, () => junction.getResults(order.junctionOrderId));
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'lab_results',
        resourceId: order.id,
        tenant: order.brandId,
      });
      return {
        order_id: order.id,
        junction_order_id: order.junctionOrderId,
        status: results.status,
        sample_id: results.sampleId,
        reported_at: results.reportedAt,
        results: results.markers.map((m) => ({
          name: m.name,
          slug: m.slug,
          value: m.value,
          unit: m.unit,
          min_range_value: m.minRangeValue,
          max_range_value: m.maxRangeValue,
          interpretation: m.interpretation,
        })),
      };
    },
  );

  app.get(
    '/v1/lab-orders/:id/results/pdf',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getLabOrderResultsPdf',
        summary: 'The results report of an order as a PDF, from Junction, as soon as it has one',
        params: OrderIdParams,
        response: {
          200: Type.String({
            contentEncoding: 'binary',
            contentMediaType: 'application/pdf',
            description: 'PDF report',
          }),
          ...errorResponses(400, 401, 403, 404, 502),
        },
      },
    },
    async (request, reply) => {
      const order = await resultsReady(principalOf(request), request.params.id);
      const pdf = await resultsFromJunction(order, () => junction.getResultPdf(order.junctionOrderId));
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'lab_results',
        resourceId: order.id,
        tenant: order.brandId,
      });
      return (reply as FastifyReply)
        .type('application/pdf')
        .header('content-disposition', `inline; filename="lab-order-${order.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );

  /** Why an order has no requisition to hand out (409), or null when Junction may have one. */
  const noRequisition: Partial<Record<LabOrderStatus, string>> = {
    submitting:
      'The order is still being placed with Junction; its requisition follows once Junction has the order.',
    rejected: 'Junction refused the order: there is no requisition.',
    cancelled: 'The order is cancelled: its requisition must not be used at a lab.',
    failed: 'The order failed at the lab: its requisition is no longer of use.',
  };

  app.get(
    '/v1/lab-orders/:id/requisition',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getLabOrderRequisition',
        summary: 'The requisition form (PDF) the patient takes to a walk-in lab, from Junction',
        description:
          '404 `requisition_not_available` until Junction has made it (the order reaches ' +
          '`received.walk_in_test.requisition_created`); 409 `requisition_not_applicable` for an order that has none ' +
          'to use (still being placed, rejected, cancelled or failed).',
        params: OrderIdParams,
        response: {
          200: Type.String({
            contentEncoding: 'binary',
            contentMediaType: 'application/pdf',
            description: 'Requisition PDF',
          }),
          ...errorResponses(400, 401, 403, 404, 409, 502),
        },
      },
    },
    async (request, reply) => {
      const order = await visibleOrder(deps, principalOf(request), request.params.id);
      const refusal = noRequisition[order.status];
      if (refusal !== undefined || !order.junctionOrderId) {
        throw Errors.requisitionNotApplicable(refusal ?? noRequisition.submitting!);
      }
      const junctionOrderId = order.junctionOrderId;
      const pdf = await fromJunction(async () => {
        try {
          return await junction.getRequisitionPdf(junctionOrderId);
        } catch (err) {
          if (err instanceof JunctionRejected && err.statusCode === 404) {
            throw Errors.requisitionNotAvailable();
          }
          throw err;
        }
      });
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'lab_requisition',
        resourceId: order.id,
        tenant: order.brandId,
      });
      return (reply as FastifyReply)
        .type('application/pdf')
        .header('content-disposition', `inline; filename="requisition-${order.id}.pdf"`)
        .send(Buffer.from(pdf));
    },
  );

  app.put(
    '/v1/brands/:brandId/panels/:panelId',
    {
      config: { scope: SCOPES.labOrdersAdmin },
      schema: {
        tags: TAGS,
        operationId: 'setBrandPanel',
        summary: 'Map a panel to a Junction lab test for one brand (overrides the configured default)',
        params: PanelParams,
        body: PutPanelBody,
        response: { 200: PanelMapping, ...errorResponses(400, 401, 403, 413, 415) },
      },
    },
    async (request) => {
      const { brandId, panelId } = request.params;
      requireBrand(principalOf(request), brandId);
      await setBrandPanel(database.db, brandId, panelId, request.body.lab_test_id);
      return { brand_id: brandId, panel_id: panelId, lab_test_id: request.body.lab_test_id, source: 'brand' };
    },
  );

  app.get(
    '/v1/brands/:brandId/panels/:panelId',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getBrandPanel',
        summary: 'The Junction lab test a panel orders for a brand',
        params: PanelParams,
        response: { 200: PanelMapping, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { brandId, panelId } = request.params;
      requireBrand(principalOf(request), brandId);
      const override = await brandPanelOverride(database.db, brandId, panelId);
      const fallback = deps.panels[panelId] ?? null;
      return {
        brand_id: brandId,
        panel_id: panelId,
        lab_test_id: override ?? fallback,
        source: override ? 'brand' : fallback ? 'default' : 'none',
      };
    },
  );
}
