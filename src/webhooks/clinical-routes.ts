/**
 * The clinical surface's webhook endpoints (docs/webhooks.md): `lab-orders:admin`, and only the
 * token's brands; another brand's endpoint is not revealed (404).
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { App } from '../http/app-type.js';
import { principalOf, requireBrand, SCOPES } from '../http/auth.js';
import { BrandId, errorResponses } from '../http/schemas.js';
import type { TenantScope } from './endpoints-repository.js';
import {
  changeEndpoint,
  createEndpoint,
  recover,
  resend,
  deliveryPage,
  endpointPage,
  removeEndpoint,
  rotateEndpointSecret,
  visibleEndpoint,
  type ManageDeps,
} from './manage.js';
import { clinicalDelivery, clinicalEndpoint } from './present.js';
import {
  ClinicalDelivery,
  ClinicalEndpoint,
  Description,
  DeliveryStatus,
  eventTypes,
  NextCursor,
  PageCursor,
  PageLimit,
  ParamId,
  Recovered,
  Since,
  Url,
} from './schemas.js';

const TAGS = ['Webhooks (clinical)'];
const EndpointParams = Type.Object({ endpointId: ParamId });
const One = Type.Object({ webhook_endpoint: ClinicalEndpoint });
const config = { scope: SCOPES.labOrdersAdmin };

/** The brands a request may see endpoints of. */
function scopeOf(request: FastifyRequest): TenantScope {
  return { brandIds: principalOf(request).brandIds };
}

export async function clinicalWebhookRoutes(
  app: App,
  { eventTypes: types, ...deps }: ManageDeps & { eventTypes: readonly string[] },
) {
  app.post(
    '/v1/webhook-endpoints',
    {
      config: {
        ...config,
        authorize: (request) =>
          requireBrand(principalOf(request), (request.body as { brand_id: string }).brand_id),
      },
      schema: {
        tags: TAGS,
        operationId: 'createWebhookEndpoint',
        summary: "Send a brand's events to a URL",
        description:
          'The answer carries the signing secret (`secret`, `whsec_…`) once; later reads never show it. ' +
          '`events` defaults to every clinical event type.',
        body: Type.Object(
          {
            url: Url,
            brand_id: BrandId,
            events: Type.Optional(eventTypes(types)),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: One, ...errorResponses(400, 401, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { url, brand_id: brandId, events, description } = request.body;
      const row = await createEndpoint(
        deps,
        { brandId, workspaceId: null },
        {
          url,
          events: events ?? [...types],
          description: description ?? null,
        },
      );
      return reply.code(201).send({ webhook_endpoint: clinicalEndpoint(row, { withSecret: true }) });
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'listWebhookEndpoints',
        summary: "The webhook endpoints of the token's brands, oldest first",
        querystring: Type.Object({
          brand_id: Type.Optional(BrandId),
          limit: Type.Optional(PageLimit),
          cursor: Type.Optional(PageCursor),
        }),
        response: {
          200: Type.Object({ data: Type.Array(ClinicalEndpoint), next_cursor: NextCursor }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { brand_id: brandId, ...page } = request.query;
      let scope = scopeOf(request);
      if (brandId !== undefined) {
        requireBrand(principalOf(request), brandId);
        scope = { brandIds: [brandId] };
      }
      const { items, nextCursor } = await endpointPage(deps, scope, page);
      return { data: items.map((row) => clinicalEndpoint(row)), next_cursor: nextCursor };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'getWebhookEndpoint',
        summary: 'A webhook endpoint (without its secret)',
        params: EndpointParams,
        response: { 200: One, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      webhook_endpoint: clinicalEndpoint(
        await visibleEndpoint(deps, scopeOf(request), request.params.endpointId),
      ),
    }),
  );

  app.patch(
    '/v1/webhook-endpoints/:endpointId',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'updateWebhookEndpoint',
        summary: 'Change the URL, event types or description, or disable or re-enable an endpoint',
        description:
          '`enabled: true` re-enables an endpoint that was disabled, by hand or after its deliveries kept failing.',
        params: EndpointParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(eventTypes(types)),
            enabled: Type.Optional(Type.Boolean()),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: One, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request) => {
      const row = await changeEndpoint(deps, scopeOf(request), request.params.endpointId, request.body);
      return { webhook_endpoint: clinicalEndpoint(row) };
    },
  );

  app.delete(
    '/v1/webhook-endpoints/:endpointId',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'deleteWebhookEndpoint',
        summary: 'Delete a webhook endpoint and its deliveries log',
        params: EndpointParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await removeEndpoint(deps, scopeOf(request), request.params.endpointId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/rotate-secret',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'rotateWebhookEndpointSecret',
        summary: 'A new signing secret (shown once); the old one keeps signing alongside it for 24 hours',
        params: EndpointParams,
        response: { 200: One, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await rotateEndpointSecret(deps, scopeOf(request), request.params.endpointId);
      return { webhook_endpoint: clinicalEndpoint(row, { withSecret: true }) };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:endpointId/deliveries',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'listWebhookDeliveries',
        summary: "An endpoint's deliveries with every attempt, newest first",
        params: EndpointParams,
        querystring: Type.Object({
          status: Type.Optional(DeliveryStatus),
          limit: Type.Optional(PageLimit),
          cursor: Type.Optional(PageCursor),
        }),
        response: {
          200: Type.Object({ data: Type.Array(ClinicalDelivery), next_cursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { items, nextCursor } = await deliveryPage(
        deps,
        scopeOf(request),
        request.params.endpointId,
        request.query,
      );
      return { data: items.map(clinicalDelivery), next_cursor: nextCursor };
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/events/:eventId/resend',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'resendWebhookEvent',
        summary: 'Deliver one event of the brand to this endpoint again, now',
        params: Type.Object({ endpointId: ParamId, eventId: ParamId }),
        response: {
          202: Type.Object({ webhook_delivery: ClinicalDelivery }),
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { endpointId, eventId } = request.params;
      const row = await resend(deps, scopeOf(request), endpointId, eventId);
      return reply.code(202).send({ webhook_delivery: clinicalDelivery(row) });
    },
  );

  app.post(
    '/v1/webhook-endpoints/:endpointId/recover',
    {
      config,
      schema: {
        tags: TAGS,
        operationId: 'recoverWebhookEvents',
        summary:
          'Deliver again every event since a time whose delivery failed or was skipped while the endpoint was disabled',
        description:
          'Nothing that already succeeded (or is still being retried) is sent again. At most 10,000 events per call.',
        params: EndpointParams,
        body: Type.Object({ since: Since }, { additionalProperties: false }),
        response: { 202: Recovered, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const queued = await recover(deps, scopeOf(request), request.params.endpointId, request.body.since);
      return reply.code(202).send({ queued });
    },
  );
}
