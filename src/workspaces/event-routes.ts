/**
 * A workspace's events (docs/events.md): `GET /v1/workspace/:id/events` and `…/events/:eventId`
 * (members; also under /api/v1), newest first, for the event kind the workspace surface registers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { eq } from 'drizzle-orm';
import { Type, type Static } from 'typebox';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { envelope, EVENT_CURSOR, findEvent, listEvents } from '../events/routes.js';
import { EventId, workspaceEventSchemas, type EventKind } from '../events/schemas.js';
import { events } from '../events/tables.js';
import type { App } from '../http/app-type.js';
import { Errors } from '../http/errors.js';
import { fetchPage } from '../http/pagination.js';
import { errorResponses } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import { SURFACES, WorkspaceParams, type Surface } from './http.js';

const WorkspaceEventParams = Type.Object({ ...WorkspaceParams.properties, eventId: EventId });

export async function workspaceEventRoutes(app: App, deps: { database: Database; kind: EventKind }) {
  for (const surface of SURFACES) await app.register(routes, { prefix: surface.prefix, surface, ...deps });
}

const routes: FastifyPluginAsyncTypebox<{ database: Database; kind: EventKind; surface: Surface }> = async (
  app,
  { database, kind, surface },
) => {
  const schemas = workspaceEventSchemas(kind);
  const { WorkspaceEventList, WorkspaceEventListQuery, WorkspaceEventResponse } = schemas;
  const workspaceEvent = (row: Parameters<typeof envelope>[0]) =>
    envelope(row) as Static<typeof schemas.WorkspaceEvent>;
  const TAGS = ['Events'];
  app.get(
    '/workspace/:workspaceId/events',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: TAGS,
        operationId: surface.operationId('listWorkspaceEvents'),
        summary: surface.summary("The workspace's events, newest first (members)"),
        params: WorkspaceParams,
        querystring: WorkspaceEventListQuery,
        response: { 200: WorkspaceEventList, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const q = request.query;
      const page = await fetchPage(
        q,
        EVENT_CURSOR,
        (after, limit) => listEvents(database.db, eq(events.workspaceId, workspaceId), q.type, after, limit),
        (row) => [row.createdAt, row.id],
      );
      await audit(database.db, auditActor(request), {
        action: 'list',
        resourceType: 'event',
        resourceId: q.type ?? '*',
        tenant: workspaceId,
      });
      return { events: page.items.map(workspaceEvent), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspace/:workspaceId/events/:eventId',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: TAGS,
        operationId: surface.operationId('getWorkspaceEvent'),
        summary: surface.summary("One of the workspace's events (members)"),
        params: WorkspaceEventParams,
        response: { 200: WorkspaceEventResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const row = await findEvent(database.db, request.params.eventId);
      if (!row || row.workspaceId !== workspaceId) throw Errors.notFound('Event not found.');
      await audit(database.db, auditActor(request), {
        action: 'read',
        resourceType: 'event',
        resourceId: row.id,
        tenant: workspaceId,
      });
      return { event: workspaceEvent(row) };
    },
  );
};
