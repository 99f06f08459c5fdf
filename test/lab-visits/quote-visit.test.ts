/**
 * POST /v1/workspace/:workspaceId/labs/visits/quote over HTTP: the create's body, checks and
 * pricing, answered as `{labVisitPricing, labTestSnapshots}`, with nothing written (no coupon
 * redemption, no visit, no audit row: every table's content is the same before and after).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createCatalogTest,
  createClient,
  createCoupon,
  createReferral,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
  type WorkspaceWorld,
} from '../workspaces/world.js';

/** A digest of every table's rows: equal digests, nothing written. */
async function databaseDigest(t: TestApp): Promise<Record<string, string>> {
  // Every table a request could write; not the job queue, whose periodic jobs (purges, the
  // delivery sweep) change it on their own schedule, request or not.
  const tables = await rows<{ name: string }>(
    t.database.db,
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> 'jobs' order by table_name`,
  );
  const digest: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await rows<{ d: string | null }>(
      t.database.db,
      sql`select md5(string_agg(x::text, '|' order by x::text)) as d from ${sql.identifier(name)} x`,
    );
    digest[name] = row?.d ?? 'empty';
  }
  return digest;
}

describe('quoting a lab visit', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let other: WorkspaceWorld;
  let clientId: string;
  let quotePath: string;

  const quote = (token: string | undefined, body: unknown, url = quotePath) =>
    t.request('POST', url, { ...(token ? { token } : {}), body });
  const create = (body: unknown) =>
    t.request('POST', visitsPath(w.workspaceId), { token: w.owner.token, body });

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    other = await createWorkspace(t, w.admin);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    await createCatalogTest(t, w.admin, 310, 'Lipid panel', 19.99);
    await createCoupon(t, w, { code: 'WINTER10', type: 'percent', value: 10 });
    await createCoupon(t, w, { code: 'BIGOFF', type: 'fixed', value: 500 });
    await createCoupon(t, w, { code: 'THIRD', type: 'percent', value: 33.33 });
    // The workspace's own price for the lipid panel wins over the catalog's.
    await ok(
      t.request('PUT', `/v1/workspace/${w.workspaceId}/labs/tests/310`, {
        token: w.owner.token,
        body: { testTitle: 'Lipids (clinic)', price: 25.5 },
      }),
    );
    clientId = (await createClient(t, w)).id;
    quotePath = `${visitsPath(w.workspaceId)}/quote`;
  });
  afterAll(() => t.close());

  const bodies: [string, Record<string, unknown>][] = [
    ['tests only', {}],
    ['a percent coupon in another letter case', { labCouponCode: 'winter10' }],
    ['a fixed coupon above the subtotal (discount capped)', { labCouponCode: 'BIGOFF' }],
    ['a percent that rounds half up', { labTestIds: [101, 205, 310], labCouponCode: 'THIRD' }],
    ['a given subtotal instead of the tests’ sum', { labVisitSubtotal: 123.45, labCouponCode: 'WINTER10' }],
    ['a zero subtotal', { labVisitSubtotal: 0, labCouponCode: 'WINTER10' }],
    ['a workspace price and its snapshot', { labTestIds: [310, 101] }],
  ];

  it.each(bodies)('answers what the create then books: %s', async (_name, extra) => {
    const body = visitBody(clientId, extra);
    const before = await databaseDigest(t);
    const quoted = await quote(w.owner.token, body);
    expect(quoted.status, quoted.text).toBe(200);
    expect(Object.keys(quoted.body).sort()).toEqual(['labTestSnapshots', 'labVisitPricing']);
    expect(await databaseDigest(t)).toEqual(before);

    const created = await ok(create(body));
    expect(quoted.body.labVisitPricing).toEqual(created.labVisit.labVisitPricing);
    expect(quoted.body.labTestSnapshots).toEqual(created.labVisit.labTestSnapshots);
  });

  it('the contract example: 100.00 − 10.00 = 90.00 with WINTER10, on /v1 and on the /api/v1 alias', async () => {
    const body = visitBody(clientId, { labCouponCode: 'WINTER10' });
    for (const url of [quotePath, `/api${quotePath}`]) {
      const res = await quote(w.owner.token, body, url);
      expect(res.status, res.text).toBe(200);
      expect(res.body.labVisitPricing).toMatchObject({
        labVisitSubtotal: 100,
        labCouponCode: 'WINTER10',
        labVisitDiscountAmount: 10,
        labVisitTotal: 90,
      });
      expect(res.body.labTestSnapshots).toEqual([
        { test: { testId: 101, testTitle: 'CBC' }, designTest: null },
        { test: { testId: 205, testTitle: 'CRP' }, designTest: null },
      ]);
    }
  });

  it('redeems nothing: a one-use coupon quotes any number of times, then the create uses it and the quote refuses it as the create does', async () => {
    const once = await createCoupon(t, w, { code: 'ONCEONLY', type: 'fixed', value: 5, maxRedemptions: 1 });
    const body = visitBody(clientId, { labCouponCode: 'ONCEONLY' });
    for (let i = 0; i < 3; i++) expect((await quote(w.owner.token, body)).status).toBe(200);
    const read = async () =>
      (
        await ok(
          t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons/${once.id}`, {
            token: w.owner.token,
          }),
          200,
        )
      ).labCoupon.redemptions;
    expect(await read()).toBe(0);
    await ok(create(body));
    expect(await read()).toBe(1);
    const [quoted, created] = [await quote(w.owner.token, body), await create(body)];
    expect(quoted.status).toBe(422);
    expect(quoted.text).toBe(created.text);
    expect(quoted.body.message).toBe('Coupon "ONCEONLY" has reached its maximum number of redemptions.');
  });

  it('refuses what the create refuses, with the same answer (and writes nothing)', async () => {
    await createCoupon(t, w, { code: 'OFF', type: 'fixed', value: 5, active: false });
    await createCoupon(t, w, { code: 'OLD', type: 'fixed', value: 5, expiresAt: '2020-01-01T00:00:00.000Z' });
    const foreignClient = await createClient(t, other);
    const foreignReferral = await createReferral(t, other);
    const cases: [string, unknown, number][] = [
      ['unknown client', visitBody(newObjectId()), 404],
      ['client of another workspace', visitBody(foreignClient.id), 404],
      ['malformed client id', visitBody('12345'), 422],
      ['unknown tests', visitBody(clientId, { labTestIds: [101, 999] }), 422],
      ['referral of another workspace', visitBody(clientId, { referralId: foreignReferral.id }), 422],
      ['unknown coupon', visitBody(clientId, { labCouponCode: 'NOPE' }), 422],
      ['inactive coupon', visitBody(clientId, { labCouponCode: 'OFF' }), 422],
      ['expired coupon', visitBody(clientId, { labCouponCode: 'OLD' }), 422],
      [
        'missing labTestIds',
        { clientId, labVisitType: 'in-lab', labVisitDate: '2036-01-10T12:00:00.000Z' },
        400,
      ],
      ['unknown field', visitBody(clientId, { labCoupon: 'WINTER10' }), 400],
      ['negative subtotal', visitBody(clientId, { labVisitSubtotal: -1 }), 400],
    ];
    const before = await databaseDigest(t);
    for (const [name, body, status] of cases) {
      const quoted = await quote(w.owner.token, body);
      expect(quoted.status, name).toBe(status);
      const created = await create(body);
      expect(created.status, name).toBe(status);
      expect(quoted.body, name).toEqual(created.body);
    }
    expect(await databaseDigest(t)).toEqual(before);
  });

  it('the create’s personas: 403 for staff without labs.run, a platform admin, a customer and a non-member; 401 without a token', async () => {
    const body = visitBody(clientId);
    const bare = await quote(w.bareStaff.token, body);
    expect(bare.status).toBe(403);
    expect(bare.body).toEqual({
      error: 'forbidden',
      message: 'This needs the "labs.run" permission in this workspace.',
    });
    for (const p of [w.admin, w.customer, w.outsider, other.owner]) {
      expect((await quote(p.token, body)).status).toBe(403);
    }
    expect((await quote(undefined, body)).status).toBe(401);
    expect((await quote(w.owner.token, body, `${visitsPath(newObjectId())}/quote`)).status).toBe(404);
  });
});
