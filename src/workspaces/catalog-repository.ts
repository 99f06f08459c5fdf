/** The platform lab test catalog and each workspace's own title and price for a test. */
import { and, asc, eq, getTableColumns, gt, inArray, sql } from 'drizzle-orm';
import type { Queryable } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { newObjectId } from '../http/object-id.js';
import { labTests, workspaceLabTests } from './tables.js';

export type LabTestRow = typeof labTests.$inferSelect;
export type DesignTestRow = typeof workspaceLabTests.$inferSelect;

/** 409 `conflict` when the test id is taken. */
export async function insertLabTest(
  q: Queryable,
  input: { testId: number; testTitle: string; priceCents: number },
): Promise<LabTestRow> {
  const now = new Date();
  const [row] = await q
    .insert(labTests)
    .values({ id: newObjectId(), ...input, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  if (!row) throw Errors.conflict(`Lab test ${input.testId} already exists.`);
  return row;
}

export async function updateLabTest(
  q: Queryable,
  testId: number,
  changes: { testTitle?: string; priceCents?: number },
): Promise<LabTestRow | null> {
  const [row] = await q
    .update(labTests)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(labTests.testId, testId))
    .returning();
  return row ?? null;
}

export async function findLabTest(q: Queryable, testId: number): Promise<LabTestRow | null> {
  const [row] = await q.select().from(labTests).where(eq(labTests.testId, testId));
  return row ?? null;
}

export async function listLabTests(
  q: Queryable,
  afterTestId: number | null,
  limit: number,
): Promise<LabTestRow[]> {
  return q
    .select()
    .from(labTests)
    .where(afterTestId === null ? undefined : gt(labTests.testId, afterTestId))
    .orderBy(asc(labTests.testId))
    .limit(limit);
}

/** Sets the workspace's title and price for a catalog test; `created` tells a first setting from a replacement. */
export async function upsertDesignTest(
  q: Queryable,
  workspaceId: string,
  testId: number,
  input: { testTitle: string; priceCents: number },
): Promise<{ row: DesignTestRow; created: boolean }> {
  const now = new Date();
  const [result] = await q
    .insert(workspaceLabTests)
    .values({ id: newObjectId(), workspaceId, testId, ...input, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [workspaceLabTests.workspaceId, workspaceLabTests.testId],
      set: { ...input, updatedAt: now },
    })
    // xmax is 0 on a freshly inserted row version and set on one the upsert updated.
    .returning({ ...getTableColumns(workspaceLabTests), created: sql<boolean>`(xmax = 0)` });
  const { created, ...row } = result!;
  return { row, created };
}

export interface WorkspaceTestRow {
  test: LabTestRow;
  designTest: DesignTestRow | null;
}

/** Catalog tests with the workspace's own version of each, by test id. */
export async function listWorkspaceTests(
  q: Queryable,
  workspaceId: string,
  afterTestId: number | null,
  limit: number,
): Promise<WorkspaceTestRow[]> {
  return q
    .select({ test: labTests, designTest: workspaceLabTests })
    .from(labTests)
    .leftJoin(
      workspaceLabTests,
      and(eq(workspaceLabTests.testId, labTests.testId), eq(workspaceLabTests.workspaceId, workspaceId)),
    )
    .where(afterTestId === null ? undefined : gt(labTests.testId, afterTestId))
    .orderBy(asc(labTests.testId))
    .limit(limit);
}

/** The given catalog tests with the workspace's versions; ids that are not in the catalog are absent. */
export async function workspaceTestsByIds(
  q: Queryable,
  workspaceId: string,
  testIds: readonly number[],
): Promise<WorkspaceTestRow[]> {
  if (testIds.length === 0) return [];
  return q
    .select({ test: labTests, designTest: workspaceLabTests })
    .from(labTests)
    .leftJoin(
      workspaceLabTests,
      and(eq(workspaceLabTests.testId, labTests.testId), eq(workspaceLabTests.workspaceId, workspaceId)),
    )
    .where(inArray(labTests.testId, [...testIds]));
}
