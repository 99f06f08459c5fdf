/** Webhook endpoints: their rows, scoped to a tenant (a brand or a workspace). */
import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import { rows, type Queryable } from '../db/database.js';
import { newObjectId } from '../http/object-id.js';
import { webhookEndpoints } from './tables.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/**
 * Whose endpoints a request may see: one workspace, some brands, or (a token not restricted by
 * brand) every brand's.
 */
export type TenantScope = { workspaceId: string } | { brandIds: readonly string[] | null };

const ENDPOINT_ID = /^ep_[0-9a-f]{24}$/;

export function newEndpointId(): string {
  return `ep_${newObjectId()}`;
}

/** The endpoint id in its stored form, or null for a string that is no endpoint id at all. */
export function parseEndpointId(value: string): string | null {
  return ENDPOINT_ID.test(value) ? value : null;
}

function inScope(scope: TenantScope): SQL | undefined {
  if ('workspaceId' in scope) return eq(webhookEndpoints.workspaceId, scope.workspaceId);
  if (scope.brandIds === null) return sql`${webhookEndpoints.brandId} is not null`;
  return inArray(webhookEndpoints.brandId, [...scope.brandIds]);
}

export interface NewEndpoint {
  brandId: string | null;
  workspaceId: string | null;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
}

export async function insertEndpoint(q: Queryable, input: NewEndpoint): Promise<EndpointRow> {
  const now = new Date();
  const [row] = await q
    .insert(webhookEndpoints)
    .values({ id: newEndpointId(), ...input, createdAt: now, updatedAt: now })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function findEndpoint(
  q: Queryable,
  scope: TenantScope,
  id: string,
): Promise<EndpointRow | null> {
  const [row] = await q
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), inScope(scope)));
  return row ?? null;
}

/** Endpoints in creation order (ids are time-ordered), after `afterId`. */
export async function listEndpoints(
  q: Queryable,
  scope: TenantScope,
  afterId: string | null,
  limit: number,
): Promise<EndpointRow[]> {
  return q
    .select()
    .from(webhookEndpoints)
    .where(and(inScope(scope), afterId === null ? undefined : gt(webhookEndpoints.id, afterId)))
    .orderBy(asc(webhookEndpoints.id))
    .limit(limit);
}

export interface EndpointChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
}

/**
 * Applies a PATCH. Enabling clears the reason it was disabled and its failure clock; disabling
 * by hand records that reason.
 */
export async function updateEndpoint(
  q: Queryable,
  scope: TenantScope,
  id: string,
  changes: EndpointChanges,
): Promise<EndpointRow | null> {
  const now = new Date();
  const { enabled, ...rest } = changes;
  const [row] = await q
    .update(webhookEndpoints)
    .set({
      ...rest,
      ...(enabled === true ? { enabled, disabledReason: null, disabledAt: null, failingSince: null } : {}),
      ...(enabled === false
        ? {
            enabled,
            disabledReason: sql`case when ${webhookEndpoints.enabled} then 'Disabled by a PATCH request.' else ${webhookEndpoints.disabledReason} end`,
            disabledAt: sql`case when ${webhookEndpoints.enabled} then ${now} else ${webhookEndpoints.disabledAt} end`,
          }
        : {}),
      updatedAt: now,
    })
    .where(and(eq(webhookEndpoints.id, id), inScope(scope)))
    .returning();
  return row ?? null;
}

/** Deletes the endpoint and its deliveries log, in one statement (no foreign key does it: tables.ts). */
export async function deleteEndpoint(q: Queryable, scope: TenantScope, id: string): Promise<boolean> {
  const deleted = await rows<{ id: string }>(
    q,
    sql`with gone as (
          delete from ${webhookEndpoints} where ${and(eq(webhookEndpoints.id, id), inScope(scope))} returning id),
        log as (delete from webhook_deliveries where endpoint_id in (select id from gone))
        select id from gone`,
  );
  return deleted.length > 0;
}

/**
 * A new signing secret; the current one keeps signing until `overlapUntil`. A second rotation
 * within the overlap drops the oldest secret: at most two sign at once.
 */
export async function rotateSecret(
  q: Queryable,
  scope: TenantScope,
  id: string,
  secret: string,
  overlapUntil: Date,
): Promise<EndpointRow | null> {
  const [row] = await q
    .update(webhookEndpoints)
    .set({
      previousSecret: sql`${webhookEndpoints.secret}`,
      previousSecretExpiresAt: overlapUntil,
      secret,
      updatedAt: new Date(),
    })
    .where(and(eq(webhookEndpoints.id, id), inScope(scope)))
    .returning();
  return row ?? null;
}

/** The secrets that sign now: the current one, and the previous one during its overlap. */
export function signingSecrets(
  row: Pick<EndpointRow, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  now = new Date(),
): string[] {
  return row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now
    ? [row.secret, row.previousSecret]
    : [row.secret];
}
