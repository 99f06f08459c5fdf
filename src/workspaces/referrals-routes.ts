/**
 * A workspace's referrals: the referring provider or source of its visits, optionally for one
 * client. Creating, editing and archiving needs `clients.write`; reading needs membership. Their
 * notes are patient data, so they are audited like clients (records.ts). An archived referral
 * stays readable with its visits, leaves the lists (unless `?archived=true`) and no new visit may
 * name it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import {
  archiveReferral,
  findClient,
  findReferral,
  insertReferral,
  listReferrals,
  updateReferral,
  type ReferralChange,
  type ReferralRow,
} from './clients-repository.js';
import {
  iso,
  isoOrNull,
  Name,
  Nullable,
  NullableObjectIdString,
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

const Notes = Type.String({ maxLength: 2000 });

const Referral = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    name: Type.String({ description: 'The referring provider or source' }),
    clientId: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    archivedAt: Nullable(Timestamp, { description: 'When the referral was archived; null while active' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'WorkspaceReferral' },
);
const ReferralResponse = Type.Object({ referral: Referral });

const ReferralParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  referralId: ObjectIdString('Referral id'),
});

const REFERRAL: RecordKind = { resourceType: 'workspace_referral', noun: 'Referral' };

function presentReferral(row: ReferralRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    clientId: row.clientId,
    notes: row.notes,
    archivedAt: isoOrNull(row.archivedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const referralsRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
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
              NullableObjectIdString('The client this referral is for; an active client of this workspace'),
            ),
            notes: Type.Optional(Nullable(Notes)),
          },
          { additionalProperties: false },
        ),
        response: { 201: ReferralResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const scope = recordScopeOf(request);
      const clientId = request.body.clientId ? parseObjectId(request.body.clientId, 'clientId') : null;
      const referral = await database.transaction(async (tx) => {
        if (clientId !== null) {
          const client = await findClient(tx, scope.workspaceId, clientId, 'share');
          if (!client) throw Errors.notFound('Client not found.');
          if (client.archivedAt !== null) throw Errors.clientArchived('/clientId');
        }
        const row = await insertReferral(tx, scope.workspaceId, workspaceAccessOf(request).userId, {
          name: request.body.name,
          clientId,
          notes: orNull(request.body.notes),
        });
        return audited(tx, scope, REFERRAL, 'create', row);
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
        querystring: ArchivableListQuery('referrals'),
        response: {
          200: Type.Object({ referrals: Type.Array(Referral), nextCursor: NextCursor }),
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
          REFERRAL,
          await fetchPageById(request.query, (afterId, limit) =>
            listReferrals(tx, scope.workspaceId, filter, afterId, limit),
          ),
        ),
      );
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
        summary: surface.summary('A referral, archived or not (members)'),
        params: ReferralParams,
        response: { 200: ReferralResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const referralId = parseObjectId(request.params.referralId, 'referralId');
      const referral = await database.transaction(async (tx) =>
        audited(tx, scope, REFERRAL, 'read', await findReferral(tx, scope.workspaceId, referralId)),
      );
      return { referral: presentReferral(referral) };
    },
  );

  app.patch(
    '/workspace/:workspaceId/referrals/:referralId',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('updateWorkspaceReferral'),
        summary: surface.summary("Edit a referral's name or notes (owner, or staff with clients.write)"),
        description:
          'Give at least one field; null clears `notes`. The client a referral is for does not change.',
        params: ReferralParams,
        body: Type.Object(
          { name: Type.Optional(Name), notes: Type.Optional(Nullable(Notes)) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: ReferralResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const referralId = parseObjectId(request.params.referralId, 'referralId');
      const change: ReferralChange = request.body;
      const referral = await database.transaction(async (tx) =>
        audited(
          tx,
          scope,
          REFERRAL,
          'update',
          await updateReferral(tx, scope.workspaceId, referralId, change),
        ),
      );
      return { referral: presentReferral(referral) };
    },
  );

  app.delete(
    '/workspace/:workspaceId/referrals/:referralId',
    {
      preValidation: workspaceGuard(database, 'clients.write'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('archiveWorkspaceReferral'),
        summary: surface.summary('Archive a referral (owner, or staff with clients.write)'),
        description:
          'Soft: the referral stays readable and on its visits, leaves the lists (unless `?archived=true`), and ' +
          'a new visit naming it is 422 `invalid_referral`. Archiving an archived referral answers it unchanged.',
        params: ReferralParams,
        response: { 200: ReferralResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const scope = recordScopeOf(request);
      const referralId = parseObjectId(request.params.referralId, 'referralId');
      const referral = await database.transaction((tx) =>
        archiveOnce(
          tx,
          scope,
          REFERRAL,
          () => archiveReferral(tx, scope.workspaceId, referralId),
          () => findReferral(tx, scope.workspaceId, referralId),
        ),
      );
      return { referral: presentReferral(referral) };
    },
  );
};
