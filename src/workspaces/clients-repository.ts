/** A workspace's clients and referrals. Every lookup is by (workspace, id): another workspace's row is simply absent. */
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { newObjectId } from '../http/object-id.js';
import { workspaceClients, workspaceReferrals } from './tables.js';

export type ClientRow = typeof workspaceClients.$inferSelect;
export type ReferralRow = typeof workspaceReferrals.$inferSelect;

export interface ClientInput {
  firstName: string;
  lastName: string;
  email: string | null;
  dob: string | null;
  phone: string | null;
}

export async function insertClient(
  q: Queryable,
  workspaceId: string,
  createdBy: string,
  input: ClientInput,
): Promise<ClientRow> {
  const now = new Date();
  const [row] = await q
    .insert(workspaceClients)
    .values({ id: newObjectId(), workspaceId, createdBy, ...input, createdAt: now, updatedAt: now })
    .returning();
  return row!;
}

/**
 * Lock `share` when the caller records something that needs the row to stay as read until it
 * commits (a visit for the client): an archive running at the same time waits for it, or, when
 * it came first, is seen.
 */
export type RowLock = 'share' | null;

export async function findClient(
  q: Queryable,
  workspaceId: string,
  id: string,
  lock: RowLock = null,
): Promise<ClientRow | null> {
  const query = q
    .select()
    .from(workspaceClients)
    .where(and(eq(workspaceClients.workspaceId, workspaceId), eq(workspaceClients.id, id)));
  const [row] = await (lock === null ? query : query.for(lock));
  return row ?? null;
}

export interface ListFilter {
  /** archived rows too (lists hide them by default) */
  includeArchived: boolean;
}

export async function listClients(
  q: Queryable,
  workspaceId: string,
  filter: ListFilter,
  afterId: string | null,
  limit: number,
): Promise<ClientRow[]> {
  return q
    .select()
    .from(workspaceClients)
    .where(
      and(
        eq(workspaceClients.workspaceId, workspaceId),
        filter.includeArchived ? undefined : isNull(workspaceClients.archivedAt),
        afterId === null ? undefined : gt(workspaceClients.id, afterId),
      ),
    )
    .orderBy(asc(workspaceClients.id))
    .limit(limit);
}

export type ClientChange = Partial<ClientInput>;

/** The changed client, or null when the workspace has no such client. */
export async function updateClient(
  q: Queryable,
  workspaceId: string,
  id: string,
  change: ClientChange,
): Promise<ClientRow | null> {
  const [row] = await q
    .update(workspaceClients)
    .set({ ...change, updatedAt: new Date() })
    .where(and(eq(workspaceClients.workspaceId, workspaceId), eq(workspaceClients.id, id)))
    .returning();
  return row ?? null;
}

/** Archives the client; null when it has no such client or the client was archived already. */
export async function archiveClient(
  q: Queryable,
  workspaceId: string,
  id: string,
): Promise<ClientRow | null> {
  const now = new Date();
  const [row] = await q
    .update(workspaceClients)
    .set({ archivedAt: now, updatedAt: now })
    .where(
      and(
        eq(workspaceClients.workspaceId, workspaceId),
        eq(workspaceClients.id, id),
        isNull(workspaceClients.archivedAt),
      ),
    )
    .returning();
  return row ?? null;
}

export interface ReferralInput {
  name: string;
  clientId: string | null;
  notes: string | null;
}

export async function insertReferral(
  q: Queryable,
  workspaceId: string,
  createdBy: string,
  input: ReferralInput,
): Promise<ReferralRow> {
  const now = new Date();
  const [row] = await q
    .insert(workspaceReferrals)
    .values({ id: newObjectId(), workspaceId, createdBy, ...input, createdAt: now, updatedAt: now })
    .returning();
  return row!;
}

export async function findReferral(
  q: Queryable,
  workspaceId: string,
  id: string,
  lock: RowLock = null,
): Promise<ReferralRow | null> {
  const query = q
    .select()
    .from(workspaceReferrals)
    .where(and(eq(workspaceReferrals.workspaceId, workspaceId), eq(workspaceReferrals.id, id)));
  const [row] = await (lock === null ? query : query.for(lock));
  return row ?? null;
}

export async function listReferrals(
  q: Queryable,
  workspaceId: string,
  filter: ListFilter,
  afterId: string | null,
  limit: number,
): Promise<ReferralRow[]> {
  return q
    .select()
    .from(workspaceReferrals)
    .where(
      and(
        eq(workspaceReferrals.workspaceId, workspaceId),
        filter.includeArchived ? undefined : isNull(workspaceReferrals.archivedAt),
        afterId === null ? undefined : gt(workspaceReferrals.id, afterId),
      ),
    )
    .orderBy(asc(workspaceReferrals.id))
    .limit(limit);
}

export type ReferralChange = Partial<Pick<ReferralInput, 'name' | 'notes'>>;

export async function updateReferral(
  q: Queryable,
  workspaceId: string,
  id: string,
  change: ReferralChange,
): Promise<ReferralRow | null> {
  const [row] = await q
    .update(workspaceReferrals)
    .set({ ...change, updatedAt: new Date() })
    .where(and(eq(workspaceReferrals.workspaceId, workspaceId), eq(workspaceReferrals.id, id)))
    .returning();
  return row ?? null;
}

/** Archives the referral; null when there is no such referral or it was archived already. */
export async function archiveReferral(
  q: Queryable,
  workspaceId: string,
  id: string,
): Promise<ReferralRow | null> {
  const now = new Date();
  const [row] = await q
    .update(workspaceReferrals)
    .set({ archivedAt: now, updatedAt: now })
    .where(
      and(
        eq(workspaceReferrals.workspaceId, workspaceId),
        eq(workspaceReferrals.id, id),
        isNull(workspaceReferrals.archivedAt),
      ),
    )
    .returning();
  return row ?? null;
}
