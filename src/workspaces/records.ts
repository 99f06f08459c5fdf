/**
 * What the client and referral routes share: both hold patient data, so every read, list and
 * change writes an audit row in the same transaction; both are archived rather than deleted.
 * `audited` also serves the coupons' routes, whose creates and changes are audited.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { audit, auditActor, type AuditAction, type AuditActor } from '../audit/audit.js';
import type { Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { workspaceAccessOf } from './access.js';
import { PageQuery } from '../http/pagination.js';

export interface RecordKind {
  /** the audit trail's resource type */
  resourceType: string;
  /** "Client", "Referral": for the 404 */
  noun: string;
}

export interface RecordScope {
  workspaceId: string;
  actor: AuditActor;
}

/** The workspace the route's guard let the request into, and who acts. */
export function recordScopeOf(request: FastifyRequest): RecordScope {
  return { workspaceId: workspaceAccessOf(request).workspaceId, actor: auditActor(request) };
}

/** A list's query: pagination, and archived rows only on request. */
export const ArchivableListQuery = (plural: string) =>
  Type.Object({
    ...PageQuery,
    archived: Type.Optional(
      Type.Boolean({
        default: false,
        description: `\`true\` lists archived ${plural} too (hidden by default)`,
      }),
    ),
  });

/** `row` (404 when null), audited as `action`. */
export async function audited<R extends { id: string }>(
  tx: Tx,
  scope: RecordScope,
  kind: RecordKind,
  action: AuditAction,
  row: R | null,
): Promise<R> {
  if (!row) throw Errors.notFound(`${kind.noun} not found.`);
  await audit(tx, scope.actor, {
    action,
    resourceType: kind.resourceType,
    resourceId: row.id,
    tenant: scope.workspaceId,
  });
  return row;
}

/** A page of records with one `list` audit row per record shown. */
export async function auditedList<R extends { id: string }>(
  tx: Tx,
  scope: RecordScope,
  kind: RecordKind,
  page: { items: R[]; nextCursor: string | null },
): Promise<{ items: R[]; nextCursor: string | null }> {
  await audit(
    tx,
    scope.actor,
    page.items.map((r) => ({
      action: 'list' as const,
      resourceType: kind.resourceType,
      resourceId: r.id,
      tenant: scope.workspaceId,
    })),
  );
  return page;
}

/**
 * DELETE's archive. `archive` archives the record unless it is archived already (null then, or
 * when there is none): archived now is one `archive` audit row; already archived, it is answered
 * unchanged and audited as the `read` it is; 404 when there is no such record.
 */
export async function archiveOnce<R extends { id: string }>(
  tx: Tx,
  scope: RecordScope,
  kind: RecordKind,
  archive: () => Promise<R | null>,
  find: () => Promise<R | null>,
): Promise<R> {
  const archived = await archive();
  if (archived) return audited(tx, scope, kind, 'archive', archived);
  return audited(tx, scope, kind, 'read', await find());
}
