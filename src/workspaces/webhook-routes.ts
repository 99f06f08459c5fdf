/**
 * A workspace's webhook endpoints (docs/webhooks.md), under /v1 and the /api/v1 alias: its owner
 * manages them; staff get 403, another workspace's endpoint is not revealed (404).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { errorResponses } from '../http/schemas.js';
import type { TenantScope } from '../webhooks/endpoints-repository.js';
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
} from '../webhooks/manage.js';
import { workspaceDelivery, workspaceEndpoint } from '../webhooks/present.js';
import {
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
  WorkspaceDelivery,
  WorkspaceEndpoint,
} from '../webhooks/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import { ObjectIdString, SURFACES, WorkspaceParams, type Surface } from './http.js';

const TAGS = ['Webhooks (workspace)'];
const EndpointParams = Type.Object({ workspaceId: ObjectIdString('Workspace id'), endpointId: ParamId });
const One = Type.Object({ webhookEndpoint: WorkspaceEndpoint });
const Errors = errorResponses(400, 401, 403, 404, 422);

function scopeOf(request: FastifyRequest): TenantScope {
  return { workspaceId: workspaceAccessOf(request).workspaceId };
}

type Deps = ManageDeps & { eventTypes: readonly string[] };

const routes: FastifyPluginAsyncTypebox<Deps & { surface: Surface }> = async (
  app,
  { surface, eventTypes: types, ...deps },
) => {
  const Events = eventTypes(types);
  const owner = workspaceGuard(deps.database, 'owner');
  const base = '/workspace/:workspaceId/webhook-endpoints';

  app.post(
    base,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('createWorkspaceWebhookEndpoint'),
        summary: surface.summary("Send a workspace's events to a URL (owner)"),
        description:
          'The answer carries the signing secret (`secret`, `whsec_…`) once; later reads never show it. ' +
          '`events` defaults to every lab visit event type.',
        params: WorkspaceParams,
        body: Type.Object(
          {
            url: Url,
            events: Type.Optional(Events),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: One, ...Errors, ...errorResponses(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const { url, events, description } = request.body;
      const row = await createEndpoint(
        deps,
        { brandId: null, workspaceId: workspaceAccessOf(request).workspaceId },
        {
          url,
          events: events ?? [...types],
          description: description ?? null,
        },
      );
      return reply.code(201).send({ webhookEndpoint: workspaceEndpoint(row, { withSecret: true }) });
    },
  );

  app.get(
    base,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('listWorkspaceWebhookEndpoints'),
        summary: surface.summary("A workspace's webhook endpoints, oldest first (owner)"),
        params: WorkspaceParams,
        querystring: Type.Object({ limit: Type.Optional(PageLimit), cursor: Type.Optional(PageCursor) }),
        response: {
          200: Type.Object({ webhookEndpoints: Type.Array(WorkspaceEndpoint), nextCursor: NextCursor }),
          ...Errors,
        },
      },
    },
    async (request) => {
      const { items, nextCursor } = await endpointPage(deps, scopeOf(request), request.query);
      return { webhookEndpoints: items.map((row) => workspaceEndpoint(row)), nextCursor };
    },
  );

  app.get(
    `${base}/:endpointId`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('getWorkspaceWebhookEndpoint'),
        summary: surface.summary('A webhook endpoint, without its secret (owner)'),
        params: EndpointParams,
        response: { 200: One, ...Errors },
      },
    },
    async (request) => ({
      webhookEndpoint: workspaceEndpoint(
        await visibleEndpoint(deps, scopeOf(request), request.params.endpointId),
      ),
    }),
  );

  app.patch(
    `${base}/:endpointId`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('updateWorkspaceWebhookEndpoint'),
        summary: surface.summary('Change, disable or re-enable a webhook endpoint (owner)'),
        params: EndpointParams,
        body: Type.Object(
          {
            url: Type.Optional(Url),
            events: Type.Optional(Events),
            enabled: Type.Optional(Type.Boolean()),
            description: Type.Optional(Type.Union([Description, Type.Null()])),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: One, ...Errors, ...errorResponses(413, 415) },
      },
    },
    async (request) => {
      const row = await changeEndpoint(deps, scopeOf(request), request.params.endpointId, request.body);
      return { webhookEndpoint: workspaceEndpoint(row) };
    },
  );

  app.delete(
    `${base}/:endpointId`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('deleteWorkspaceWebhookEndpoint'),
        summary: surface.summary('Delete a webhook endpoint and its deliveries log (owner)'),
        params: EndpointParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...Errors },
      },
    },
    async (request, reply) => {
      await removeEndpoint(deps, scopeOf(request), request.params.endpointId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${base}/:endpointId/rotate-secret`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('rotateWorkspaceWebhookEndpointSecret'),
        summary: surface.summary(
          'A new signing secret, shown once; the old one signs too for 24 hours (owner)',
        ),
        params: EndpointParams,
        response: { 200: One, ...Errors },
      },
    },
    async (request) => {
      const row = await rotateEndpointSecret(deps, scopeOf(request), request.params.endpointId);
      return { webhookEndpoint: workspaceEndpoint(row, { withSecret: true }) };
    },
  );

  app.get(
    `${base}/:endpointId/deliveries`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('listWorkspaceWebhookDeliveries'),
        summary: surface.summary("An endpoint's deliveries with every attempt, newest first (owner)"),
        params: EndpointParams,
        querystring: Type.Object({
          status: Type.Optional(DeliveryStatus),
          limit: Type.Optional(PageLimit),
          cursor: Type.Optional(PageCursor),
        }),
        response: {
          200: Type.Object({ webhookDeliveries: Type.Array(WorkspaceDelivery), nextCursor: NextCursor }),
          ...Errors,
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
      return { webhookDeliveries: items.map(workspaceDelivery), nextCursor };
    },
  );

  app.post(
    `${base}/:endpointId/events/:eventId/resend`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('resendWorkspaceWebhookEvent'),
        summary: surface.summary('Deliver one event of the workspace to this endpoint again, now (owner)'),
        params: Type.Object({
          workspaceId: ObjectIdString('Workspace id'),
          endpointId: ParamId,
          eventId: ParamId,
        }),
        response: {
          202: Type.Object({ webhookDelivery: WorkspaceDelivery }),
          ...Errors,
          ...errorResponses(409),
        },
      },
    },
    async (request, reply) => {
      const { endpointId, eventId } = request.params;
      const row = await resend(deps, scopeOf(request), endpointId, eventId);
      return reply.code(202).send({ webhookDelivery: workspaceDelivery(row) });
    },
  );

  app.post(
    `${base}/:endpointId/recover`,
    {
      preValidation: owner,
      schema: {
        tags: TAGS,
        operationId: surface.operationId('recoverWorkspaceWebhookEvents'),
        summary: surface.summary(
          'Deliver again what failed or was skipped while disabled, since a time (owner)',
        ),
        description:
          'Nothing that already succeeded (or is still being retried) is sent again. At most 10,000 events per call.',
        params: EndpointParams,
        body: Type.Object({ since: Since }, { additionalProperties: false }),
        response: { 202: Recovered, ...Errors, ...errorResponses(409, 413, 415) },
      },
    },
    async (request, reply) => {
      const queued = await recover(deps, scopeOf(request), request.params.endpointId, request.body.since);
      return reply.code(202).send({ queued });
    },
  );
};

export async function workspaceWebhookRoutes(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  deps: Deps,
): Promise<void> {
  for (const surface of SURFACES) await app.register(routes, { prefix: surface.prefix, surface, ...deps });
}
