/**
 * What both surfaces' endpoint routes do, in the tenant's terms (a brand or a workspace); the
 * route files only translate case and check who is asking.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { rows } from '../db/database.js';
import { cursorCodec } from '../http/cursor.js';
import { Errors } from '../http/errors.js';
import { instantOf } from '../http/instants.js';
import {
  failPendingOfDisabled,
  listDeliveries,
  recoverEvents,
  resendEvent,
  type DeliveryRow,
} from './deliveries-repository.js';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  parseEndpointId,
  rotateSecret,
  updateEndpoint,
  type EndpointChanges,
  type EndpointRow,
  type TenantScope,
} from './endpoints-repository.js';
import { MAX_ENDPOINTS_PER_TENANT } from './schemas.js';
import { newSigningSecret } from './signing.js';
import type { DeliveryStatus } from './tables.js';
import { checkWebhookUrl, UnsafeUrl, type UrlPolicy } from './url-safety.js';

/** How long a rotated-out secret keeps signing. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export interface ManageDeps {
  database: Database;
  policy: UrlPolicy;
}

export type Tenant = { brandId: string; workspaceId: null } | { brandId: null; workspaceId: string };

/** The URL as given, or 400 `invalid_webhook_url` saying why it is refused. */
async function acceptedUrl(policy: UrlPolicy, url: string): Promise<string> {
  try {
    await checkWebhookUrl(url, policy);
    return url;
  } catch (err) {
    if (err instanceof UnsafeUrl) throw Errors.invalidWebhookUrl(err.reason);
    throw err;
  }
}

export async function createEndpoint(
  deps: ManageDeps,
  tenant: Tenant,
  input: { url: string; events: string[]; description: string | null },
): Promise<EndpointRow> {
  const url = await acceptedUrl(deps.policy, input.url);
  return deps.database.transaction(async (tx) => {
    // One at a time per tenant, so the limit holds under concurrent creates.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`webhook-endpoints:${tenant.brandId ?? tenant.workspaceId}`}))`,
    );
    const [count] = await rows<{ n: number }>(
      tx,
      tenant.brandId !== null
        ? sql`select count(*)::int as n from webhook_endpoints where brand_id = ${tenant.brandId}`
        : sql`select count(*)::int as n from webhook_endpoints where workspace_id = ${tenant.workspaceId}`,
    );
    if ((count?.n ?? 0) >= MAX_ENDPOINTS_PER_TENANT)
      throw Errors.webhookEndpointLimit(MAX_ENDPOINTS_PER_TENANT);
    return insertEndpoint(tx, { ...tenant, ...input, url, secret: newSigningSecret() });
  });
}

/** The endpoint named by a path parameter, if the caller's scope holds it; else 404. */
export async function visibleEndpoint(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
): Promise<EndpointRow> {
  const id = parseEndpointId(rawId);
  const row = id === null ? null : await findEndpoint(deps.database.db, scope, id);
  if (!row) throw Errors.notFound('Webhook endpoint not found.');
  return row;
}

const ENDPOINT_CURSOR = cursorCodec('objectId');

export async function endpointPage(
  deps: ManageDeps,
  scope: TenantScope,
  page: { limit?: number; cursor?: string },
): Promise<{ items: EndpointRow[]; nextCursor: string | null }> {
  const limit = page.limit ?? 50;
  const afterId = page.cursor === undefined ? null : `ep_${ENDPOINT_CURSOR.decode(page.cursor)[0]}`;
  const found = await listEndpoints(deps.database.db, scope, afterId, limit + 1);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: found.length > limit && last ? ENDPOINT_CURSOR.encode([last.id.slice('ep_'.length)]) : null,
  };
}

export async function changeEndpoint(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
  changes: EndpointChanges,
): Promise<EndpointRow> {
  const current = await visibleEndpoint(deps, scope, rawId);
  if (changes.url !== undefined) await acceptedUrl(deps.policy, changes.url);
  const row = await deps.database.transaction(async (tx) => {
    const updated = await updateEndpoint(tx, scope, current.id, changes);
    if (updated && changes.enabled === false) await failPendingOfDisabled(tx, current.id);
    return updated;
  });
  if (!row) throw Errors.notFound('Webhook endpoint not found.');
  return row;
}

export async function removeEndpoint(deps: ManageDeps, scope: TenantScope, rawId: string): Promise<void> {
  const id = parseEndpointId(rawId);
  if (id === null || !(await deleteEndpoint(deps.database.db, scope, id)))
    throw Errors.notFound('Webhook endpoint not found.');
}

/** A new secret, returned once; the old one signs too for ROTATION_OVERLAP_MS. */
export async function rotateEndpointSecret(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
): Promise<EndpointRow> {
  const id = parseEndpointId(rawId);
  const row =
    id === null
      ? null
      : await rotateSecret(
          deps.database.db,
          scope,
          id,
          newSigningSecret(),
          new Date(Date.now() + ROTATION_OVERLAP_MS),
        );
  if (!row) throw Errors.notFound('Webhook endpoint not found.');
  return row;
}

const DELIVERY_CURSOR = cursorCodec('timestamp', 'uuid');

export async function deliveryPage(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
  query: { status?: DeliveryStatus; limit?: number; cursor?: string },
): Promise<{ items: DeliveryRow[]; nextCursor: string | null }> {
  const endpoint = await visibleEndpoint(deps, scope, rawId);
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? null : DELIVERY_CURSOR.decode(query.cursor);
  const found = await listDeliveries(deps.database.db, endpoint.id, query.status, after, limit + 1);
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: found.length > limit && last ? DELIVERY_CURSOR.encode([last.createdAt, last.id]) : null,
  };
}

/** Resend: a new delivery of one event of the endpoint's tenant, due now; 404 for any other event. */
export async function resend(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
  eventId: string,
): Promise<DeliveryRow> {
  const endpoint = await visibleEndpoint(deps, scope, rawId);
  if (!endpoint.enabled) throw Errors.webhookEndpointDisabled();
  const row = await deps.database.transaction((tx) => resendEvent(tx, endpoint, eventId));
  if (!row) throw Errors.notFound('Event not found.');
  return row;
}

/** Recover: what failed or was skipped since `since` is delivered again; returns how many. */
export async function recover(
  deps: ManageDeps,
  scope: TenantScope,
  rawId: string,
  since: string,
): Promise<number> {
  const endpoint = await visibleEndpoint(deps, scope, rawId);
  if (!endpoint.enabled) throw Errors.webhookEndpointDisabled();
  return recoverEvents(deps.database.db, endpoint, instantOf(since));
}
