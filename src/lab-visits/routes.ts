/**
 * The lab visit routes, under /v1 and the contract's /api/v1 alias. Reading needs membership of
 * the workspace; creating and changing visits needs `labs.run` (owners have every permission).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { instantOf } from '../http/instants.js';
import { errorResponses, sendJsonText } from '../http/schemas.js';
import { allows, workspaceAccessOf, workspaceGuard } from '../workspaces/access.js';
import { SURFACES, TAG_VISITS, WorkspaceParams, type Surface } from '../workspaces/http.js';
import { hundredthsOf } from '../workspaces/money.js';
import { parseObjectId } from '../http/object-id.js';
import {
  attachResults,
  changeLabVisit,
  deleteLabVisit,
  listLabVisits,
  readLabVisit,
} from './change-lab-visit.js';
import { createLabVisit, priceNewVisit, type NewVisitInput, type VisitContext } from './create-lab-visit.js';
import { presentLabVisit, presentPricing, presentSnapshots } from './present.js';
import {
  AttachResultsBody,
  CreateLabVisitBody,
  LabVisitListResponse,
  LabVisitQuote,
  LabVisitResponse,
  ListLabVisitsQuery,
  UpdateLabVisitBody,
  WorkspaceVisitParams,
} from './schemas.js';

function contextOf(request: FastifyRequest): VisitContext {
  const { workspaceId, userId } = workspaceAccessOf(request);
  return { workspaceId, userId, actor: auditActor(request) };
}

/** How far behind the clock a visit date may be before it counts as in the past (clocks drift, forms take time). */
const PAST_DATE_ALLOWANCE_MS = 5 * 60_000;

/** A visit date in the past is booked only when the caller says so (docs/workspace-lab-visits.md). */
function visitDateOf(value: string, allowPastDate: boolean | undefined): Date {
  const date = instantOf(value);
  if (!allowPastDate && date.getTime() < Date.now() - PAST_DATE_ALLOWANCE_MS) {
    throw Errors.validation(
      'Invalid /labVisitDate: the date is in the past. To record a visit that already took place, send "allowPastDate": true.',
      [{ path: '/labVisitDate', message: 'is in the past (send "allowPastDate": true to book it anyway)' }],
    );
  }
  return date;
}

/**
 * The create's (and the quote's) body, its ids checked for shape and its money in cents. Setting
 * the subtotal overrides the tests' prices and coupons' reach: a pricing decision, the owner's or
 * a `labs.price_override` holder's (docs/workspace-lab-visits.md); the contract allows the field, not everyone's use.
 */
function newVisitInput(request: FastifyRequest, body: CreateLabVisitBody): NewVisitInput {
  if (body.labVisitSubtotal != null && !allows(workspaceAccessOf(request), 'labs.price_override')) {
    throw Errors.forbidden(
      'Setting labVisitSubtotal overrides the tests’ prices: it needs the workspace owner or the "labs.price_override" permission.',
    );
  }
  return {
    clientId: parseObjectId(body.clientId, 'clientId'),
    referralId: body.referralId == null ? null : parseObjectId(body.referralId, 'referralId'),
    labVisitType: body.labVisitType,
    labTestIds: body.labTestIds,
    labVisitDate: visitDateOf(body.labVisitDate, body.allowPastDate),
    notes: body.labVisitNotes ?? null,
    couponCode: body.labCouponCode ?? null,
    subtotalCents:
      body.labVisitSubtotal == null ? null : hundredthsOf(body.labVisitSubtotal, '/labVisitSubtotal'),
  };
}

const visitRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.post(
    '/workspace/:workspaceId/labs/visits',
    {
      preValidation: workspaceGuard(database, 'labs.run'),
      config: { idempotency: 'optional' },
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('createLabVisit'),
        summary: surface.summary('Create a lab visit for a client with tests, pricing, coupon and referral'),
        description:
          'Owner, or staff with `labs.run`. Optional `Idempotency-Key` header: a retry with the same key and body ' +
          'returns the first answer with `Idempotent-Replayed: true`. Setting `labVisitSubtotal` needs the owner or ' +
          '`labs.price_override` (403); a `labVisitDate` in the past needs `"allowPastDate": true` (400 otherwise).',
        params: WorkspaceParams,
        body: CreateLabVisitBody,
        response: { 201: LabVisitResponse, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const input = newVisitInput(request, request.body);
      const ctx = contextOf(request);
      // The answer is serialized inside the transaction so that the stored replay is these exact bytes.
      const text = await database.transaction(async (tx) => {
        const visit = await createLabVisit(tx, ctx, input, request.idempotency);
        const json = reply.code(201).serialize({ labVisit: presentLabVisit(visit) }) as string;
        await request.idempotency?.complete(tx, 201, json);
        return json;
      });
      return sendJsonText(reply, 201, text);
    },
  );

  app.post(
    '/workspace/:workspaceId/labs/visits/quote',
    {
      preValidation: workspaceGuard(database, 'labs.run'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('quoteLabVisit'),
        summary: surface.summary(
          "Price a lab visit without booking it: the create's body and checks; redeems and writes nothing",
        ),
        description:
          'Owner, or staff with `labs.run`. The same body and the same answers to bad input as the create; ' +
          'a coupon is checked (active, not expired, not used up) but not redeemed.',
        params: WorkspaceParams,
        body: CreateLabVisitBody,
        response: { 200: LabVisitQuote, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const input = newVisitInput(request, request.body);
      const { workspaceId } = workspaceAccessOf(request);
      const { snapshots, coupon, price } = await database.transaction((tx) =>
        priceNewVisit(tx, workspaceId, input, { redeem: false }),
      );
      return {
        labVisitPricing: presentPricing({
          ...price,
          couponId: coupon?.id ?? null,
          couponCode: coupon?.code ?? null,
        }),
        labTestSnapshots: presentSnapshots(snapshots),
      };
    },
  );

  app.get(
    '/workspace/:workspaceId/labs/visits',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('listLabVisits'),
        summary: surface.summary('Lab visits, newest visit date first (members)'),
        params: WorkspaceParams,
        querystring: ListLabVisitsQuery,
        response: { 200: LabVisitListResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const q = request.query;
      const filters = {
        clientId: q.clientId === undefined ? undefined : parseObjectId(q.clientId, 'clientId'),
        status: q.labVisitStatus,
        from: q.from === undefined ? undefined : instantOf(q.from),
        to: q.to === undefined ? undefined : instantOf(q.to),
      };
      const ctx = contextOf(request);
      const page = await database.transaction((tx) => listLabVisits(tx, ctx, filters, q));
      return { labVisits: page.items.map(presentLabVisit), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/workspace/:workspaceId/labs/visits/:visitId',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('getLabVisit'),
        summary: surface.summary('A lab visit (members)'),
        params: WorkspaceVisitParams,
        response: { 200: LabVisitResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const id = parseObjectId(request.params.visitId, 'visitId');
      const ctx = contextOf(request);
      const visit = await database.transaction((tx) => readLabVisit(tx, ctx, id));
      return { labVisit: presentLabVisit(visit) };
    },
  );

  app.patch(
    '/workspace/:workspaceId/labs/visits/:visitId',
    {
      preValidation: workspaceGuard(database, 'labs.run'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('updateLabVisit'),
        summary: surface.summary('Move a visit along its lifecycle, or change its notes or date (labs.run)'),
        params: WorkspaceVisitParams,
        body: UpdateLabVisitBody,
        response: { 200: LabVisitResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const id = parseObjectId(request.params.visitId, 'visitId');
      const body = request.body;
      const changes = {
        status: body.labVisitStatus,
        notes: body.labVisitNotes,
        labVisitDate:
          body.labVisitDate === undefined ? undefined : visitDateOf(body.labVisitDate, body.allowPastDate),
      };
      const ctx = contextOf(request);
      const visit = await database.transaction((tx) => changeLabVisit(tx, ctx, id, changes));
      return { labVisit: presentLabVisit(visit) };
    },
  );

  app.post(
    '/workspace/:workspaceId/labs/visits/:visitId/results',
    {
      preValidation: workspaceGuard(database, 'labs.run'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('attachLabVisitResults'),
        summary: surface.summary("Attach results to a collected or completed visit's tests (labs.run)"),
        description: 'A result for a test that already has one replaces it.',
        params: WorkspaceVisitParams,
        body: AttachResultsBody,
        response: { 200: LabVisitResponse, ...errorResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const id = parseObjectId(request.params.visitId, 'visitId');
      const results = request.body.labTestResults;
      const seen = new Set<number>();
      const repeated = results.findIndex((r) => seen.size === seen.add(r.testId).size);
      if (repeated !== -1) {
        throw Errors.validation('Invalid body: each test may have one result per request', [
          { path: `/labTestResults/${repeated}/testId`, message: 'repeats an earlier testId' },
        ]);
      }
      const ctx = contextOf(request);
      const visit = await database.transaction((tx) => attachResults(tx, ctx, id, results));
      return { labVisit: presentLabVisit(visit) };
    },
  );

  app.delete(
    '/workspace/:workspaceId/labs/visits/:visitId',
    {
      preValidation: workspaceGuard(database, 'labs.run'),
      schema: {
        tags: [TAG_VISITS],
        operationId: surface.operationId('deleteLabVisit'),
        summary: surface.summary('Soft-delete a visit: it disappears from every read (labs.run)'),
        params: WorkspaceVisitParams,
        response: { 200: LabVisitResponse, ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const id = parseObjectId(request.params.visitId, 'visitId');
      const ctx = contextOf(request);
      const visit = await database.transaction((tx) => deleteLabVisit(tx, ctx, id));
      return { labVisit: presentLabVisit(visit) };
    },
  );
};

export const labVisitRoutes: FastifyPluginAsyncTypebox<{ database: Database }> = async (
  app,
  { database },
) => {
  for (const surface of SURFACES)
    await app.register(visitRoutes, { prefix: surface.prefix, database, surface });
};
