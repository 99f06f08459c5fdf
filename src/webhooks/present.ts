/** Endpoints and deliveries as each surface shows them (snake_case clinical, camelCase workspace). */
import type { DeliveryRow } from './deliveries-repository.js';
import type { EndpointRow } from './endpoints-repository.js';

const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

/** The secret only where it is shown: the answers to create and rotate-secret. */
type WithSecret = { withSecret?: boolean };

export function clinicalEndpoint(row: EndpointRow, { withSecret = false }: WithSecret = {}) {
  return {
    id: row.id,
    brand_id: row.brandId ?? '',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    disabled_at: isoOrNull(row.disabledAt),
    previous_secret_expires_at: previousSecretExpiry(row),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    ...(withSecret ? { secret: row.secret } : {}),
  };
}

export function workspaceEndpoint(row: EndpointRow, { withSecret = false }: WithSecret = {}) {
  return {
    id: row.id,
    workspaceId: row.workspaceId ?? '',
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: isoOrNull(row.disabledAt),
    previousSecretExpiresAt: previousSecretExpiry(row),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(withSecret ? { secret: row.secret } : {}),
  };
}

function previousSecretExpiry(row: EndpointRow): string | null {
  return row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date()
    ? row.previousSecretExpiresAt.toISOString()
    : null;
}

export function clinicalDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType,
    trigger: row.trigger,
    status: row.status,
    next_attempt_at: isoOrNull(row.nextAttemptAt),
    created_at: row.createdAt.toISOString(),
    attempts: row.attempts.map((a) => ({
      at: a.at,
      response_status: a.status,
      error: a.error,
      duration_ms: a.duration_ms,
      response_body: a.response_body,
    })),
  };
}

export function workspaceDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    trigger: row.trigger,
    status: row.status,
    nextAttemptAt: isoOrNull(row.nextAttemptAt),
    createdAt: row.createdAt.toISOString(),
    attempts: row.attempts.map((a) => ({
      at: a.at,
      responseStatus: a.status,
      error: a.error,
      durationMs: a.duration_ms,
      responseBody: a.response_body,
    })),
  };
}
