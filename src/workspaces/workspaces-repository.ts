/** Workspaces and their members. */
import { and, asc, count, eq, gt, ilike, inArray, ne, type SQL } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { newObjectId } from '../http/object-id.js';
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

/**
 * Workspaces by id, after `afterId`; only those `memberUserId` belongs to unless it is null
 * (admin); only those whose name contains `nameContains` (any letter case) unless it is null.
 */
export async function listWorkspaces(
  q: Queryable,
  filter: { memberUserId: string | null; nameContains: string | null },
  afterId: string | null,
  limit: number,
): Promise<WorkspaceRow[]> {
  const { memberUserId, nameContains } = filter;
  const where: (SQL | undefined)[] = [
    afterId === null ? undefined : gt(workspaces.id, afterId),
    nameContains === null ? undefined : ilike(workspaces.name, `%${escapeLike(nameContains)}%`),
  ];
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

/** `text` matched literally by LIKE: its wildcards and the escape character escaped. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function renameWorkspace(q: Queryable, id: string, name: string): Promise<WorkspaceRow | null> {
  const [row] = await q
    .update(workspaces)
    .set({ name, updatedAt: new Date() })
    .where(eq(workspaces.id, id))
    .returning();
  return row ?? null;
}

/**
 * Locks the workspace row until the transaction ends: every change that could leave the
 * workspace without an owner takes this lock first, so two of them (two owners demoting each
 * other at once, on any replicas) run one after the other and the second sees the first's result.
 */
export async function lockWorkspace(tx: Tx, id: string): Promise<void> {
  await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, id)).for('update');
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

export async function findMember(
  q: Queryable,
  workspaceId: string,
  userId: string,
): Promise<MemberRow | null> {
  const [row] = await q
    .select()
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  return row ?? null;
}

/** How many owners the workspace has besides `exceptUserId`. */
export async function countOtherOwners(
  q: Queryable,
  workspaceId: string,
  exceptUserId: string,
): Promise<number> {
  const [row] = await q
    .select({ n: count() })
    .from(workspaceMembers)
    .where(
      and(
        eq(workspaceMembers.workspaceId, workspaceId),
        eq(workspaceMembers.role, 'owner'),
        ne(workspaceMembers.userId, exceptUserId),
      ),
    );
  return row?.n ?? 0;
}

export async function updateMember(
  q: Queryable,
  id: string,
  changes: { role?: WorkspaceRole; permissions?: WorkspacePermission[] },
): Promise<MemberRow> {
  const [row] = await q
    .update(workspaceMembers)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(workspaceMembers.id, id))
    .returning();
  return row!;
}

export async function deleteMember(q: Queryable, id: string): Promise<void> {
  await q.delete(workspaceMembers).where(eq(workspaceMembers.id, id));
}
