/**
 * A workspace's members: owners add, change and remove them (a workspace keeps at least one
 * owner: members.ts); every member may list them. Each change writes its audit row in the same
 * transaction.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { errorResponses } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import {
  ConflictResponse,
  iso,
  Nullable,
  ObjectIdString,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { auditMember, changeMember, removeMember } from './members.js';
import { parseObjectId } from '../http/object-id.js';
import { fetchPageById, NextCursor, PageQuery } from '../http/pagination.js';
import { WORKSPACE_PERMISSIONS, WORKSPACE_ROLES } from './tables.js';
import { deleteInvitation, insertInvitation, listInvitations, type InvitationRow } from './invitations.js';
import { insertMember, listMembers, type MemberRow } from './workspaces-repository.js';

const Role = Type.Enum(WORKSPACE_ROLES, {
  description: '`owner` may do everything; `staff` what its permissions grant',
});
const Permission = Type.Enum(WORKSPACE_PERMISSIONS, {
  description:
    '`labs.run`: create and change lab visits; `clients.write`: create, edit and archive clients and referrals; ' +
    '`labs.price_override`: set `labVisitSubtotal` on a visit instead of its tests’ prices',
});
const Permissions = Type.Array(Permission, { uniqueItems: true });

const Member = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    userId: Type.String({ description: 'The token `sub` of the person' }),
    name: Type.Union([Type.String(), Type.Null()], {
      description: 'The `name` claim of the token this person last used here; null until one carried it',
    }),
    email: Type.Union([Type.String(), Type.Null()], {
      description: 'The `email` claim (lowercased) of the token this person last used here',
    }),
    role: Role,
    permissions: Type.Array(Permission),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceMember' },
);

const Invitation = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    email: Type.String({
      description: 'Lowercased; claimed by the first sign-in whose token carries it, verified',
    }),
    role: Role,
    permissions: Type.Array(Permission),
    invitedBy: Type.String({ description: 'The token `sub` of the owner who invited' }),
    createdAt: Timestamp,
  },
  { title: 'WorkspaceInvitation' },
);

const InvitationParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  invitationId: ObjectIdString('Invitation id'),
});

function presentInvitation(row: InvitationRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    email: row.email,
    role: row.role,
    permissions: row.permissions,
    invitedBy: row.invitedBy,
    createdAt: iso(row.createdAt),
  };
}

const MemberParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  userId: ObjectIdString('User id (the token `sub`) of the member'),
});

const LastOwnerResponse = {
  409: {
    ...errorResponses(409)[409],
    description: '`last_owner`: the change would leave the workspace without an owner',
  },
};

function presentMember(row: MemberRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    userId: row.userId,
    name: row.name,
    email: row.email,
    role: row.role,
    permissions: row.permissions,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const membersRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
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
      const userId = parseObjectId(request.body.userId, 'userId');
      const member = await database.transaction(async (tx) => {
        const row = await insertMember(tx, {
          workspaceId,
          userId,
          role: request.body.role,
          permissions: request.body.permissions ?? [],
        });
        await auditMember(tx, { workspaceId, actor: auditActor(request) }, 'create', row.id);
        return row;
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

  app.patch(
    '/workspace/:workspaceId/members/:userId',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('updateWorkspaceMember'),
        summary: surface.summary("Change a member's role or permissions (owner)"),
        description:
          'Give at least one field. `permissions` replaces the list; null clears it. Demoting the last owner ' +
          'is 409 `last_owner`.',
        params: MemberParams,
        body: Type.Object(
          { role: Type.Optional(Role), permissions: Type.Optional(Nullable(Permissions)) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: {
          200: Type.Object({ member: Member }),
          ...errorResponses(400, 401, 403, 404, 422),
          ...LastOwnerResponse,
        },
      },
    },
    async (request) => {
      const { workspaceId, userId } = workspaceAccessOf(request);
      const target = parseObjectId(request.params.userId, 'userId');
      const { role, permissions } = request.body;
      const member = await database.transaction((tx) =>
        changeMember(tx, { workspaceId, userId, actor: auditActor(request) }, target, {
          ...(role === undefined ? {} : { role }),
          ...(permissions === undefined ? {} : { permissions: permissions ?? [] }),
        }),
      );
      return { member: presentMember(member) };
    },
  );

  app.delete(
    '/workspace/:workspaceId/members/:userId',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('removeWorkspaceMember'),
        summary: surface.summary('Remove a member (owner)'),
        description:
          'Answers the membership as it was. The person is refused (403) from their next request on, on every ' +
          'replica. Removing the last owner is 409 `last_owner`.',
        params: MemberParams,
        response: {
          200: Type.Object({ member: Member }),
          ...errorResponses(401, 403, 404, 422),
          ...LastOwnerResponse,
        },
      },
    },
    async (request) => {
      const { workspaceId, userId } = workspaceAccessOf(request);
      const target = parseObjectId(request.params.userId, 'userId');
      const member = await database.transaction((tx) =>
        removeMember(tx, { workspaceId, userId, actor: auditActor(request) }, target),
      );
      return { member: presentMember(member) };
    },
  );

  app.post(
    '/workspace/:workspaceId/invitations',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('inviteWorkspaceMember'),
        summary: surface.summary('Invite a person by email (owner)'),
        description:
          'The first request whose token carries this email with `email_verified: true` makes the person a ' +
          'member with this role and these permissions, and the invitation is gone. 409 when the email is ' +
          'already invited or a member already signs in with it.',
        params: WorkspaceParams,
        body: Type.Object(
          {
            email: Type.String({ format: 'email', maxLength: 320 }),
            role: Role,
            permissions: Type.Optional(Type.Array(Permission, { uniqueItems: true, default: [] })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ invitation: Invitation }),
          ...errorResponses(400, 401, 403, 404, 422),
          ...ConflictResponse,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceAccessOf(request);
      const invitation = await database.transaction((tx) =>
        insertInvitation(tx, auditActor(request), {
          workspaceId,
          email: request.body.email,
          role: request.body.role,
          permissions: request.body.permissions ?? [],
        }),
      );
      return reply.code(201).send({ invitation: presentInvitation(invitation) });
    },
  );

  app.get(
    '/workspace/:workspaceId/invitations',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaceInvitations'),
        summary: surface.summary('The invitations not yet claimed (owner)'),
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ invitations: Type.Array(Invitation), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await fetchPageById(request.query, (afterId, limit) =>
        listInvitations(database.db, workspaceId, afterId, limit),
      );
      return { invitations: page.items.map(presentInvitation), nextCursor: page.nextCursor };
    },
  );

  app.delete(
    '/workspace/:workspaceId/invitations/:invitationId',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('revokeWorkspaceInvitation'),
        summary: surface.summary('Withdraw an invitation (owner)'),
        description: 'Answers the invitation as it was; it can no longer be claimed.',
        params: InvitationParams,
        response: { 200: Type.Object({ invitation: Invitation }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const id = parseObjectId(request.params.invitationId, 'invitationId');
      const invitation = await database.transaction((tx) =>
        deleteInvitation(tx, auditActor(request), workspaceId, id),
      );
      return { invitation: presentInvitation(invitation) };
    },
  );
};
