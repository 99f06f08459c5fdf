/** API key rows. Lookups by hash serve authentication; the others the management routes. */
import { and, arrayContained, desc, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { olderThan, type Queryable } from '../db/database.js';
import { apiKeys } from './tables.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKey = Omit<typeof apiKeys.$inferInsert, 'createdAt' | 'revokedAt' | 'lastUsedAt'>;

/** Which keys a caller may see: all (null), or those whose every brand is one of these. */
export type KeyScope = readonly string[] | null;

export async function insertApiKey(q: Queryable, key: NewApiKey): Promise<ApiKeyRow> {
  const [row] = await q.insert(apiKeys).values(key).returning();
  return row!;
}

export async function findApiKeyByHash(q: Queryable, keyHash: string): Promise<ApiKeyRow | null> {
  const [row] = await q.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
  return row ?? null;
}

function visibleTo(scope: KeyScope): SQL | undefined {
  return scope === null ? undefined : arrayContained(apiKeys.brandIds, [...scope]);
}

export async function findApiKey(q: Queryable, scope: KeyScope, id: string): Promise<ApiKeyRow | null> {
  const [row] = await q
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), visibleTo(scope)));
  return row ?? null;
}

/** Newest first, after the (created_at, id) of the previous page's last key. */
export async function listApiKeys(
  q: Queryable,
  scope: KeyScope,
  after: { createdAt: Date; id: string } | null,
  limit: number,
): Promise<ApiKeyRow[]> {
  return (
    q
      .select()
      .from(apiKeys)
      .where(
        and(
          visibleTo(scope),
          after === null ? undefined : olderThan(apiKeys.createdAt, apiKeys.id, [after.createdAt, after.id]),
        ),
      )
      // Plain `desc` (not newestFirst): api_keys_created_idx is ascending, and read backwards it
      // gives exactly this order.
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
      .limit(limit)
  );
}

/**
 * Revokes the key unless it is revoked already (null when it was, or is not there), and with it
 * every key it made, and every key those made, at the same instant: a key made by a key lives no
 * longer than its maker (docs/api-keys.md). A maker is named in `created_by` as `key:<id>`.
 */
export async function revokeApiKey(q: Queryable, id: string): Promise<ApiKeyRow | null> {
  const [row] = await q
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  if (!row) return null;
  await q.execute(sql`
    with recursive made(id) as (
      select id from api_keys where created_by = ${`key:${row.id}`}
      union
      select k.id from api_keys k join made m on k.created_by = 'key:' || m.id::text
    )
    update api_keys set revoked_at = ${row.revokedAt!.toISOString()}::timestamptz
    where id in (select id from made) and revoked_at is null`);
  return row;
}

/**
 * Records a use, at most once a minute across all replicas: the condition is checked by the
 * UPDATE itself, so replicas racing on the same key write it once.
 */
export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiKeys.id, id),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    );
}
