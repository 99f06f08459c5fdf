/**
 * A brand's webhook endpoints and their deliveries (the shared pages in ../webhooks), for a
 * sign-in with lab-orders:admin; only its brands' endpoints are visible.
 */
import { useMemo } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Answer, RequestBody } from '../api/types';
import { can, useSignedIn } from '../signed-in';
import { NotOffered, PageTitle } from '../ui';
import { EndpointPage, EndpointsPage } from '../webhooks/pages';
import { eventObjectId, type Delivery, type Endpoint, type WebhookSurface } from '../webhooks/surface';

type EventType = NonNullable<RequestBody<'createWebhookEndpoint'>['events']>[number];
const EVENT_TYPES: EventType[] = [
  'lab_order.created',
  'lab_order.status_changed',
  'lab_order.rejected',
  'lab_order.results_corrected',
];

type Raw = Answer<'getWebhookEndpoint'>['webhook_endpoint'];
type RawDelivery = Answer<'listWebhookDeliveries'>['data'][number];

const endpointOf = (e: Raw): Endpoint => ({
  id: e.id,
  owner: e.brand_id,
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
  disabledReason: e.disabled_reason,
  previousSecretExpiresAt: e.previous_secret_expires_at,
  createdAt: e.created_at,
  ...(e.secret ? { secret: e.secret } : {}),
});

const deliveryOf = (d: RawDelivery): Delivery => ({
  id: d.id,
  eventId: d.event_id,
  eventType: d.event_type,
  trigger: d.trigger,
  status: d.status,
  nextAttemptAt: d.next_attempt_at,
  createdAt: d.created_at,
  attempts: d.attempts.map((a) => ({
    at: a.at,
    responseStatus: a.response_status,
    error: a.error,
    durationMs: a.duration_ms,
    responseBody: a.response_body,
  })),
});

function clinicalSurface(brands: string[] | null): WebhookSurface {
  const one = (endpointId: string) => ({ params: { path: { endpointId } } });
  const base = '/v1/webhook-endpoints/{endpointId}' as const;
  return {
    listRoute: '/webhooks',
    endpointRoute: (id) => `/webhooks/${id}`,
    eventTypes: EVENT_TYPES,
    brands,
    async list(cursor) {
      const page = await call(
        api.GET('/v1/webhook-endpoints', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }),
      );
      return { items: page.data.map(endpointOf), next: page.next_cursor };
    },
    async create({ url, events, description, brandId }) {
      const answer = await call(
        api.POST('/v1/webhook-endpoints', {
          body: { url, brand_id: brandId ?? '', events: events as EventType[], description },
        }),
      );
      return endpointOf(answer.webhook_endpoint);
    },
    get: async (id) => endpointOf((await call(api.GET(base, one(id)))).webhook_endpoint),
    setEnabled: async (id, enabled) =>
      endpointOf((await call(api.PATCH(base, { ...one(id), body: { enabled } }))).webhook_endpoint),
    async remove(id) {
      await call(api.DELETE(base, one(id)));
    },
    rotateSecret: async (id) =>
      endpointOf((await call(api.POST(`${base}/rotate-secret`, one(id)))).webhook_endpoint),
    async deliveries(id, query) {
      const page = await call(api.GET(`${base}/deliveries`, { params: { path: { endpointId: id }, query } }));
      return { items: page.data.map(deliveryOf), next: page.next_cursor };
    },
    resend: async (id, eventId) =>
      deliveryOf(
        (
          await call(
            api.POST(`${base}/events/{eventId}/resend`, { params: { path: { endpointId: id, eventId } } }),
          )
        ).webhook_delivery,
      ),
    recover: async (id, since) =>
      (await call(api.POST(`${base}/recover`, { ...one(id), body: { since } }))).queued,
    async event(eventId) {
      const payload = await call(api.GET('/v1/events/{id}', { params: { path: { id: eventId } } }));
      const objectId = eventObjectId(payload);
      return { payload, objectRoute: objectId ? `/orders/${objectId}` : null };
    },
  };
}

function useSurface(): WebhookSurface | null {
  const { me } = useSignedIn();
  const brands = me.brand_ids;
  const surface = useMemo(() => clinicalSurface(brands), [brands?.join(' ')]);
  return can.adminOrders(me) ? surface : null;
}

function AdminOnly({ title }: { title: string }) {
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <NotOffered>
        This sign-in has no lab-orders:admin scope, so it may not manage a brand&apos;s webhook endpoints.
      </NotOffered>
    </>
  );
}

export function ClinicalWebhooksPage() {
  const surface = useSurface();
  return surface ? <EndpointsPage surface={surface} /> : <AdminOnly title="Webhook endpoints" />;
}

export function ClinicalWebhookPage({ id }: { id: string }) {
  const surface = useSurface();
  return surface ? <EndpointPage surface={surface} id={id} /> : <AdminOnly title="Webhook endpoint" />;
}
