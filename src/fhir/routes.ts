/**
 * The FHIR R4 reads (docs/fhir.md): an order's and a visit's Bundle, `application/fhir+json`.
 * Each is a read of its order or visit, with the same access rules and answers: another brand's
 * order or another workspace's visit is 404.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Bundle } from 'fhir/r4.js';
import { Type } from 'typebox';
import { audit, auditActor, type AuditEntry } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import type { App } from '../http/app-type.js';
import { principalOf, SCOPES } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { JunctionRejected, type JunctionApi, type JunctionResults } from '../junction/types.js';
import type { LabOrderDeps } from '../lab-orders/create-lab-order.js';
import { orderEvents } from '../lab-orders/orders-repository.js';
import { findPatient } from '../lab-orders/patients.js';
import { fromJunction, visibleOrder } from '../lab-orders/routes.js';
import { OrderIdParams } from '../lab-orders/schemas.js';
import { readLabVisit } from '../lab-visits/change-lab-visit.js';
import { WorkspaceVisitParams } from '../lab-visits/schemas.js';
import { workspaceAccessOf, workspaceGuard } from '../workspaces/access.js';
import { findClient } from '../workspaces/clients-repository.js';
import { SURFACES, TAG_VISITS, type Surface } from '../workspaces/http.js';
import { parseObjectId } from '../http/object-id.js';
import { labBundle } from './bundle.js';
import { mayHaveResults, orderFacts } from './order-facts.js';
import { visitFacts } from './visit-facts.js';

export const FHIR_JSON = 'application/fhir+json';

const Resource = Type.Object(
  { resourceType: Type.String(), id: Type.String() },
  { additionalProperties: true, description: 'A FHIR R4 resource (docs/fhir.md lists its fields)' },
);

/** The answer's outline for the OpenAPI document; the Bundle itself is FHIR R4's (docs/fhir.md). */
const FhirBundle = Type.Object(
  {
    resourceType: Type.Literal('Bundle'),
    type: Type.Literal('collection'),
    timestamp: Type.String({ format: 'date-time' }),
    entry: Type.Array(
      Type.Object({
        fullUrl: Type.String({ description: '`urn:uuid:<id>`; references between the entries use it' }),
        resource: Resource,
      }),
    ),
  },
  {
    title: 'FhirBundle',
    additionalProperties: true,
    description:
      'A FHIR R4 Bundle of type `collection`: Patient and ServiceRequest, then, once there is a report, ' +
      'DiagnosticReport and one Observation per result (US Core laboratory profiles).',
  },
);

const bundleResponse = (description: string) => ({
  200: { description, content: { [FHIR_JSON]: { schema: FhirBundle } } },
});

/** The Bundle as FHIR's JSON media type. Sent as text: the route's schema is its outline, not a filter. */
function sendBundle(reply: FastifyReply, bundle: Bundle): FastifyReply {
  return reply.code(200).type(`${FHIR_JSON}; charset=utf-8`).send(JSON.stringify(bundle));
}

/** Junction's results of the order, or null when Junction has none (yet). */
async function resultsIfAny(junction: JunctionApi, junctionOrderId: string): Promise<JunctionResults | null> {
  try {
    return await junction.getResults(junctionOrderId);
  } catch (err) {
    if (err instanceof JunctionRejected && err.statusCode === 404) return null;
    throw err;
  }
}

const visitFhirRoute: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.get(
    '/workspace/:workspaceId/labs/visits/:visitId/fhir',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('getLabVisitFhir'),
        summary: surface.summary('A lab visit as a FHIR R4 Bundle (members)'),
        description:
          'Patient (the client), one ServiceRequest per test and, once results are attached, a DiagnosticReport ' +
          'with one Observation per result; `application/fhir+json`. See docs/fhir.md for the mapping.',
        params: WorkspaceVisitParams,
        response: {
          ...bundleResponse('The visit as a FHIR R4 Bundle'),
          ...errorResponses(401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const id = parseObjectId(request.params.visitId, 'visitId');
      const { workspaceId, userId } = workspaceAccessOf(request);
      const actor = auditActor(request);
      const facts = await database.transaction(async (tx) => {
        const visit = await readLabVisit(tx, { workspaceId, userId, actor }, id);
        const client = await findClient(tx, workspaceId, visit.clientId);
        // A visit always has its client (a foreign key; clients are archived, never deleted).
        if (!client) throw Errors.notFound('Lab visit not found.');
        await audit(tx, actor, {
          action: 'read',
          resourceType: 'workspace_client',
          resourceId: client.id,
          tenant: workspaceId,
        });
        return visitFacts(visit, client);
      });
      return sendBundle(reply, labBundle(facts, new Date()));
    },
  );
};

export async function fhirRoutes(app: App, deps: LabOrderDeps) {
  const { database, junction } = deps;

  app.get(
    '/v1/lab-orders/:id/fhir',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: ['Clinical lab orders'],
        operationId: 'getLabOrderFhir',
        summary: 'A lab order and its results as a FHIR R4 Bundle',
        description:
          'Patient (the brand’s profile), the order as a ServiceRequest and, once Junction has results, a ' +
          'DiagnosticReport with one Observation per marker (LOINC, UCUM); `application/fhir+json`. Needs ' +
          '`lab-orders:read`; another brand’s order is 404. See docs/fhir.md for the mapping.',
        params: OrderIdParams,
        response: {
          ...bundleResponse('The order as a FHIR R4 Bundle'),
          ...errorResponses(400, 401, 403, 404, 502),
        },
      },
    },
    async (request, reply) => {
      const order = await visibleOrder(deps, principalOf(request), request.params.id);
      const results = mayHaveResults(order)
        ? await fromJunction(() => resultsIfAny(junction, order.junctionOrderId!))
        : null;
      const [patient, events] = await Promise.all([
        findPatient(database.db, order.brandId, order.patientId),
        orderEvents(database.db, order.id),
      ]);
      const read = (resourceType: string, resourceId: string): AuditEntry => ({
        action: 'read',
        resourceType,
        resourceId,
        tenant: order.brandId,
      });
      await audit(database.db, auditActor(request), [
        read('lab_order', order.id),
        read('patient', order.patientId),
        ...(results ? [read('lab_results', order.id)] : []),
      ]);
      return sendBundle(reply, labBundle(orderFacts(order, patient, events, results), new Date()));
    },
  );

  for (const surface of SURFACES)
    await app.register(visitFhirRoute, { prefix: surface.prefix, database, surface });
}
