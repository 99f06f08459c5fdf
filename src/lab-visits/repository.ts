/** Lab visit rows. Every query is by workspace, and a soft-deleted visit is invisible to all of them. */
import { and, eq, gte, isNull, lte, type SQL } from 'drizzle-orm';
import { newestFirst, olderThan, type Queryable } from '../db/database.js';
import { labVisits, type LabVisitStatus } from './tables.js';

export type LabVisitRow = typeof labVisits.$inferSelect;
export type NewLabVisit = typeof labVisits.$inferInsert;

export async function insertVisit(q: Queryable, values: NewLabVisit): Promise<LabVisitRow> {
  const [row] = await q.insert(labVisits).values(values).returning();
  return row!;
}

/** The live visit; `forUpdate` locks it for a read-modify-write in the caller's transaction. */
export async function findVisit(
  q: Queryable,
  workspaceId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<LabVisitRow | null> {
  const query = q
    .select()
    .from(labVisits)
    .where(and(eq(labVisits.workspaceId, workspaceId), eq(labVisits.id, id), isNull(labVisits.deletedAt)));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export interface VisitFilters {
  clientId?: string;
  status?: LabVisitStatus;
  from?: Date;
  to?: Date;
  /** keyset position: the (labVisitDate, id) of the last visit of the previous page */
  after?: { date: Date; id: string } | null;
}

/** Newest visit date first, id breaking ties (the order of lab_visits_workspace_date_idx). */
export async function listVisits(
  q: Queryable,
  workspaceId: string,
  filters: VisitFilters,
  limit: number,
): Promise<LabVisitRow[]> {
  const where: (SQL | undefined)[] = [
    eq(labVisits.workspaceId, workspaceId),
    isNull(labVisits.deletedAt),
    filters.clientId === undefined ? undefined : eq(labVisits.clientId, filters.clientId),
    filters.status === undefined ? undefined : eq(labVisits.status, filters.status),
    filters.from === undefined ? undefined : gte(labVisits.labVisitDate, filters.from),
    filters.to === undefined ? undefined : lte(labVisits.labVisitDate, filters.to),
    filters.after == null
      ? undefined
      : olderThan(labVisits.labVisitDate, labVisits.id, [filters.after.date, filters.after.id]),
  ];
  return q
    .select()
    .from(labVisits)
    .where(and(...where))
    .orderBy(...newestFirst(labVisits.labVisitDate, labVisits.id))
    .limit(limit);
}

export async function updateVisit(
  q: Queryable,
  workspaceId: string,
  id: string,
  changes: Partial<Pick<NewLabVisit, 'status' | 'notes' | 'labVisitDate' | 'labTestResults' | 'deletedAt'>>,
): Promise<LabVisitRow | null> {
  const [row] = await q
    .update(labVisits)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(labVisits.workspaceId, workspaceId), eq(labVisits.id, id), isNull(labVisits.deletedAt)))
    .returning();
  return row ?? null;
}
