/**
 * Reading events (docs/events.md): `GET /v1/events` and `/v1/events/:id` (lab-orders:read, the
 * token's brands only; another brand's event is not found) for the event kind the clinical
 * surface registers; a workspace's events are read through src/workspaces/event-routes.ts. Newest
 * first, keyset-paginated on (created_at, id). Also the purge of events past retention.
 */
import { and, eq, inArray, isNotNull, sql, type SQL } from 'drizzle-orm';
import { audit, auditActor } from '../audit/audit.js';
import { affectedRows, newestFirst, olderThan, type Database, type Queryable } from '../db/database.js';
import type { App } from '../http/app-type.js';
import { brandsToList, principalOf, SCOPES } from '../http/auth.js';
import { cursorCodec } from '../http/cursor.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import type { JobQueue } from '../jobs/queue.js';
import { fetchPage } from '../http/pagination.js';
import { Type, type Static } from 'typebox';
import { clinicalEventSchemas, EventId, type EventKind } from './schemas.js';
import { events } from './tables.js';

/** How long events are kept. */
export const EVENT_RETENTION_DAYS = 30;
const PURGE_BATCH = 5000;

type EventRow = typeof events.$inferSelect;
export const EVENT_CURSOR = cursorCodec('timestamp', 'eventId');

/** An event as its GET routes show it, and as webhooks deliver it. */
export function envelope(row: EventRow) {
  return {
    id: row.id,
    type: row.type,
    created_at: row.createdAt.toISOString(),
    ...(row.brandId !== null ? { brand_id: row.brandId } : { workspace_id: row.workspaceId }),
    data: row.data,
  };
}

/** Newest first, after the cursor's (created_at, id). */
export async function listEvents(
  q: Queryable,
  tenant: SQL,
  type: string | undefined,
  after: readonly [Date, string] | null,
  limit: number,
): Promise<EventRow[]> {
  const conds: SQL[] = [tenant];
  if (type) conds.push(eq(events.type, type));
  if (after) conds.push(olderThan(events.createdAt, events.id, after));
  return q
    .select()
    .from(events)
    .where(and(...conds))
    .orderBy(...newestFirst(events.createdAt, events.id))
    .limit(limit);
}

export async function findEvent(q: Queryable, id: string): Promise<EventRow | null> {
  const [row] = await q.select().from(events).where(eq(events.id, id));
  return row ?? null;
}

/** Deletes events past retention, in batches (a periodic job). */
export async function purgeEvents(database: Database, before: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const n = affectedRows(
      await database.db.execute(sql`
        delete from events where id in (
          select id from events where created_at < ${before.toISOString()}::timestamptz limit ${PURGE_BATCH})`),
    );
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}

export async function eventRoutes(
  app: App,
  { database, jobs, kind }: { database: Database; jobs: JobQueue; kind: EventKind },
) {
  const { ClinicalEvent, ClinicalEventList, ClinicalEventListQuery } = clinicalEventSchemas(kind);
  const clinicalEvent = (row: EventRow) => envelope(row) as Static<typeof ClinicalEvent>;

  jobs.periodic('events.purge', 3600, async () => {
    await purgeEvents(database, new Date(Date.now() - EVENT_RETENTION_DAYS * 86_400_000));
  });

  const TAGS = ['Events'];
  app.get(
    '/v1/events',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'listEvents',
        summary: "The brands' events, newest first, keyset-paginated; limited to the brands of the token",
        querystring: ClinicalEventListQuery,
        response: { 200: ClinicalEventList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const brandIds = brandsToList(principalOf(request), q.brand_id);
      const tenant = brandIds === null ? isNotNull(events.brandId) : inArray(events.brandId, [...brandIds]);
      const page = await fetchPage(
        q,
        EVENT_CURSOR,
        (after, limit) => listEvents(database.db, tenant, q.type, after, limit),
        (row) => [row.createdAt, row.id],
      );
      await audit(database.db, auditActor(request), {
        action: 'list',
        resourceType: 'event',
        resourceId: q.type ?? '*',
        tenant: brandIds?.join(',') ?? null,
      });
      return { data: page.items.map(clinicalEvent), next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/events/:id',
    {
      config: { scope: SCOPES.labOrdersRead },
      schema: {
        tags: TAGS,
        operationId: 'getEvent',
        summary: "One of the brands' events (the body a webhook delivery of it carries)",
        params: Type.Object({ id: EventId }),
        response: { 200: ClinicalEvent, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const row = await findEvent(database.db, request.params.id);
      if (
        !row ||
        row.brandId === null ||
        (principal.brandIds !== null && !principal.brandIds.includes(row.brandId))
      ) {
        throw Errors.notFound(`No event ${request.params.id}.`);
      }
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'event',
        resourceId: row.id,
        tenant: row.brandId,
      });
      return clinicalEvent(row);
    },
  );
}
