/** Owners: the workspace's webhook endpoints and their deliveries (the shared pages in ../webhooks). */
import { useMemo } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Answer, RequestBody } from '../api/types';
import { EndpointPage, EndpointsPage } from '../webhooks/pages';
import { eventObjectId, type Delivery, type Endpoint, type WebhookSurface } from '../webhooks/surface';
import { useWorkspace, wsRoute } from './context';
import { OwnersOnly } from './owner-only';

type EventType = NonNullable<RequestBody<'createWorkspaceWebhookEndpoint'>['events']>[number];
const EVENT_TYPES: EventType[] = [
  'lab_visit.created',
  'lab_visit.updated',
  'lab_visit.results_added',
  'lab_visit.deleted',
];

type Raw = Answer<'getWorkspaceWebhookEndpoint'>['webhookEndpoint'];
type RawDelivery = Answer<'listWorkspaceWebhookDeliveries'>['webhookDeliveries'][number];

const endpointOf = (e: Raw): Endpoint => ({
  id: e.id,
  owner: e.workspaceId,
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabledReason,
  previousSecretExpiresAt: e.previousSecretExpiresAt,
  createdAt: e.createdAt,
  ...(e.secret ? { secret: e.secret } : {}),
});

const deliveryOf = (d: RawDelivery): Delivery => d;

function workspaceSurface(workspaceId: string): WebhookSurface {
  const one = (endpointId: string) => ({ params: { path: { workspaceId, endpointId } } });
  const base = '/v1/workspace/{workspaceId}/webhook-endpoints/{endpointId}' as const;
  return {
    listRoute: wsRoute(workspaceId, '/webhooks'),
    endpointRoute: (id) => wsRoute(workspaceId, `/webhooks/${id}`),
    eventTypes: EVENT_TYPES,
    async list(cursor) {
      const page = await call(
        api.GET('/v1/workspace/{workspaceId}/webhook-endpoints', {
          params: { path: { workspaceId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
        }),
      );
      return { items: page.webhookEndpoints.map(endpointOf), next: page.nextCursor };
    },
    async create({ url, events, description }) {
      const answer = await call(
        api.POST('/v1/workspace/{workspaceId}/webhook-endpoints', {
          params: { path: { workspaceId } },
          body: { url, events: events as EventType[], description },
        }),
      );
      return endpointOf(answer.webhookEndpoint);
    },
    get: async (id) => endpointOf((await call(api.GET(base, one(id)))).webhookEndpoint),
    setEnabled: async (id, enabled) =>
      endpointOf((await call(api.PATCH(base, { ...one(id), body: { enabled } }))).webhookEndpoint),
    async remove(id) {
      await call(api.DELETE(base, one(id)));
    },
    rotateSecret: async (id) =>
      endpointOf((await call(api.POST(`${base}/rotate-secret`, one(id)))).webhookEndpoint),
    async deliveries(id, query) {
      const page = await call(
        api.GET(`${base}/deliveries`, { params: { path: { workspaceId, endpointId: id }, query } }),
      );
      return { items: page.webhookDeliveries.map(deliveryOf), next: page.nextCursor };
    },
    resend: async (id, eventId) =>
      deliveryOf(
        (
          await call(
            api.POST(`${base}/events/{eventId}/resend`, {
              params: { path: { workspaceId, endpointId: id, eventId } },
            }),
          )
        ).webhookDelivery,
      ),
    recover: async (id, since) =>
      (await call(api.POST(`${base}/recover`, { ...one(id), body: { since } }))).queued,
    async event(eventId) {
      const { event } = await call(
        api.GET('/v1/workspace/{workspaceId}/events/{eventId}', {
          params: { path: { workspaceId, eventId } },
        }),
      );
      const objectId = eventObjectId(event);
      return { payload: event, objectRoute: objectId ? wsRoute(workspaceId, `/visits/${objectId}`) : null };
    },
  };
}

function useSurface(): WebhookSurface | null {
  const { workspace, owner } = useWorkspace();
  const surface = useMemo(() => workspaceSurface(workspace.id), [workspace.id]);
  return owner ? surface : null;
}

export function WebhooksPage() {
  const surface = useSurface();
  if (!surface) return <OwnersOnly title="Webhook endpoints" what="manage webhook endpoints" />;
  return <EndpointsPage surface={surface} />;
}

export function WebhookPage({ endpointId }: { endpointId: string }) {
  const surface = useSurface();
  if (!surface) return <OwnersOnly title="Webhook endpoint" what="manage webhook endpoints" />;
  return <EndpointPage surface={surface} id={endpointId} />;
}
