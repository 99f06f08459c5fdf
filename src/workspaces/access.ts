/**
 * Who may use a workspace-scoped route (docs/workspace-lab-visits.md, the contract's persona table). Runs as the
 * route's preValidation hook: after the token is verified, before the body is validated, so a
 * caller without access learns nothing about a route's body rules. Order of the answers:
 *   platform admin or customer persona → 403; malformed workspace id → 422 `invalid_id`;
 *   unknown workspace → 404; not a member → 403; member without the route's permission → 403.
 * Membership is read from the database on every request and never cached, so a member removed or
 * demoted on one replica is refused on every replica from their next request on.
 */
import { and, eq } from 'drizzle-orm';
import { auditActor } from '../audit/audit.js';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import { principalOf, type Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { parseObjectId } from '../http/object-id.js';
import { claimInvitations, rememberHolder } from './invitations.js';
import { findWorkspace } from './workspaces-repository.js';
import { workspaceMembers, workspaces, type WorkspacePermission, type WorkspaceRole } from './tables.js';

/** What a route needs: any membership, the owner role, or a permission (owners have them all). */
export type WorkspaceNeed = 'member' | 'owner' | WorkspacePermission;

export interface WorkspaceAccess {
  workspaceId: string;
  userId: string;
  role: WorkspaceRole;
  permissions: readonly string[];
}

const granted = new WeakMap<FastifyRequest, WorkspaceAccess>();

/** 403 for end customers, who have no part in the workspace surface. */
export function refuseCustomer(principal: Principal): void {
  if (principal.persona === 'customer') throw Errors.forbidden('Customers may not use workspace routes.');
}

/** 403 for the personas that never act inside a workspace. */
export function refuseWorkspacePersonas(principal: Principal): void {
  if (principal.persona === 'admin') {
    throw Errors.forbidden('Platform admins do not act inside workspaces; use a workspace member token.');
  }
  refuseCustomer(principal);
}

export function allows(access: Pick<WorkspaceAccess, 'role' | 'permissions'>, need: WorkspaceNeed): boolean {
  if (access.role === 'owner') return true;
  if (need === 'member') return true;
  if (need === 'owner') return false;
  return access.permissions.includes(need);
}

export function workspaceGuard(database: Database, need: WorkspaceNeed) {
  return async function guardWorkspace(request: FastifyRequest): Promise<void> {
    const principal = principalOf(request);
    refuseWorkspacePersonas(principal);
    const workspaceId = parseObjectId((request.params as { workspaceId: string }).workspaceId, 'workspaceId');
    const readMembership = () =>
      database.db
        .select({
          memberId: workspaceMembers.id,
          role: workspaceMembers.role,
          permissions: workspaceMembers.permissions,
          name: workspaceMembers.name,
          email: workspaceMembers.email,
        })
        .from(workspaces)
        .leftJoin(
          workspaceMembers,
          and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, principal.sub)),
        )
        .where(eq(workspaces.id, workspaceId));
    let [row] = await readMembership();
    if (!row) throw Errors.notFound('Workspace not found.');
    // Not a member yet: an invitation for the token's verified email makes them one now.
    if (
      row.role === null &&
      (await claimInvitations(database, principal, auditActor(request), workspaceId)) > 0
    ) {
      [row] = await readMembership();
    }
    if (!row || row.role === null || row.memberId === null) {
      throw Errors.forbidden('You are not a member of this workspace.');
    }
    await rememberHolder(database.db, row.memberId, row, principal);
    const access = { workspaceId, userId: principal.sub, role: row.role, permissions: row.permissions ?? [] };
    if (!allows(access, need)) {
      throw Errors.forbidden(
        need === 'owner'
          ? 'Only a workspace owner may do this.'
          : `This needs the "${need}" permission in this workspace.`,
      );
    }
    granted.set(request, access);
  };
}

/**
 * preValidation of the routes about a workspace itself that its owners and the platform admin
 * share (renaming it). The admin only needs the workspace to exist; anyone else is an owner.
 */
export function workspaceOwnerOrAdminGuard(database: Database) {
  const ownerGuard = workspaceGuard(database, 'owner');
  return async function guardOwnerOrAdmin(request: FastifyRequest): Promise<void> {
    if (principalOf(request).persona !== 'admin') return ownerGuard(request);
    const workspaceId = parseObjectId((request.params as { workspaceId: string }).workspaceId, 'workspaceId');
    if (!(await findWorkspace(database.db, workspaceId))) throw Errors.notFound('Workspace not found.');
  };
}

/** The access the route's guard granted. */
export function workspaceAccessOf(request: FastifyRequest): WorkspaceAccess {
  const access = granted.get(request);
  if (!access) throw new Error('workspaceGuard did not run for this route');
  return access;
}

/** preValidation hook of the platform admin's routes (workspace creation, the catalog). */
export async function requirePlatformAdmin(request: FastifyRequest): Promise<void> {
  if (principalOf(request).persona !== 'admin') throw Errors.forbidden('Only a platform admin may do this.');
}
