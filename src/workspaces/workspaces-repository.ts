/** Workspaces and their members. */
import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { newObjectId } from './object-id.js';
import { workspaceMembers, workspaces, type WorkspacePermission, type WorkspaceRole } from './tables.js';

export type WorkspaceRow = typeof workspaces.$inferSelect;
export type MemberRow = typeof workspaceMembers.$inferSelect;

/** Creates the workspace and its owner's membership together. */
export async function insertWorkspace(
  tx: Tx,
  input: { name: string; ownerUserId: string; createdBy: string },
): Promise<WorkspaceRow> {
  const now = new Date();
  const [workspace] = await tx
    .insert(workspaces)
    .values({ id: newObjectId(), ...input, createdAt: now, updatedAt: now })
    .returning();
  await tx.insert(workspaceMembers).values({
    id: newObjectId(),
    workspaceId: workspace!.id,
    userId: input.ownerUserId,
    role: 'owner',
    permissions: [],
    createdAt: now,
    updatedAt: now,
  });
  return workspace!;
}

export async function findWorkspace(q: Queryable, id: string): Promise<WorkspaceRow | null> {
  const [row] = await q.select().from(workspaces).where(eq(workspaces.id, id));
  return row ?? null;
}

export async function isMember(q: Queryable, workspaceId: string, userId: string): Promise<boolean> {
  const [row] = await q
    .select({ id: workspaceMembers.id })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  return row !== undefined;
}

/** Workspaces by id, after `afterId`; only those `memberUserId` belongs to unless it is null (admin). */
export async function listWorkspaces(
  q: Queryable,
  memberUserId: string | null,
  afterId: string | null,
  limit: number,
): Promise<WorkspaceRow[]> {
  const where: (SQL | undefined)[] = [afterId === null ? undefined : gt(workspaces.id, afterId)];
  if (memberUserId !== null) {
    where.push(
      inArray(
        workspaces.id,
        q
          .select({ id: workspaceMembers.workspaceId })
          .from(workspaceMembers)
          .where(eq(workspaceMembers.userId, memberUserId)),
      ),
    );
  }
  return q
    .select()
    .from(workspaces)
    .where(and(...where))
    .orderBy(asc(workspaces.id))
    .limit(limit);
}

/** 409 `conflict` when the user already belongs to the workspace. */
export async function insertMember(
  q: Queryable,
  input: { workspaceId: string; userId: string; role: WorkspaceRole; permissions: WorkspacePermission[] },
): Promise<MemberRow> {
  const now = new Date();
  const [row] = await q
    .insert(workspaceMembers)
    .values({ id: newObjectId(), ...input, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!row) throw Errors.conflict('This user is already a member of the workspace.');
  return row;
}

export async function listMembers(
  q: Queryable,
  workspaceId: string,
  afterId: string | null,
  limit: number,
): Promise<MemberRow[]> {
  return q
    .select()
    .from(workspaceMembers)
    .where(
      and(
        eq(workspaceMembers.workspaceId, workspaceId),
        afterId === null ? undefined : gt(workspaceMembers.id, afterId),
      ),
    )
    .orderBy(asc(workspaceMembers.id))
    .limit(limit);
}
