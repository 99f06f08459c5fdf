/**
 * A workspace's clients (PHI) and referrals. Creating needs `clients.write` (owners have it);
 * reading needs membership. Every create and read writes an audit row in the same transaction.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { errorResponses, PastDate } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import {
  findClient,
  findReferral,
  insertClient,
  insertReferral,
  listClients,
  listReferrals,
  type ClientRow,
  type ReferralRow,
} from './clients-repository.js';
import {
  iso,
  Nullable,
  NullableObjectIdString,
  ObjectIdString,
  orNull,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { parseObjectId } from './object-id.js';
import { fetchPageById, NextCursor, PageQuery } from './pagination.js';

const Email = Type.String({ format: 'email', maxLength: 320 });
const Dob = PastDate({ description: 'Date of birth, a real past date YYYY-MM-DD', examples: ['1987-03-14'] });
const Phone = Type.String({ maxLength: 16, pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +15555550123' });
const Name = Type.String({ minLength: 1, maxLength: 200 });

const Client = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Nullable(Type.String()),
    dob: Nullable(Type.String({ format: 'date' })),
    phone: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceClient' },
);

const Referral = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    name: Type.String({ description: 'The referring provider or source' }),
    clientId: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceReferral' },
);

const ClientParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  clientId: ObjectIdString('Client id'),
});
const ReferralParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  referralId: ObjectIdString('Referral id'),
});

const CLIENT = 'workspace_client';
const REFERRAL = 'workspace_referral';

function presentClient(row: ClientRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    firstName: row.firstName,
    lastName: row.lastName,
    email: row.email,
    dob: row.dob,
    phone: row.phone,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function presentReferral(row: ReferralRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    clientId: row.clientId,
    notes: row.notes,
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
        response: { 201: Type.Object({ client: Client }), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { workspaceId, userId } = workspaceAccessOf(request);
      const body = request.body;
      const client = await database.transaction(async (tx) => {
        const row = await insertClient(tx, workspaceId, userId, {
          firstName: body.firstName,
          lastName: body.lastName,
          email: orNull(body.email),
          dob: orNull(body.dob),
          phone: orNull(body.phone),
        });
        await audit(tx, auditActor(request), {
          action: 'create',
          resourceType: CLIENT,
          resourceId: row.id,
          tenant: workspaceId,
        });
        return row;
      });
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
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ clients: Type.Array(Client), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await database.transaction(async (tx) => {
        const result = await fetchPageById(request.query, (afterId, limit) =>
          listClients(tx, workspaceId, afterId, limit),
        );
        await audit(
          tx,
          auditActor(request),
          result.items.map((c) => ({
            action: 'list' as const,
            resourceType: CLIENT,
            resourceId: c.id,
            tenant: workspaceId,
          })),
        );
        return result;
      });
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
        summary: surface.summary('A client (members)'),
        params: ClientParams,
        response: { 200: Type.Object({ client: Client }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const clientId = parseObjectId(request.params.clientId, 'clientId');
      const client = await database.transaction(async (tx) => {
        const row = await findClient(tx, workspaceId, clientId);
        if (!row) throw Errors.notFound('Client not found.');
        await audit(tx, auditActor(request), {
          action: 'read',
          resourceType: CLIENT,
          resourceId: row.id,
          tenant: workspaceId,
        });
        return row;
      });
      return { client: presentClient(client) };
    },
  );

  app.post(
    '/workspace/:workspaceId/referrals',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('createWorkspaceReferral'),
        summary: surface.summary(
          'Create a referral: the referring provider or source (owner, or staff with clients.write)',
        ),
        params: WorkspaceParams,
        body: Type.Object(
          {
            name: Name,
            clientId: Type.Optional(
              NullableObjectIdString('The client this referral is for; a client of this workspace'),
            ),
            notes: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ referral: Referral }), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { workspaceId, userId } = workspaceAccessOf(request);
      const clientId = request.body.clientId ? parseObjectId(request.body.clientId, 'clientId') : null;
      const referral = await database.transaction(async (tx) => {
        if (clientId !== null && !(await findClient(tx, workspaceId, clientId)))
          throw Errors.notFound('Client not found.');
        const row = await insertReferral(tx, workspaceId, userId, {
          name: request.body.name,
          clientId,
          notes: orNull(request.body.notes),
        });
        await audit(tx, auditActor(request), {
          action: 'create',
          resourceType: REFERRAL,
          resourceId: row.id,
          tenant: workspaceId,
        });
        return row;
      });
      return reply.code(201).send({ referral: presentReferral(referral) });
    },
  );

  app.get(
    '/workspace/:workspaceId/referrals',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaceReferrals'),
        summary: surface.summary('The referrals of a workspace (members)'),
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ referrals: Type.Array(Referral), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await database.transaction(async (tx) => {
        const result = await fetchPageById(request.query, (afterId, limit) =>
          listReferrals(tx, workspaceId, afterId, limit),
        );
        await audit(
          tx,
          auditActor(request),
          result.items.map((r) => ({
            action: 'list' as const,
            resourceType: REFERRAL,
            resourceId: r.id,
            tenant: workspaceId,
          })),
        );
        return result;
      });
      return { referrals: page.items.map(presentReferral), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspace/:workspaceId/referrals/:referralId',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('getWorkspaceReferral'),
        summary: surface.summary('A referral (members)'),
        params: ReferralParams,
        response: { 200: Type.Object({ referral: Referral }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const referralId = parseObjectId(request.params.referralId, 'referralId');
      const referral = await database.transaction(async (tx) => {
        const row = await findReferral(tx, workspaceId, referralId);
        if (!row) throw Errors.notFound('Referral not found.');
        await audit(tx, auditActor(request), {
          action: 'read',
          resourceType: REFERRAL,
          resourceId: row.id,
          tenant: workspaceId,
        });
        return row;
      });
      return { referral: presentReferral(referral) };
    },
  );
};
