/**
 * Webhook endpoints and their deliveries as the pages show them, whichever surface serves them:
 * the clinical surface (`/v1/webhook-endpoints…`, snake_case, a brand's) and the workspace surface
 * (`/v1/workspace/:id/webhook-endpoints…`, camelCase, a workspace's) have the same routes and
 * rules (docs/webhooks.md), so one set of pages works on either through a `WebhookSurface`.
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface Endpoint {
  id: string;
  /** the brand (clinical) or the workspace it belongs to */
  owner: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  /** only in the answers to create and rotate-secret */
  secret?: string;
}

export interface Attempt {
  at: string;
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  trigger: string;
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  createdAt: string;
  attempts: Attempt[];
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface NewEndpoint {
  url: string;
  events: string[];
  description: string | null;
  /** the clinical surface's brand */
  brandId?: string;
}

export interface WebhookSurface {
  /** the console routes of the list and of one endpoint */
  listRoute: string;
  endpointRoute: (id: string) => string;
  /** the event types an endpoint of this surface may take */
  eventTypes: readonly string[];
  /** the clinical surface: the brands to create an endpoint for (null: any, typed in) */
  brands?: string[] | null;
  list: (cursor: string | undefined) => Promise<Page<Endpoint>>;
  create: (input: NewEndpoint) => Promise<Endpoint>;
  get: (id: string) => Promise<Endpoint>;
  setEnabled: (id: string, enabled: boolean) => Promise<Endpoint>;
  remove: (id: string) => Promise<void>;
  rotateSecret: (id: string) => Promise<Endpoint>;
  deliveries: (
    id: string,
    query: { status?: DeliveryStatus; cursor?: string; limit: number },
  ) => Promise<Page<Delivery>>;
  resend: (id: string, eventId: string) => Promise<Delivery>;
  /** how many events were queued again */
  recover: (id: string, since: string) => Promise<number>;
  /** an event as it was sent (its payload), and the console route of the order or visit it is about */
  event: (eventId: string) => Promise<{ payload: unknown; objectRoute: string | null }>;
}

/** The id of the object an event's payload is about (`data.object.id`), if it names one. */
export function eventObjectId(payload: unknown): string | null {
  const id = (payload as { data?: { object?: { id?: unknown } } } | null)?.data?.object?.id;
  return typeof id === 'string' ? id : null;
}

export const DELIVERY_STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'failed'];
