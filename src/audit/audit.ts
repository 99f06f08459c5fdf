/**
 * The audit trail: who created, read or changed which patient-data resource. Callers write the
 * rows with the same handle (transaction) as the change, so a change never lands unaudited.
 */
import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database.js';
import { auditEvents } from './tables.js';

export type AuditAction = 'create' | 'read' | 'list' | 'update' | 'delete' | 'archive' | 'cancel';

export interface AuditActor {
  actor: string;
  requestId: string | null;
}

export interface AuditEntry {
  action: AuditAction;
  resourceType: string;
  resourceId: string;
  /** brand id or workspace id */
  tenant?: string | null;
}

/** The actor and request id of an authenticated request. */
export function auditActor(request: FastifyRequest): AuditActor {
  return { actor: request.principal?.sub ?? 'anonymous', requestId: request.id };
}

export async function audit(
  q: Queryable,
  who: AuditActor,
  entries: AuditEntry | AuditEntry[],
): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await q.insert(auditEvents).values(
    list.map((e) => ({
      actor: who.actor,
      requestId: who.requestId,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      tenant: e.tenant ?? null,
    })),
  );
}
