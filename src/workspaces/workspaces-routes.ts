/**
 * Workspaces: a platform admin creates one and names its first owner; the admin or an owner
 * renames it. Members: members-routes.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { principalOf } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { refuseCustomer, requirePlatformAdmin, workspaceOwnerOrAdminGuard } from './access.js';
import {
  iso,
  Name,
  ObjectIdString,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { parseObjectId } from '../http/object-id.js';
import { fetchPageById, NextCursor, PageQuery } from '../http/pagination.js';
import { claimInvitations } from './invitations.js';
import {
  findWorkspace,
  insertWorkspace,
  isMember,
  listWorkspaces,
  renameWorkspace,
  type WorkspaceRow,
} from './workspaces-repository.js';

const WORKSPACE = 'workspace';

const Workspace = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    ownerUserId: Type.String({ description: 'The first owner, named at creation' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Workspace' },
);

function presentWorkspace(row: WorkspaceRow) {
  return {
    id: row.id,
    name: row.name,
    ownerUserId: row.ownerUserId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const workspacesRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.post(
    '/workspaces',
    {
      preValidation: requirePlatformAdmin,
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('createWorkspace'),
        summary: surface.summary('Create a workspace and its first owner (platform admin)'),
        body: Type.Object(
          {
            name: Name,
            ownerUserId: ObjectIdString('User id of the first owner'),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ workspace: Workspace }), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const ownerUserId = parseObjectId(request.body.ownerUserId, 'ownerUserId');
      const workspace = await database.transaction(async (tx) => {
        const row = await insertWorkspace(tx, {
          name: request.body.name,
          ownerUserId,
          createdBy: principalOf(request).sub,
        });
        await audit(tx, auditActor(request), {
          action: 'create',
          resourceType: WORKSPACE,
          resourceId: row.id,
          tenant: row.id,
        });
        return row;
      });
      return reply.code(201).send({ workspace: presentWorkspace(workspace) });
    },
  );

  app.get(
    '/workspaces',
    {
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaces'),
        summary: surface.summary(
          'Workspaces: all of them for a platform admin, else those the caller belongs to',
        ),
        description:
          '`q` keeps those whose name contains it, in any letter case (the admin finding a clinic).',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the name' })),
        }),
        response: {
          200: Type.Object({ workspaces: Type.Array(Workspace), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      refuseCustomer(principal);
      const memberUserId = principal.persona === 'admin' ? null : principal.sub;
      // A first sign-in with an invited (verified) email: the invitations become memberships first.
      await claimInvitations(database, principal, auditActor(request));
      const page = await fetchPageById(request.query, (afterId, limit) =>
        listWorkspaces(database.db, { memberUserId, nameContains: request.query.q ?? null }, afterId, limit),
      );
      return { workspaces: page.items.map(presentWorkspace), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspaces/:workspaceId',
    {
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('getWorkspace'),
        summary: surface.summary('A workspace (platform admin or member)'),
        params: WorkspaceParams,
        response: { 200: Type.Object({ workspace: Workspace }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      refuseCustomer(principal);
      const workspace = await findWorkspace(
        database.db,
        parseObjectId(request.params.workspaceId, 'workspaceId'),
      );
      if (!workspace) throw Errors.notFound('Workspace not found.');
      if (principal.persona !== 'admin' && !(await isMember(database.db, workspace.id, principal.sub))) {
        throw Errors.forbidden('You are not a member of this workspace.');
      }
      return { workspace: presentWorkspace(workspace) };
    },
  );

  app.patch(
    '/workspaces/:workspaceId',
    {
      preValidation: workspaceOwnerOrAdminGuard(database),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('renameWorkspace'),
        summary: surface.summary("Rename a workspace (platform admin or the workspace's owner)"),
        params: WorkspaceParams,
        body: Type.Object({ name: Name }, { additionalProperties: false }),
        response: { 200: Type.Object({ workspace: Workspace }), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const id = parseObjectId(request.params.workspaceId, 'workspaceId');
      const workspace = await database.transaction(async (tx) => {
        const row = await renameWorkspace(tx, id, request.body.name);
        if (!row) throw Errors.notFound('Workspace not found.');
        await audit(tx, auditActor(request), {
          action: 'update',
          resourceType: WORKSPACE,
          resourceId: id,
          tenant: id,
        });
        return row;
      });
      return { workspace: presentWorkspace(workspace) };
    },
  );
};
