/**
 * People are known to labline only through their tokens. A member keeps what its token last said
 * of its holder (`name`, `email`), and an owner may invite a person by email before they have ever
 * signed in: the first request whose token carries that email, verified (`email_verified: true`),
 * turns the invitation into the membership it describes, in one transaction with its audit row.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import { audit, type AuditActor } from '../audit/audit.js';
import type { Database, Queryable, Tx } from '../db/database.js';
import type { Principal } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { newObjectId } from '../http/object-id.js';
import {
  workspaceInvitations,
  workspaceMembers,
  type WorkspacePermission,
  type WorkspaceRole,
} from './tables.js';

export type InvitationRow = typeof workspaceInvitations.$inferSelect;

const INVITATION = 'workspace_invitation';

/** The email an invitation may be claimed with: only a verified one, and never a platform persona's. */
function claimableEmail(principal: Principal): string | null {
  if (principal.persona !== null || !principal.emailVerified || !principal.email) return null;
  return principal.email;
}

export async function insertInvitation(
  tx: Tx,
  actor: AuditActor,
  input: { workspaceId: string; email: string; role: WorkspaceRole; permissions: WorkspacePermission[] },
): Promise<InvitationRow> {
  const email = input.email.toLowerCase();
  const [member] = await tx
    .select({ id: workspaceMembers.id })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, input.workspaceId), eq(workspaceMembers.email, email)));
  if (member) throw Errors.conflict(`A member of this workspace already signs in with ${email}.`);
  const [row] = await tx
    .insert(workspaceInvitations)
    .values({ id: newObjectId(), ...input, email, invitedBy: actor.actor, createdAt: new Date() })
    .onConflictDoNothing()
    .returning();
  if (!row) throw Errors.conflict(`${email} is already invited to this workspace.`);
  await audit(tx, actor, {
    action: 'create',
    resourceType: INVITATION,
    resourceId: row.id,
    tenant: input.workspaceId,
  });
  return row;
}

export function listInvitations(
  q: Queryable,
  workspaceId: string,
  afterId: string | null,
  limit: number,
): Promise<InvitationRow[]> {
  return q
    .select()
    .from(workspaceInvitations)
    .where(
      and(
        eq(workspaceInvitations.workspaceId, workspaceId),
        afterId === null ? undefined : gt(workspaceInvitations.id, afterId),
      ),
    )
    .orderBy(asc(workspaceInvitations.id))
    .limit(limit);
}

export async function deleteInvitation(
  tx: Tx,
  actor: AuditActor,
  workspaceId: string,
  id: string,
): Promise<InvitationRow> {
  const [row] = await tx
    .delete(workspaceInvitations)
    .where(and(eq(workspaceInvitations.workspaceId, workspaceId), eq(workspaceInvitations.id, id)))
    .returning();
  if (!row) throw Errors.notFound('Invitation not found.');
  await audit(tx, actor, { action: 'delete', resourceType: INVITATION, resourceId: id, tenant: workspaceId });
  return row;
}

/**
 * Turns the invitations for the caller's verified email into memberships (only the one workspace's
 * when `workspaceId` is given); answers how many it claimed. An invitation to a workspace the caller
 * already belongs to is used up without changing the membership.
 */
export async function claimInvitations(
  database: Database,
  principal: Principal,
  actor: AuditActor,
  workspaceId?: string,
): Promise<number> {
  const email = claimableEmail(principal);
  if (email === null) return 0;
  return database.transaction(async (tx) => {
    const claimed = await tx
      .delete(workspaceInvitations)
      .where(
        and(
          eq(workspaceInvitations.email, email),
          workspaceId === undefined ? undefined : eq(workspaceInvitations.workspaceId, workspaceId),
        ),
      )
      .returning();
    for (const invitation of claimed) {
      const now = new Date();
      const [member] = await tx
        .insert(workspaceMembers)
        .values({
          id: newObjectId(),
          workspaceId: invitation.workspaceId,
          userId: principal.sub,
          role: invitation.role,
          permissions: invitation.permissions,
          name: principal.name ?? null,
          email,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: workspaceMembers.id });
      if (member) {
        await audit(tx, actor, [
          {
            action: 'update',
            resourceType: INVITATION,
            resourceId: invitation.id,
            tenant: invitation.workspaceId,
          },
          {
            action: 'create',
            resourceType: 'workspace_member',
            resourceId: member.id,
            tenant: invitation.workspaceId,
          },
        ]);
      }
    }
    return claimed.length;
  });
}

/** Keeps what the token says of its holder on their membership, when it says something new. */
export async function rememberHolder(
  q: Queryable,
  memberId: string,
  stored: { name: string | null; email: string | null },
  principal: Principal,
): Promise<void> {
  const name = principal.name ?? stored.name;
  const email = principal.email ?? stored.email;
  if (name === stored.name && email === stored.email) return;
  await q.update(workspaceMembers).set({ name, email }).where(eq(workspaceMembers.id, memberId));
}
