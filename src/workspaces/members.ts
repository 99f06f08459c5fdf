/**
 * Changing and removing a workspace's members. A workspace always keeps at least one owner: both
 * changes lock the workspace row first (lockWorkspace), so two owners demoting or removing each
 * other at the same moment, on any replicas, are decided one after the other, and the second
 * finds itself about to remove the last owner (409 `last_owner`).
 */
import { audit, type AuditActor } from '../audit/audit.js';
import type { Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import type { WorkspacePermission, WorkspaceRole } from './tables.js';
import {
  countOtherOwners,
  deleteMember,
  findMember,
  lockWorkspace,
  updateMember,
  type MemberRow,
} from './workspaces-repository.js';

const MEMBER = 'workspace_member';

export interface MemberChange {
  role?: WorkspaceRole;
  permissions?: WorkspacePermission[];
}

export interface MemberContext {
  workspaceId: string;
  /** the acting owner's user id */
  userId: string;
  actor: AuditActor;
}

/** A member change's one audit row: the caller, the membership, the workspace as tenant. */
export function auditMember(
  tx: Tx,
  ctx: Pick<MemberContext, 'workspaceId' | 'actor'>,
  action: 'create' | 'update' | 'delete',
  memberId: string,
): Promise<void> {
  return audit(tx, ctx.actor, {
    action,
    resourceType: MEMBER,
    resourceId: memberId,
    tenant: ctx.workspaceId,
  });
}

export async function changeMember(
  tx: Tx,
  ctx: MemberContext,
  targetUserId: string,
  change: MemberChange,
): Promise<MemberRow> {
  const target = await lockedTarget(
    tx,
    ctx,
    targetUserId,
    change.role !== undefined && change.role !== 'owner',
  );
  const row = await updateMember(tx, target.id, change);
  await auditMember(tx, ctx, 'update', row.id);
  return row;
}

export async function removeMember(tx: Tx, ctx: MemberContext, targetUserId: string): Promise<MemberRow> {
  const target = await lockedTarget(tx, ctx, targetUserId, true);
  await deleteMember(tx, target.id);
  await auditMember(tx, ctx, 'delete', target.id);
  return target;
}

/**
 * Under the workspace lock: the member to change (404 if none), 409 `last_owner` when the change
 * `takesOwnership` away from the only owner, and 403 when the caller stopped being an owner
 * after the route's guard let the request in (a concurrent demotion that committed first).
 */
async function lockedTarget(
  tx: Tx,
  ctx: MemberContext,
  targetUserId: string,
  takesOwnership: boolean,
): Promise<MemberRow> {
  await lockWorkspace(tx, ctx.workspaceId);
  const target = await findMember(tx, ctx.workspaceId, targetUserId);
  if (!target) throw Errors.notFound('Member not found.');
  if (
    takesOwnership &&
    target.role === 'owner' &&
    (await countOtherOwners(tx, ctx.workspaceId, target.userId)) === 0
  ) {
    throw Errors.lastOwner("This is the workspace's last owner: make another member an owner first.");
  }
  const caller = target.userId === ctx.userId ? target : await findMember(tx, ctx.workspaceId, ctx.userId);
  if (caller?.role !== 'owner') throw Errors.forbidden('Only a workspace owner may do this.');
  return target;
}
