/** A workspace's coupons: an owner creates and changes them; members read them (to apply them on visits). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { instantOf } from '../http/instants.js';
import { errorResponses } from '../http/schemas.js';
import { workspaceAccessOf, workspaceGuard } from './access.js';
import { audited, recordScopeOf, type RecordKind } from './records.js';
import { findCoupon, insertCoupon, listCoupons, updateCoupon, type CouponRow } from './coupons-repository.js';
import {
  ConflictResponse,
  iso,
  isoOrNull,
  Nullable,
  NullableTimestamp,
  ObjectIdString,
  TAG_MANAGEMENT,
  Timestamp,
  WorkspaceParams,
  type Surface,
} from './http.js';
import { fromHundredths, hundredthsOf, MAX_AMOUNT } from './money.js';
import { parseObjectId } from '../http/object-id.js';
import { fetchPageById, NextCursor, PageQuery } from '../http/pagination.js';
import { COUPON_TYPES } from './tables.js';

const Code = Type.String({
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
  description: 'Letters, digits, - and _; matched case-insensitively',
  examples: ['WINTER10'],
});
const CouponKind = Type.Enum(COUPON_TYPES, {
  description: '`percent` of the subtotal, or a `fixed` amount off',
});
const Value = Type.Number({
  minimum: 0,
  maximum: MAX_AMOUNT,
  description: 'percent: 0 to 100; fixed: the amount off. At most two decimals',
  examples: [10],
});

const Coupon = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    code: Type.String(),
    type: CouponKind,
    value: Type.Number(),
    active: Type.Boolean(),
    expiresAt: NullableTimestamp,
    maxRedemptions: Nullable(Type.Integer()),
    redemptions: Type.Integer({ description: 'Visits that used this coupon' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'LabCoupon' },
);

const CouponParams = Type.Object({
  workspaceId: ObjectIdString('Workspace id'),
  couponId: ObjectIdString('Coupon id'),
});

function presentCoupon(row: CouponRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    code: row.code,
    type: row.type,
    value: fromHundredths(row.value),
    active: row.active,
    expiresAt: isoOrNull(row.expiresAt),
    maxRedemptions: row.maxRedemptions,
    redemptions: row.redemptions,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** A coupon is a pricing decision: its creation and each change write one audit row with it. */
const COUPON: RecordKind = { resourceType: 'workspace_lab_coupon', noun: 'Coupon' };

export const couponsRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.post(
    '/workspace/:workspaceId/labs/coupons',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('createLabCoupon'),
        summary: surface.summary('Create a coupon (owner)'),
        params: WorkspaceParams,
        body: Type.Object(
          {
            code: Code,
            type: CouponKind,
            value: Value,
            expiresAt: Type.Optional(NullableTimestamp),
            maxRedemptions: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2_147_483_647 }))),
            active: Type.Optional(Type.Boolean({ default: true })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ labCoupon: Coupon }),
          ...errorResponses(400, 401, 403, 404, 422),
          ...ConflictResponse,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId, userId } = workspaceAccessOf(request);
      const body = request.body;
      const value = hundredthsOf(body.value, '/value');
      if (body.type === 'percent' && value > 100_00) {
        throw Errors.validation('Invalid body: /value of a percent coupon must be at most 100', [
          { path: '/value', message: 'must be <= 100 for a percent coupon' },
        ]);
      }
      const row = await database.transaction(async (tx) => {
        const inserted = await insertCoupon(tx, workspaceId, userId, {
          code: body.code,
          type: body.type,
          value,
          active: body.active ?? true,
          expiresAt: body.expiresAt ? instantOf(body.expiresAt) : null,
          maxRedemptions: body.maxRedemptions ?? null,
        });
        return audited(tx, recordScopeOf(request), COUPON, 'create', inserted);
      });
      return reply.code(201).send({ labCoupon: presentCoupon(row) });
    },
  );

  app.get(
    '/workspace/:workspaceId/labs/coupons',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listLabCoupons'),
        summary: surface.summary('The coupons of a workspace (members)'),
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ labCoupons: Type.Array(Coupon), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await fetchPageById(request.query, (afterId, limit) =>
        listCoupons(database.db, workspaceId, afterId, limit),
      );
      return { labCoupons: page.items.map(presentCoupon), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspace/:workspaceId/labs/coupons/:couponId',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('getLabCoupon'),
        summary: surface.summary('A coupon (members)'),
        params: CouponParams,
        response: { 200: Type.Object({ labCoupon: Coupon }), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const row = await findCoupon(
        database.db,
        workspaceAccessOf(request).workspaceId,
        parseObjectId(request.params.couponId, 'couponId'),
      );
      if (!row) throw Errors.notFound('Coupon not found.');
      return { labCoupon: presentCoupon(row) };
    },
  );

  app.patch(
    '/workspace/:workspaceId/labs/coupons/:couponId',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('updateLabCoupon'),
        summary: surface.summary('Switch a coupon on or off, or change its expiry (owner)'),
        params: CouponParams,
        body: Type.Object(
          { active: Type.Optional(Type.Boolean()), expiresAt: Type.Optional(NullableTimestamp) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Object({ labCoupon: Coupon }), ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { active, expiresAt } = request.body;
      const scope = recordScopeOf(request);
      const changes = {
        ...(active === undefined ? {} : { active }),
        ...(expiresAt === undefined ? {} : { expiresAt: expiresAt === null ? null : instantOf(expiresAt) }),
      };
      const couponId = parseObjectId(request.params.couponId, 'couponId');
      const row = await database.transaction(async (tx) =>
        audited(tx, scope, COUPON, 'update', await updateCoupon(tx, scope.workspaceId, couponId, changes)),
      );
      return { labCoupon: presentCoupon(row) };
    },
  );
};
