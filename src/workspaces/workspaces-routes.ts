/**
 * Workspaces (created by a platform admin, who names the first owner) and their members
 * (added by an owner).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { principalOf } from '../http/auth.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { refuseCustomer, requirePlatformAdmin, workspaceAccessOf, workspaceGuard } from './access.js';
import {
  ConflictResponse,
  iso,
  ObjectIdString,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { parseObjectId } from './object-id.js';
import { fetchPageById, NextCursor, PageQuery } from './pagination.js';
import { WORKSPACE_PERMISSIONS, WORKSPACE_ROLES } from './tables.js';
import {
  findWorkspace,
  insertMember,
  insertWorkspace,
  isMember,
  listMembers,
  listWorkspaces,
  type MemberRow,
  type WorkspaceRow,
} from './workspaces-repository.js';

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

const Role = Type.Enum(WORKSPACE_ROLES, {
  description: '`owner` may do everything; `staff` what its permissions grant',
});
const Permission = Type.Enum(WORKSPACE_PERMISSIONS, {
  description: '`labs.run`: create and change lab visits; `clients.write`: create clients and referrals',
});

const Member = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    userId: Type.String({ description: 'The token `sub` of the person' }),
    role: Role,
    permissions: Type.Array(Permission),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceMember' },
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

function presentMember(row: MemberRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    userId: row.userId,
    role: row.role,
    permissions: row.permissions,
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
            name: Type.String({ minLength: 1, maxLength: 200 }),
            ownerUserId: ObjectIdString('User id of the first owner'),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ workspace: Workspace }), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const ownerUserId = parseObjectId(request.body.ownerUserId, 'ownerUserId');
      const workspace = await database.transaction((tx) =>
        insertWorkspace(tx, { name: request.body.name, ownerUserId, createdBy: principalOf(request).sub }),
      );
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
        querystring: Type.Object(PageQuery),
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
      const page = await fetchPageById(request.query, (afterId, limit) =>
        listWorkspaces(database.db, memberUserId, afterId, limit),
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

  app.post(
    '/workspace/:workspaceId/members',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('addWorkspaceMember'),
        summary: surface.summary('Add a member (owner)'),
        params: WorkspaceParams,
        body: Type.Object(
          {
            userId: ObjectIdString('User id (the token `sub`) of the new member'),
            role: Role,
            permissions: Type.Optional(Type.Array(Permission, { uniqueItems: true, default: [] })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ member: Member }),
          ...errorResponses(400, 401, 403, 404, 422),
          ...ConflictResponse,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceAccessOf(request);
      const member = await insertMember(database.db, {
        workspaceId,
        userId: parseObjectId(request.body.userId, 'userId'),
        role: request.body.role,
        permissions: request.body.permissions ?? [],
      });
      return reply.code(201).send({ member: presentMember(member) });
    },
  );

  app.get(
    '/workspace/:workspaceId/members',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaceMembers'),
        summary: surface.summary('The members of a workspace (members)'),
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ members: Type.Array(Member), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await fetchPageById(request.query, (afterId, limit) =>
        listMembers(database.db, workspaceId, afterId, limit),
      );
      return { members: page.items.map(presentMember), nextCursor: page.nextCursor };
    },
  );
};
