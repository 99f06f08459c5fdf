/**
 * A workspace's clients (PHI). Creating, editing and archiving needs `clients.write` (owners have
 * it); reading needs membership. Every create, read, list and change writes an audit row in the
 * same transaction (records.ts). Archiving is soft: the client stays readable with its visits,
 * leaves the lists (unless `?archived=true`) and takes no new visits.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { errorResponses, PastDate } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import {
  archiveClient,
  findClient,
  insertClient,
  listClients,
  updateClient,
  type ClientChange,
  type ClientRow,
} from './clients-repository.js';
import {
  iso,
  isoOrNull,
  Name,
  Nullable,
  ObjectIdString,
  orNull,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { parseObjectId } from '../http/object-id.js';
import { fetchPageById, NextCursor } from '../http/pagination.js';
import {
  ArchivableListQuery,
  archiveOnce,
  audited,
  auditedList,
  recordScopeOf,
  type RecordKind,
} from './records.js';

const Email = Type.String({ format: 'email', maxLength: 320 });
const Dob = PastDate({ description: 'Date of birth, a real past date YYYY-MM-DD', examples: ['1987-03-14'] });
const Phone = Type.String({
  maxLength: 16,
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'E.164, e.g. +15555550123',
});

const Client = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Nullable(Type.String()),
    dob: Nullable(Type.String({ format: 'date' })),
    phone: Nullable(Type.String()),
    archivedAt: Nullable(Timestamp, { description: 'When the client was archived; null while active' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceClient' },
);
const ClientResponse = Type.Object({ client: Client });

const ClientParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  clientId: ObjectIdString('Client id'),
});

const CLIENT: RecordKind = { resourceType: 'workspace_client', noun: 'Client' };

function presentClient(row: ClientRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    dob: row.dob,
    phone: row.phone,
    archivedAt: isoOrNull(row.archivedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const clientsRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.post(
    '/workspace/:workspaceId/clients',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('createWorkspaceClient'),
        summary: surface.summary('Create a client (owner, or staff with clients.write)'),
        params: WorkspaceParams,
        body: Type.Object(
          {
            firstName: Name,
            lastName: Name,
            email: Type.Optional(Nullable(Email)),
            dob: Type.Optional(Nullable(Dob)),
            phone: Type.Optional(Nullable(Phone)),
          },
          { additionalProperties: false },
        ),
        response: { 201: ClientResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const scope = recordScopeOf(request);
      const body = request.body;
      const client = await database.transaction(async (tx) =>
        audited(
          tx,
          scope,
          CLIENT,
          'create',
          await insertClient(tx, scope.workspaceId, workspaceAccessOf(request).userId, {
            firstName: body.firstName,
            lastName: body.lastName,
            email: orNull(body.email),
            dob: orNull(body.dob),
            phone: orNull(body.phone),
          }),
        ),
      );
      return reply.code(201).send({ client: presentClient(client) });
    },
  );

  app.get(
    '/workspace/:workspaceId/clients',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaceClients'),
        summary: surface.summary('The clients of a workspace (members)'),
        params: WorkspaceParams,
        querystring: ArchivableListQuery('clients'),
        response: {
          200: Type.Object({ clients: Type.Array(Client), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const filter = { includeArchived: request.query.archived === true };
      const page = await database.transaction(async (tx) =>
        auditedList(
          tx,
          scope,
          CLIENT,
          await fetchPageById(request.query, (afterId, limit) =>
            listClients(tx, scope.workspaceId, filter, afterId, limit),
          ),
        ),
      );
      return { clients: page.items.map(presentClient), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspace/:workspaceId/clients/:clientId',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('getWorkspaceClient'),
        summary: surface.summary('A client, archived or not (members)'),
        params: ClientParams,
        response: { 200: ClientResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const clientId = parseObjectId(request.params.clientId, 'clientId');
      const client = await database.transaction(async (tx) =>
        audited(tx, scope, CLIENT, 'read', await findClient(tx, scope.workspaceId, clientId)),
      );
      return { client: presentClient(client) };
    },
  );

  app.patch(
    '/workspace/:workspaceId/clients/:clientId',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('updateWorkspaceClient'),
        summary: surface.summary("Edit a client's details (owner, or staff with clients.write)"),
        description:
          'Give at least one field; the others keep their values. null clears `email`, `dob` or `phone`; the ' +
          'names cannot be cleared. An archived client can still be corrected.',
        params: ClientParams,
        body: Type.Object(
          {
            firstName: Type.Optional(Name),
            lastName: Type.Optional(Name),
            email: Type.Optional(Nullable(Email)),
            dob: Type.Optional(Nullable(Dob)),
            phone: Type.Optional(Nullable(Phone)),
          },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ClientResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const clientId = parseObjectId(request.params.clientId, 'clientId');
      const change: ClientChange = request.body;
      const client = await database.transaction(async (tx) =>
        audited(tx, scope, CLIENT, 'update', await updateClient(tx, scope.workspaceId, clientId, change)),
      );
      return { client: presentClient(client) };
    },
  );

  app.delete(
    '/workspace/:workspaceId/clients/:clientId',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('archiveWorkspaceClient'),
        summary: surface.summary('Archive a client (owner, or staff with clients.write)'),
        description:
          'Soft: the client keeps its visits and stays readable, leaves the lists (unless `?archived=true`) and ' +
          'takes no new visits (422 `client_archived`). Answers the client with `archivedAt`; archiving an ' +
          'archived client answers it unchanged.',
        params: ClientParams,
        response: { 200: ClientResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const clientId = parseObjectId(request.params.clientId, 'clientId');
      const client = await database.transaction((tx) =>
        archiveOnce(
          tx,
          scope,
          CLIENT,
          () => archiveClient(tx, scope.workspaceId, clientId),
          () => findClient(tx, scope.workspaceId, clientId),
        ),
      );
      return { client: presentClient(client) };
    },
  );
};
