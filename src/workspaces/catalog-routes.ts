/**
 * The platform lab test catalog (a platform admin creates and edits tests; any authenticated
 * caller may read it) and a workspace's own title and price per test (its "design test", set by
 * an owner, shown on visits as `designTest` and used for their prices).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { audit, auditActor } from '../audit/audit.js';
import type { Database } from '../db/database.js';
import { Errors } from '../http/errors.js';
import { errorResponses } from '../http/schemas.js';
import { requirePlatformAdmin, workspaceAccessOf, workspaceGuard } from './access.js';
import {
  findLabTest,
  insertLabTest,
  listLabTests,
  listWorkspaceTests,
  updateLabTest,
  upsertDesignTest,
  type DesignTestRow,
  type LabTestRow,
} from './catalog-repository.js';
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
import { fromHundredths, hundredthsOf, MAX_TEST_PRICE, Money } from './money.js';
import { cursorCodec } from '../http/cursor.js';
import { fetchPage, NextCursor, PageQuery } from '../http/pagination.js';

const TestId = Type.Integer({
  minimum: 1,
  maximum: 2_147_483_647,
  description: 'Numeric test id',
  examples: [101],
});
const Title = Type.String({ minLength: 1, maxLength: 200 });

const LabTest = Type.Object(
  {
    id: Type.String(),
    testId: Type.Integer(),
    testTitle: Type.String(),
    price: Type.Number(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'LabTest' },
);

const DesignTest = Type.Object(
  {
    id: Type.String(),
    workspaceId: Type.String(),
    testId: Type.Integer(),
    testTitle: Type.String(),
    price: Type.Number(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'DesignTest', description: "A workspace's own title and price for a catalog test" },
);

const WorkspaceLabTest = Type.Object(
  {
    ...LabTest.properties,
    designTest: Nullable(DesignTest, {
      description: "The workspace's version; its price is the one visits use",
    }),
  },
  { title: 'WorkspaceLabTest' },
);

const TestParams = Type.Object({ testId: TestId });
const WorkspaceTestParams = Type.Object({ workspaceId: ObjectIdString('Workspace id'), testId: TestId });

function presentLabTest(row: LabTestRow) {
  return {
    id: row.id,
    testId: row.testId,
    testTitle: row.testTitle,
    price: fromHundredths(row.priceCents),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

function presentDesignTest(row: DesignTestRow) {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    testId: row.testId,
    testTitle: row.testTitle,
    price: fromHundredths(row.priceCents),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Catalog lists are ordered by the (integer) test id. */
const BY_TEST_ID = cursorCodec('int32');

export const catalogRoutes: FastifyPluginAsyncTypebox<{ database: Database; surface: Surface }> = async (
  app,
  { database, surface },
) => {
  app.post(
    '/labs/tests',
    {
      preValidation: requirePlatformAdmin,
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('createLabTest'),
        summary: surface.summary('Add a test to the catalog (platform admin)'),
        body: Type.Object(
          { testId: TestId, testTitle: Title, price: Money('Catalog price', MAX_TEST_PRICE) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ labTest: LabTest }),
          ...errorResponses(400, 401, 403),
          ...ConflictResponse,
        },
      },
    },
    async (request, reply) => {
      const { testId, testTitle, price } = request.body;
      const priceCents = hundredthsOf(price, '/price');
      const row = await database.transaction(async (tx) => {
        const inserted = await insertLabTest(tx, { testId, testTitle, priceCents });
        await audit(tx, auditActor(request), {
          action: 'create',
          resourceType: 'lab_test',
          resourceId: String(testId),
        });
        return inserted;
      });
      return reply.code(201).send({ labTest: presentLabTest(row) });
    },
  );

  app.patch(
    '/labs/tests/:testId',
    {
      preValidation: requirePlatformAdmin,
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('updateLabTest'),
        summary: surface.summary(
          "Change a catalog test's title or price (platform admin); existing visits keep their snapshots",
        ),
        params: TestParams,
        body: Type.Object(
          { testTitle: Type.Optional(Title), price: Type.Optional(Money('Catalog price', MAX_TEST_PRICE)) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: Type.Object({ labTest: LabTest }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { testTitle, price } = request.body;
      const { testId } = request.params;
      const changes = {
        ...(testTitle === undefined ? {} : { testTitle }),
        ...(price === undefined ? {} : { priceCents: hundredthsOf(price, '/price') }),
      };
      const row = await database.transaction(async (tx) => {
        const updated = await updateLabTest(tx, testId, changes);
        if (!updated) throw Errors.notFound('Lab test not found.');
        await audit(tx, auditActor(request), {
          action: 'update',
          resourceType: 'lab_test',
          resourceId: String(testId),
        });
        return updated;
      });
      return { labTest: presentLabTest(row) };
    },
  );

  app.get(
    '/labs/tests',
    {
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listLabTests'),
        summary: surface.summary('The catalog, by test id (any authenticated caller)'),
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ labTests: Type.Array(LabTest), nextCursor: NextCursor }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const page = await fetchPage(
        request.query,
        BY_TEST_ID,
        (after, limit) => listLabTests(database.db, after?.[0] ?? null, limit),
        (r) => [r.testId],
      );
      return { labTests: page.items.map(presentLabTest), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/labs/tests/:testId',
    {
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('getLabTest'),
        summary: surface.summary('A catalog test (any authenticated caller)'),
        params: TestParams,
        response: { 200: Type.Object({ labTest: LabTest }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const row = await findLabTest(database.db, request.params.testId);
      if (!row) throw Errors.notFound('Lab test not found.');
      return { labTest: presentLabTest(row) };
    },
  );

  app.put(
    '/workspace/:workspaceId/labs/tests/:testId',
    {
      preValidation: workspaceGuard(database, 'owner'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('setWorkspaceLabTest'),
        summary: surface.summary("Set the workspace's own title and price for a catalog test (owner)"),
        params: WorkspaceTestParams,
        body: Type.Object(
          { testTitle: Title, price: Money('The workspace price', MAX_TEST_PRICE) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ designTest: DesignTest }, { description: 'Replaced' }),
          201: Type.Object({ designTest: DesignTest }, { description: 'Created' }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceAccessOf(request);
      const { testId } = request.params;
      const priceCents = hundredthsOf(request.body.price, '/price');
      const { row, created } = await database.transaction(async (tx) => {
        if (!(await findLabTest(tx, testId))) throw Errors.notFound('Lab test not found.');
        const upserted = await upsertDesignTest(tx, workspaceId, testId, {
          testTitle: request.body.testTitle,
          priceCents,
        });
        await audit(tx, auditActor(request), {
          action: upserted.created ? 'create' : 'update',
          resourceType: 'workspace_lab_test',
          resourceId: String(testId),
          tenant: workspaceId,
        });
        return upserted;
      });
      return reply.code(created ? 201 : 200).send({ designTest: presentDesignTest(row) });
    },
  );

  app.get(
    '/workspace/:workspaceId/labs/tests',
    {
      preValidation: workspaceGuard(database, 'member'),
      schema: {
        tags: [TAG_MANAGEMENT],
        operationId: surface.operationId('listWorkspaceLabTests'),
        summary: surface.summary(
          "The catalog as this workspace sees it: each test with the workspace's own version (members)",
        ),
        params: WorkspaceParams,
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ labTests: Type.Array(WorkspaceLabTest), nextCursor: NextCursor }),
          ...errorResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request) => {
      const { workspaceId } = workspaceAccessOf(request);
      const page = await fetchPage(
        request.query,
        BY_TEST_ID,
        (after, limit) => listWorkspaceTests(database.db, workspaceId, after?.[0] ?? null, limit),
        (r) => [r.test.testId],
      );
      return {
        labTests: page.items.map((r) => ({
          ...presentLabTest(r.test),
          designTest: r.designTest === null ? null : presentDesignTest(r.designTest),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
};
