/**
 * POST /v1/workspace/:workspaceId/labs/visits over HTTP: every status the contract lists, for
 * each reason docs/workspace-lab-visits.md gives, the personas, pricing and coupons, and Idempotency-Key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/idempotency/plugin.js';
import { idempotencyKeys } from '../../src/idempotency/tables.js';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { PHI } from '../helpers/phi.js';
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

describe('creating a lab visit', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let other: WorkspaceWorld;
  let clientId: string;
  let path: string;

  const post = (token: string | undefined, body: unknown, url = path, headers?: Record<string, string>) =>
    t.request('POST', url, { ...(token ? { token } : {}), body, ...(headers ? { headers } : {}) });

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    other = await createWorkspace(t, w.admin);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    await createCatalogTest(t, w.admin, 310, 'Lipid panel', 19.99);
    await createCoupon(t, w, { code: 'WINTER10', type: 'percent', value: 10 });
    clientId = (await createClient(t, w)).id;
    path = visitsPath(w.workspaceId);
  });
  afterAll(() => t.close());

  describe('personas and membership (the contract table)', () => {
    it('201 for the workspace owner', async () => {
      const res = await post(w.owner.token, visitBody(clientId));
      expect(res.status, res.text).toBe(201);
      expect(res.body.labVisit.labVisitStatus).toBe('pending');
    });

    it('201 for staff with labs.run; 403 for staff without it', async () => {
      expect((await post(w.staff.token, visitBody(clientId))).status).toBe(201);
      const res = await post(w.bareStaff.token, visitBody(clientId));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: 'forbidden',
        message: 'This needs the "labs.run" permission in this workspace.',
      });
    });

    it('403 for a platform admin ("not applicable") and for a customer', async () => {
      const admin = await post(w.admin.token, visitBody(clientId));
      expect(admin.status).toBe(403);
      expect(admin.body.error).toBe('forbidden');
      const customer = await post(w.customer.token, visitBody(clientId));
      expect(customer.status).toBe(403);
      expect(customer.body.error).toBe('forbidden');
    });

    it('403 for a user who is not a member of this (existing) workspace, even one who owns another', async () => {
      expect((await post(w.outsider.token, visitBody(clientId))).status).toBe(403);
      expect((await post(other.owner.token, visitBody(clientId))).body).toEqual({
        error: 'forbidden',
        message: 'You are not a member of this workspace.',
      });
    });

    it('404 for an unknown workspace; the admin and customer personas still get their 403 first', async () => {
      const unknown = visitsPath(newObjectId());
      const res = await post(w.owner.token, visitBody(clientId), unknown);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', message: 'Workspace not found.' });
      expect((await post(w.admin.token, visitBody(clientId), unknown)).status).toBe(403);
      expect((await post(w.customer.token, visitBody(clientId), unknown)).status).toBe(403);
    });

    it('401 without a token or with a bad one, before anything else', async () => {
      const none = await post(undefined, { nonsense: true });
      expect(none.status).toBe(401);
      expect(none.body.error).toBe('unauthenticated');
      expect((await post('not.a.token', visitBody(clientId))).status).toBe(401);
    });

    it('answers 403 before looking at the body: no access, no schema hints', async () => {
      const res = await post(w.bareStaff.token, { nonsense: true });
      expect(res.status).toBe(403);
    });
  });

  describe('400: a body that fails the schema', () => {
    const cases: [string, (c: string) => unknown, string][] = [
      [
        'missing clientId',
        () => ({ labVisitType: 'in-lab', labTestIds: [101], labVisitDate: '2036-01-10T12:00:00.000Z' }),
        '/clientId',
      ],
      [
        'missing labTestIds',
        (c) => ({ clientId: c, labVisitType: 'in-lab', labVisitDate: '2036-01-10T12:00:00.000Z' }),
        '/labTestIds',
      ],
      [
        'missing labVisitDate',
        (c) => ({ clientId: c, labVisitType: 'in-lab', labTestIds: [101] }),
        '/labVisitDate',
      ],
      ['unknown labVisitType', (c) => visitBody(c, { labVisitType: 'drive-through' }), '/labVisitType'],
      [
        'labTestIds as strings (no coercion)',
        (c) => visitBody(c, { labTestIds: ['101', '205'] }),
        '/labTestIds/0',
      ],
      ['labTestIds not an array', (c) => visitBody(c, { labTestIds: 101 }), '/labTestIds'],
      ['empty labTestIds', (c) => visitBody(c, { labTestIds: [] }), '/labTestIds'],
      [
        'more than 100 tests',
        (c) => visitBody(c, { labTestIds: Array.from({ length: 101 }, (_, i) => i + 1) }),
        '/labTestIds',
      ],
      [
        'a subtotal above 10 000 000',
        (c) => visitBody(c, { labVisitSubtotal: 10_000_000.01 }),
        '/labVisitSubtotal',
      ],
      ['a fractional test id', (c) => visitBody(c, { labTestIds: [101.5] }), '/labTestIds/0'],
      ['the same test twice', (c) => visitBody(c, { labTestIds: [101, 101] }), '/labTestIds'],
      [
        'notes over 2000 characters',
        (c) => visitBody(c, { labVisitNotes: 'x'.repeat(2001) }),
        '/labVisitNotes',
      ],
      [
        'a date that is not an ISO date-time',
        (c) => visitBody(c, { labVisitDate: '10/01/2026' }),
        '/labVisitDate',
      ],
      [
        'a date-time without a time zone',
        (c) => visitBody(c, { labVisitDate: '2026-01-10T12:00:00' }),
        '/labVisitDate',
      ],
      ['clientId as a number', () => visitBody(123 as unknown as string), '/clientId'],
      ['a negative subtotal', (c) => visitBody(c, { labVisitSubtotal: -1 }), '/labVisitSubtotal'],
      [
        'a subtotal with three decimals',
        (c) => visitBody(c, { labVisitSubtotal: 10.005 }),
        '/labVisitSubtotal',
      ],
      ['a subtotal as a string', (c) => visitBody(c, { labVisitSubtotal: '100' }), '/labVisitSubtotal'],
      ['an empty coupon code', (c) => visitBody(c, { labCouponCode: '' }), '/labCouponCode'],
      [
        'an unknown field (a misspelt coupon field must not be ignored)',
        (c) => visitBody(c, { labCoupon: 'WINTER10' }),
        '/labCoupon',
      ],
    ];
    it.each(cases)('%s', async (_name, body, detailPath) => {
      const res = await post(w.owner.token, body(clientId));
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toBe('validation_error');
      expect(typeof res.body.message).toBe('string');
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain(detailPath);
    });

    it('400 for malformed JSON, and 415 for a body that is not JSON', async () => {
      const bad = await t.request('POST', path, {
        token: w.owner.token,
        rawBody: '{"clientId":',
        headers: { 'content-type': 'application/json' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('malformed_json');
      const text = await t.request('POST', path, {
        token: w.owner.token,
        rawBody: 'hi',
        headers: { 'content-type': 'text/plain' },
      });
      expect(text.status).toBe(415);
    });

    it('accepts notes of exactly 2000 characters, and null for every optional field', async () => {
      const res = await post(
        w.owner.token,
        visitBody(clientId, {
          labVisitNotes: 'n'.repeat(2000),
          referralId: null,
          labCouponCode: null,
          labVisitSubtotal: null,
        }),
      );
      expect(res.status, res.text).toBe(201);
      expect(res.body.labVisit.labVisitNotes).toHaveLength(2000);
      expect(res.body.labVisit.referralId).toBeNull();
    });
  });

  describe('404 and 422: ids, tests, referral, coupon', () => {
    it('422 invalid_id for a malformed workspace, client or referral id', async () => {
      const ws = await post(w.owner.token, visitBody(clientId), visitsPath('not-an-object-id'));
      expect(ws.status).toBe(422);
      expect(ws.body).toMatchObject({
        error: 'invalid_id',
        message: 'workspaceId must be a 24-character hexadecimal ObjectId.',
      });
      const client = await post(w.owner.token, visitBody('12345'));
      expect(client.status).toBe(422);
      expect(client.body.error).toBe('invalid_id');
      const referral = await post(
        w.owner.token,
        visitBody(clientId, { referralId: 'zz7f1f77bcf86cd799439099' }),
      );
      expect(referral.status).toBe(422);
      expect(referral.body.error).toBe('invalid_id');
    });

    it('404 for a client of another workspace, exactly as for a client that does not exist', async () => {
      const foreign = await createClient(t, other);
      const theirs = await post(w.owner.token, visitBody(foreign.id));
      const nobody = await post(w.owner.token, visitBody(newObjectId()));
      expect(theirs.status).toBe(404);
      expect(theirs.body).toEqual({ error: 'not_found', message: 'Client not found.' });
      expect(nobody.status).toBe(404);
      expect(nobody.text).toBe(theirs.text);
    });

    it('422 unknown_lab_tests naming the tests that are not in the catalog', async () => {
      const res = await post(w.owner.token, visitBody(clientId, { labTestIds: [101, 999, 1000] }));
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('unknown_lab_tests');
      expect(res.body.message).toBe('Unknown lab tests: 999, 1000.');
      expect(res.body.details).toEqual([
        { path: '/labTestIds', message: '999 is not a known lab test' },
        { path: '/labTestIds', message: '1000 is not a known lab test' },
      ]);
    });

    it('422 invalid_referral for a referral of another workspace, one that does not exist, or one for another client', async () => {
      const theirs = await createReferral(t, other);
      for (const referralId of [theirs.id, newObjectId()]) {
        const res = await post(w.owner.token, visitBody(clientId, { referralId }));
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({
          error: 'invalid_referral',
          message: 'The referral does not exist in this workspace.',
        });
      }
      const someoneElse = await createClient(t, w);
      const forThem = await createReferral(t, w, { clientId: someoneElse.id });
      const res = await post(w.owner.token, visitBody(clientId, { referralId: forThem.id }));
      expect(res.status).toBe(422);
      expect(res.body.error).toBe('invalid_referral');
      const ownReferral = await createReferral(t, w, { clientId, notes: PHI.notes });
      const fine = await post(w.owner.token, visitBody(clientId, { referralId: ownReferral.id }));
      expect(fine.status, fine.text).toBe(201);
      expect(fine.body.labVisit.referralId).toBe(ownReferral.id);
    });

    it('422 invalid_coupon for an unknown, inactive, expired or used-up coupon, and for another workspace’s code', async () => {
      await createCoupon(t, w, { code: 'OFF', type: 'fixed', value: 5, active: false });
      await createCoupon(t, w, {
        code: 'OLD',
        type: 'fixed',
        value: 5,
        expiresAt: '2020-01-01T00:00:00.000Z',
      });
      await createCoupon(t, w, { code: 'ONCE', type: 'fixed', value: 5, maxRedemptions: 1 });
      await createCoupon(t, other, { code: 'THEIRS', type: 'percent', value: 50 });
      expect((await post(w.owner.token, visitBody(clientId, { labCouponCode: 'ONCE' }))).status).toBe(201);

      const expectations: [string, string][] = [
        ['NOPE', 'No coupon "NOPE" exists in this workspace.'],
        ['THEIRS', 'No coupon "THEIRS" exists in this workspace.'],
        ['OFF', 'Coupon "OFF" is not active.'],
        ['OLD', 'Coupon "OLD" has expired.'],
        ['once', 'Coupon "ONCE" has reached its maximum number of redemptions.'],
      ];
      for (const [code, message] of expectations) {
        const res = await post(w.owner.token, visitBody(clientId, { labCouponCode: code }));
        expect(res.status, code).toBe(422);
        expect(res.body).toEqual({
          error: 'invalid_coupon',
          message,
          details: [{ path: '/labCouponCode', message }],
        });
      }
    });

    it('a refused visit redeems nothing: its coupon count is unchanged', async () => {
      const coupon = await createCoupon(t, w, {
        code: 'COUNTME',
        type: 'percent',
        value: 5,
        maxRedemptions: 3,
      });
      expect(
        (
          await post(
            w.owner.token,
            visitBody(clientId, { labCouponCode: 'COUNTME', labTestIds: [101, 4242] }),
          )
        ).status,
      ).toBe(422);
      expect((await post(w.owner.token, visitBody(clientId, { labCouponCode: 'countme' }))).status).toBe(201);
      const read = await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons/${coupon.id}`, {
          token: w.owner.token,
        }),
        200,
      );
      expect(read.labCoupon.redemptions).toBe(1);
    });
  });

  describe('pricing', () => {
    const pricingOf = async (extra: Record<string, unknown>, ws = w, client = clientId) => {
      const res = await post(ws.owner.token, visitBody(client, extra), visitsPath(ws.workspaceId));
      expect(res.status, res.text).toBe(201);
      return res.body.labVisit.labVisitPricing;
    };

    it('sums the catalog prices without a coupon', async () => {
      expect(await pricingOf({ labTestIds: [101, 205, 310] })).toEqual({
        labVisitSubtotal: 119.99,
        labCouponId: null,
        labCouponCode: null,
        labVisitDiscountAmount: 0,
        labVisitTotal: 119.99,
      });
    });

    it('uses a given subtotal instead, and takes the coupon off that', async () => {
      expect(await pricingOf({ labVisitSubtotal: 250.5, labCouponCode: 'winter10' })).toMatchObject({
        labVisitSubtotal: 250.5,
        labCouponCode: 'WINTER10',
        labVisitDiscountAmount: 25.05,
        labVisitTotal: 225.45,
      });
      expect(await pricingOf({ labVisitSubtotal: 0 })).toMatchObject({
        labVisitSubtotal: 0,
        labVisitTotal: 0,
      });
    });

    it('caps a fixed coupon above the subtotal at the subtotal: total 0', async () => {
      await createCoupon(t, w, { code: 'BIG150', type: 'fixed', value: 150 });
      expect(await pricingOf({ labCouponCode: 'BIG150' })).toMatchObject({
        labVisitSubtotal: 100,
        labVisitDiscountAmount: 100,
        labVisitTotal: 0,
      });
    });

    it('rounds a percent discount of half a cent up', async () => {
      await createCoupon(t, w, { code: 'HALF', type: 'percent', value: 50 });
      await createCoupon(t, w, { code: 'TWELVEHALF', type: 'percent', value: 12.5 });
      // 50 % of 1.05 = 0.525 → 0.53
      expect(await pricingOf({ labVisitSubtotal: 1.05, labCouponCode: 'HALF' })).toMatchObject({
        labVisitDiscountAmount: 0.53,
        labVisitTotal: 0.52,
      });
      // 12.5 % of 9.99 = 1.24875 → 1.25
      expect(await pricingOf({ labVisitSubtotal: 9.99, labCouponCode: 'TWELVEHALF' })).toMatchObject({
        labVisitDiscountAmount: 1.25,
        labVisitTotal: 8.74,
      });
    });

    it("prices a test at the workspace's own price and shows it as designTest", async () => {
      const ws = await createWorkspace(t, w.admin);
      const put = await t.request('PUT', `/v1/workspace/${ws.workspaceId}/labs/tests/205`, {
        token: ws.owner.token,
        body: { testTitle: 'C-Reactive Protein (hs)', price: 55.5 },
      });
      expect(put.status, put.text).toBe(201);
      const client = await createClient(t, ws);
      const res = await post(ws.owner.token, visitBody(client.id), visitsPath(ws.workspaceId));
      expect(res.status).toBe(201);
      expect(res.body.labVisit.labTestSnapshots).toEqual([
        { test: { testId: 101, testTitle: 'CBC' }, designTest: null },
        {
          test: { testId: 205, testTitle: 'CRP' },
          designTest: { testId: 205, testTitle: 'C-Reactive Protein (hs)', price: 55.5 },
        },
      ]);
      expect(res.body.labVisit.labVisitPricing).toMatchObject({
        labVisitSubtotal: 95.5,
        labVisitTotal: 95.5,
      });
      // The override is this workspace's alone.
      expect((await pricingOf({})).labVisitSubtotal).toBe(100);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the same visit with Idempotent-Replayed: true, creating and redeeming once', async () => {
      const coupon = await createCoupon(t, w, { code: 'IDEM', type: 'fixed', value: 1 });
      const client = await createClient(t, w);
      const body = visitBody(client.id, { labCouponCode: 'IDEM', labVisitNotes: PHI.notes });
      const headers = { 'idempotency-key': 'visit-create-0001' };
      const first = await post(w.staff.token, body, path, headers);
      expect(first.status, first.text).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      const again = await post(w.staff.token, body, path, headers);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.text).toBe(first.text);
      // The contract's /api path is the same route for the key.
      const viaApi = await post(w.staff.token, body, `/api${path}`, headers);
      expect(viaApi.headers.get('idempotent-replayed')).toBe('true');
      expect(viaApi.body.labVisit.id).toBe(first.body.labVisit.id);

      const list = await ok(t.request('GET', `${path}?clientId=${client.id}`, { token: w.owner.token }), 200);
      expect(list.labVisits.map((v: { id: string }) => v.id)).toEqual([first.body.labVisit.id]);
      const read = await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons/${coupon.id}`, {
          token: w.owner.token,
        }),
        200,
      );
      expect(read.labCoupon.redemptions).toBe(1);
    });

    it('409 idempotency_key_reused for the same key with another body', async () => {
      const headers = { 'idempotency-key': 'visit-create-0002' };
      expect((await post(w.staff.token, visitBody(clientId), path, headers)).status).toBe(201);
      const res = await post(w.staff.token, visitBody(clientId, { labTestIds: [101] }), path, headers);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('idempotency_key_reused');
    });

    it('resumes the visit of an attempt that died after recording it, instead of creating another', async () => {
      const client = await createClient(t, w);
      const body = visitBody(client.id);
      const earlier = await ok(post(w.staff.token, body));
      // What a request killed between its commit and its answer would leave: the key, its visit, no response.
      await t.database.db.insert(idempotencyKeys).values({
        principal: w.staff.id,
        route: 'POST /v1/workspace/:workspaceId/labs/visits',
        key: 'visit-create-died',
        fingerprint: fingerprint({ params: { workspaceId: w.workspaceId }, body }),
        state: 'in_progress',
        lockedUntil: new Date(0),
        resourceId: earlier.labVisit.id,
        createdAt: new Date(),
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      const headers = { 'idempotency-key': 'visit-create-died' };
      const resumed = await post(w.staff.token, body, path, headers);
      expect(resumed.status, resumed.text).toBe(201);
      expect(resumed.body).toEqual(earlier);
      const replay = await post(w.staff.token, body, path, headers);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.text).toBe(resumed.text);
      const list = await ok(t.request('GET', `${path}?clientId=${client.id}`, { token: w.owner.token }), 200);
      expect(list.labVisits).toHaveLength(1);
    });

    it('stores nothing for a refused request: the key can be used again once the request is fixed', async () => {
      const headers = { 'idempotency-key': 'visit-create-0003' };
      const refused = await post(w.staff.token, visitBody(clientId, { labTestIds: [4242] }), path, headers);
      expect(refused.status).toBe(422);
      const fixedBody = visitBody(clientId, { labTestIds: [4242] });
      await createCatalogTest(t, w.admin, 4242, 'Vitamin D', 30);
      const res = await post(w.staff.token, fixedBody, path, headers);
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    });
  });
});
