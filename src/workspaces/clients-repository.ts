/** A workspace's clients and referrals. Every lookup is by (workspace, id): another workspace's row is simply absent. */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { newObjectId } from './object-id.js';
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

export async function findClient(q: Queryable, workspaceId: string, id: string): Promise<ClientRow | null> {
  const [row] = await q
    .select()
    .from(workspaceClients)
    .where(and(eq(workspaceClients.workspaceId, workspaceId), eq(workspaceClients.id, id)));
  return row ?? null;
}

export async function listClients(
  q: Queryable,
  workspaceId: string,
  afterId: string | null,
  limit: number,
): Promise<ClientRow[]> {
  return q
    .select()
    .from(workspaceClients)
    .where(
      and(
        eq(workspaceClients.workspaceId, workspaceId),
        afterId === null ? undefined : gt(workspaceClients.id, afterId),
      ),
    )
    .orderBy(asc(workspaceClients.id))
    .limit(limit);
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
): Promise<ReferralRow | null> {
  const [row] = await q
    .select()
    .from(workspaceReferrals)
    .where(and(eq(workspaceReferrals.workspaceId, workspaceId), eq(workspaceReferrals.id, id)));
  return row ?? null;
}

export async function listReferrals(
  q: Queryable,
  workspaceId: string,
  afterId: string | null,
  limit: number,
): Promise<ReferralRow[]> {
  return q
    .select()
    .from(workspaceReferrals)
    .where(
      and(
        eq(workspaceReferrals.workspaceId, workspaceId),
        afterId === null ? undefined : gt(workspaceReferrals.id, afterId),
      ),
    )
    .orderBy(asc(workspaceReferrals.id))
    .limit(limit);
}
