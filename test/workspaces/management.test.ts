/**
 * The workspace management routes over HTTP: who may call each, what each answers, 409s for
 * duplicates, validation, the /api/v1 alias, the audit trail of client data, and OpenAPI.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/audit/tables.js';
import { newObjectId } from '../../src/http/object-id.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { PHI } from '../helpers/phi.js';
import {
  createCatalogTest,
  createClient,
  createCoupon,
  createWorkspace,
  ok,
  person,
  type Person,
  type WorkspaceWorld,
} from './world.js';

describe('workspace management', () => {
  let t: TestApp;
  let admin: Person;
  let w: WorkspaceWorld;
  let ws: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await person(t, 'admin');
    w = await createWorkspace(t, admin);
    ws = `/v1/workspace/${w.workspaceId}`;
    await createCatalogTest(t, admin, 101, 'CBC', 40);
  });
  afterAll(() => t.close());

  describe('workspaces', () => {
    it('a platform admin creates one with its first owner, who can then use it', async () => {
      const owner = await person(t);
      const res = await t.request('POST', '/v1/workspaces', {
        token: admin.token,
        body: { name: 'Eastside Lab', ownerUserId: owner.id },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.workspace).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        name: 'Eastside Lab',
        ownerUserId: owner.id,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const members = await ok(
        t.request('GET', `/v1/workspace/${res.body.workspace.id}/members`, { token: owner.token }),
        200,
      );
      expect(members.members).toEqual([
        expect.objectContaining({ userId: owner.id, role: 'owner', permissions: [] }),
      ]);
    });

    it('403 for anyone but a platform admin; 400 for a bad body; 422 for a malformed owner id; 401 without a token', async () => {
      const body = { name: 'X', ownerUserId: newObjectId() };
      for (const token of [w.owner.token, w.customer.token]) {
        expect((await t.request('POST', '/v1/workspaces', { token, body })).status).toBe(403);
      }
      expect((await t.request('POST', '/v1/workspaces', { body })).status).toBe(401);
      expect(
        (
          await t.request('POST', '/v1/workspaces', {
            token: admin.token,
            body: { name: '', ownerUserId: newObjectId() },
          })
        ).status,
      ).toBe(400);
      expect(
        (await t.request('POST', '/v1/workspaces', { token: admin.token, body: { name: 'X' } })).status,
      ).toBe(400);
      const bad = await t.request('POST', '/v1/workspaces', {
        token: admin.token,
        body: { name: 'X', ownerUserId: 'user-1' },
      });
      expect(bad.status).toBe(422);
      expect(bad.body.error).toBe('invalid_id');
    });

    it('reads one: platform admin and members 200, others 403, unknown 404, malformed 422', async () => {
      const path = `/v1/workspaces/${w.workspaceId}`;
      for (const p of [admin, w.owner, w.bareStaff]) {
        const res = await t.request('GET', path, { token: p.token });
        expect(res.status).toBe(200);
        expect(res.body.workspace.id).toBe(w.workspaceId);
      }
      expect((await t.request('GET', path, { token: w.outsider.token })).status).toBe(403);
      expect((await t.request('GET', path, { token: w.customer.token })).status).toBe(403);
      expect((await t.request('GET', `/v1/workspaces/${newObjectId()}`, { token: admin.token })).status).toBe(
        404,
      );
      expect((await t.request('GET', '/v1/workspaces/abc', { token: admin.token })).status).toBe(422);
    });

    it('lists all workspaces for a platform admin, and only their own for a member', async () => {
      const all = await ok(t.request('GET', '/v1/workspaces?limit=200', { token: admin.token }), 200);
      expect(all.workspaces.length).toBeGreaterThanOrEqual(2);
      const mine = await ok(t.request('GET', '/v1/workspaces', { token: w.bareStaff.token }), 200);
      expect(mine).toEqual({
        workspaces: [expect.objectContaining({ id: w.workspaceId })],
        nextCursor: null,
      });
      const first = await ok(t.request('GET', '/v1/workspaces?limit=1', { token: admin.token }), 200);
      const second = await ok(
        t.request('GET', `/v1/workspaces?limit=1&cursor=${first.nextCursor}`, { token: admin.token }),
        200,
      );
      expect(second.workspaces[0].id > first.workspaces[0].id).toBe(true);
    });
  });

  describe('members', () => {
    it('an owner adds staff with permissions; a duplicate is 409 conflict', async () => {
      const newbie = await person(t);
      const res = await t.request('POST', `${ws}/members`, {
        token: w.owner.token,
        body: { userId: newbie.id, role: 'staff', permissions: ['labs.run'] },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.member).toMatchObject({
        workspaceId: w.workspaceId,
        userId: newbie.id,
        role: 'staff',
        permissions: ['labs.run'],
      });
      const again = await t.request('POST', `${ws}/members`, {
        token: w.owner.token,
        body: { userId: newbie.id, role: 'owner' },
      });
      expect(again.status).toBe(409);
      expect(again.body).toEqual({
        error: 'conflict',
        message: 'This user is already a member of the workspace.',
      });
    });

    it('only owners add members (403 for staff with every permission, and the admin persona); members list them', async () => {
      const body = { userId: newObjectId(), role: 'staff' };
      expect((await t.request('POST', `${ws}/members`, { token: w.staff.token, body })).status).toBe(403);
      expect((await t.request('POST', `${ws}/members`, { token: admin.token, body })).status).toBe(403);
      const list = await ok(t.request('GET', `${ws}/members`, { token: w.bareStaff.token }), 200);
      expect(list.members.map((m: any) => m.userId)).toEqual(
        expect.arrayContaining([w.owner.id, w.staff.id, w.bareStaff.id]),
      );
    });

    it('400 for an unknown role or permission, 422 for a malformed user id', async () => {
      for (const body of [
        { userId: newObjectId(), role: 'boss' },
        { userId: newObjectId(), role: 'staff', permissions: ['labs.everything'] },
        { userId: newObjectId(), role: 'staff', permissions: 'labs.run' },
      ]) {
        expect((await t.request('POST', `${ws}/members`, { token: w.owner.token, body })).status).toBe(400);
      }
      const res = await t.request('POST', `${ws}/members`, {
        token: w.owner.token,
        body: { userId: 'u1', role: 'staff' },
      });
      expect(res.status).toBe(422);
    });
  });

  describe('clients (PHI)', () => {
    it('owner and staff with clients.write create them; staff without it 403; every member reads them', async () => {
      const body = {
        firstName: PHI.firstName,
        lastName: PHI.lastName,
        email: PHI.email,
        dob: PHI.dob,
        phone: PHI.phone,
      };
      const created = await t.request('POST', `${ws}/clients`, { token: w.staff.token, body });
      expect(created.status, created.text).toBe(201);
      expect(created.body.client).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        workspaceId: w.workspaceId,
        ...body,
        archivedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect((await t.request('POST', `${ws}/clients`, { token: w.bareStaff.token, body })).status).toBe(403);
      const read = await ok(
        t.request('GET', `${ws}/clients/${created.body.client.id}`, { token: w.bareStaff.token }),
        200,
      );
      expect(read.client).toEqual(created.body.client);
      const list = await ok(t.request('GET', `${ws}/clients`, { token: w.bareStaff.token }), 200);
      expect(list.clients.map((c: any) => c.id)).toContain(created.body.client.id);
    });

    it('only names are required; the rest may be omitted or null', async () => {
      const res = await t.request('POST', `${ws}/clients`, {
        token: w.owner.token,
        body: { firstName: PHI.firstName, lastName: PHI.lastName, email: null },
      });
      expect(res.status).toBe(201);
      expect(res.body.client).toMatchObject({ email: null, dob: null, phone: null });
    });

    it('400 for missing names, a bad email, date of birth or phone, or a future date of birth', async () => {
      const names = { firstName: PHI.firstName, lastName: PHI.lastName };
      for (const body of [
        { lastName: PHI.lastName },
        { ...names, firstName: '' },
        { ...names, email: 'not-an-email' },
        { ...names, dob: '1987-02-30' },
        { ...names, dob: '14/03/1987' },
        { ...names, dob: '2999-01-01' },
        { ...names, phone: '555-0123' },
        { ...names, ssn: '000-00-0000' },
      ]) {
        const res = await t.request('POST', `${ws}/clients`, { token: w.owner.token, body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
    });

    it('404 for an unknown client, 422 for a malformed id', async () => {
      expect(
        (await t.request('GET', `${ws}/clients/${newObjectId()}`, { token: w.owner.token })).body,
      ).toEqual({
        error: 'not_found',
        message: 'Client not found.',
      });
      expect((await t.request('GET', `${ws}/clients/123`, { token: w.owner.token })).status).toBe(422);
    });

    it('audits every create, read and list of a client in the same transaction', async () => {
      const client = await createClient(t, w);
      await t.request('GET', `${ws}/clients/${client.id}`, { token: w.owner.token });
      await t.request('GET', `${ws}/clients?limit=200`, { token: w.bareStaff.token });
      const rows = await t.database.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.resourceId, client.id))
        .orderBy(auditEvents.id);
      expect(rows.map((r) => [r.action, r.resourceType, r.actor, r.tenant])).toEqual([
        ['create', 'workspace_client', w.owner.id, w.workspaceId],
        ['read', 'workspace_client', w.owner.id, w.workspaceId],
        ['list', 'workspace_client', w.bareStaff.id, w.workspaceId],
      ]);
    });
  });

  describe('referrals', () => {
    it('creates a referral, optionally for a client of the workspace, and reads it back', async () => {
      const client = await createClient(t, w);
      const res = await t.request('POST', `${ws}/referrals`, {
        token: w.staff.token,
        body: { name: 'Dr. Ada Referrer', clientId: client.id, notes: PHI.notes },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.referral).toMatchObject({
        name: 'Dr. Ada Referrer',
        clientId: client.id,
        notes: PHI.notes,
      });
      const read = await ok(
        t.request('GET', `${ws}/referrals/${res.body.referral.id}`, { token: w.bareStaff.token }),
        200,
      );
      expect(read.referral).toEqual(res.body.referral);
      const bare = await ok(
        t.request('POST', `${ws}/referrals`, { token: w.owner.token, body: { name: 'Walk-in' } }),
      );
      expect(bare.referral).toMatchObject({ clientId: null, notes: null });
      const list = await ok(t.request('GET', `${ws}/referrals`, { token: w.bareStaff.token }), 200);
      expect(list.referrals.map((r: any) => r.id)).toEqual(
        expect.arrayContaining([res.body.referral.id, bare.referral.id]),
      );
    });

    it('404 for an unknown client, 422 for a malformed one, 403 without clients.write, 400 for notes over 2000', async () => {
      const post = (token: string, body: unknown) => t.request('POST', `${ws}/referrals`, { token, body });
      expect((await post(w.owner.token, { name: 'x', clientId: newObjectId() })).status).toBe(404);
      expect((await post(w.owner.token, { name: 'x', clientId: 'abc' })).status).toBe(422);
      expect((await post(w.bareStaff.token, { name: 'x' })).status).toBe(403);
      expect((await post(w.owner.token, { name: 'x', notes: 'n'.repeat(2001) })).status).toBe(400);
      expect(
        (await t.request('GET', `${ws}/referrals/${newObjectId()}`, { token: w.owner.token })).status,
      ).toBe(404);
    });
  });

  describe('the lab test catalog', () => {
    it('a platform admin adds tests; a duplicate test id is 409; anyone authenticated reads the catalog', async () => {
      const res = await t.request('POST', '/v1/labs/tests', {
        token: admin.token,
        body: { testId: 205, testTitle: 'CRP', price: 60 },
      });
      expect(res.status).toBe(201);
      expect(res.body.labTest).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        testId: 205,
        testTitle: 'CRP',
        price: 60,
      });
      const dup = await t.request('POST', '/v1/labs/tests', {
        token: admin.token,
        body: { testId: 205, testTitle: 'Other', price: 1 },
      });
      expect(dup.status).toBe(409);
      expect(dup.body).toEqual({ error: 'conflict', message: 'Lab test 205 already exists.' });
      for (const token of [w.customer.token, w.outsider.token, w.bareStaff.token]) {
        const list = await ok(t.request('GET', '/v1/labs/tests', { token }), 200);
        expect(list.labTests.map((x: any) => x.testId)).toEqual(expect.arrayContaining([101, 205]));
      }
      expect((await t.request('GET', '/v1/labs/tests')).status).toBe(401);
      expect(
        (await ok(t.request('GET', '/v1/labs/tests/205', { token: w.customer.token }), 200)).labTest
          .testTitle,
      ).toBe('CRP');
      expect((await t.request('GET', '/v1/labs/tests/9999', { token: w.customer.token })).status).toBe(404);
    });

    it('pages the catalog by test id', async () => {
      await createCatalogTest(t, admin, 150, 'TSH', 22.5);
      const first = await ok(t.request('GET', '/v1/labs/tests?limit=2', { token: w.owner.token }), 200);
      const rest = await ok(
        t.request('GET', `/v1/labs/tests?limit=2&cursor=${first.nextCursor}`, { token: w.owner.token }),
        200,
      );
      expect([...first.labTests, ...rest.labTests].map((x: any) => x.testId).slice(0, 3)).toEqual([
        101, 150, 205,
      ]);
    });

    it('403 for anyone but a platform admin; 400 for a price with three decimals or above 100 000, or a test id that is not a number', async () => {
      const body = { testId: 301, testTitle: 'A1c', price: 30 };
      expect((await t.request('POST', '/v1/labs/tests', { token: w.owner.token, body })).status).toBe(403);
      for (const bad of [
        { ...body, price: 30.001 },
        { ...body, testId: '301' },
        { ...body, price: -1 },
        { ...body, testId: 0 },
        // a visit may have 100 tests, and their sum must stay within the 10 000 000 an amount may be
        { ...body, price: 100_000.01 },
      ]) {
        const res = await t.request('POST', '/v1/labs/tests', { token: admin.token, body: bad });
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
      expect(
        (await t.request('PATCH', '/v1/labs/tests/101', { token: w.owner.token, body: { price: 1 } })).status,
      ).toBe(403);
      expect(
        (await t.request('PATCH', '/v1/labs/tests/9999', { token: admin.token, body: { price: 1 } })).status,
      ).toBe(404);
    });

    it("an owner sets the workspace's own title and price (201, then 200 when replaced); members see it", async () => {
      const put = (token: string, body: unknown, testId = 101) =>
        t.request('PUT', `${ws}/labs/tests/${testId}`, { token, body });
      const first = await put(w.owner.token, { testTitle: 'Blood count', price: 35 });
      expect(first.status, first.text).toBe(201);
      expect(first.body.designTest).toMatchObject({
        workspaceId: w.workspaceId,
        testId: 101,
        testTitle: 'Blood count',
        price: 35,
      });
      const second = await put(w.owner.token, { testTitle: 'Blood count', price: 33.3 });
      expect(second.status).toBe(200);
      expect(second.body.designTest).toMatchObject({ id: first.body.designTest.id, price: 33.3 });
      expect((await put(w.staff.token, { testTitle: 'x', price: 1 })).status).toBe(403);
      expect((await put(w.owner.token, { testTitle: 'x', price: 1 }, 9999)).status).toBe(404);
      expect((await put(w.owner.token, { testTitle: 'x' })).status).toBe(400);

      const view = await ok(t.request('GET', `${ws}/labs/tests`, { token: w.bareStaff.token }), 200);
      const cbc = view.labTests.find((x: any) => x.testId === 101);
      expect(cbc).toMatchObject({
        testTitle: 'CBC',
        price: 40,
        designTest: { testTitle: 'Blood count', price: 33.3 },
      });
      expect(view.labTests.find((x: any) => x.testId === 205).designTest).toBeNull();
    });
  });

  describe('coupons', () => {
    it('an owner creates coupons; the same code in another letter case is 409; members read them', async () => {
      const res = await t.request('POST', `${ws}/labs/coupons`, {
        token: w.owner.token,
        body: {
          code: 'Spring25',
          type: 'percent',
          value: 25,
          expiresAt: '2030-01-01T00:00:00Z',
          maxRedemptions: 100,
        },
      });
      expect(res.status, res.text).toBe(201);
      expect(res.body.labCoupon).toMatchObject({
        code: 'Spring25',
        type: 'percent',
        value: 25,
        active: true,
        expiresAt: '2030-01-01T00:00:00.000Z',
        maxRedemptions: 100,
        redemptions: 0,
      });
      const dup = await t.request('POST', `${ws}/labs/coupons`, {
        token: w.owner.token,
        body: { code: 'SPRING25', type: 'fixed', value: 5 },
      });
      expect(dup.status).toBe(409);
      expect(dup.body.error).toBe('conflict');
      const list = await ok(t.request('GET', `${ws}/labs/coupons`, { token: w.bareStaff.token }), 200);
      expect(list.labCoupons.map((c: any) => c.code)).toContain('Spring25');
      // Codes are per workspace: another workspace may use the same one.
      const other = await createWorkspace(t, admin);
      expect((await createCoupon(t, other, { code: 'spring25', type: 'fixed', value: 5 })).code).toBe(
        'spring25',
      );
    });

    it('403 for staff; 400 for a percent over 100, three decimals, a bad code or type', async () => {
      const post = (token: string, body: unknown) => t.request('POST', `${ws}/labs/coupons`, { token, body });
      expect((await post(w.staff.token, { code: 'STAFF', type: 'fixed', value: 1 })).status).toBe(403);
      for (const body of [
        { code: 'P101', type: 'percent', value: 100.01 },
        { code: 'F', type: 'fixed', value: 1.001 },
        { code: 'has space', type: 'fixed', value: 1 },
        { code: 'X', type: 'bogo', value: 1 },
        { code: 'X', type: 'fixed', value: 1, maxRedemptions: 0 },
      ]) {
        const res = await post(w.owner.token, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error).toBe('validation_error');
      }
      expect((await post(w.owner.token, { code: 'ALL', type: 'percent', value: 100 })).status).toBe(201);
    });

    it('an owner switches a coupon off and back on', async () => {
      const coupon = await createCoupon(t, w, { code: 'TOGGLE', type: 'fixed', value: 2 });
      const path = `${ws}/labs/coupons/${coupon.id}`;
      const off = await t.request('PATCH', path, { token: w.owner.token, body: { active: false } });
      expect(off.status).toBe(200);
      expect(off.body.labCoupon.active).toBe(false);
      expect((await t.request('PATCH', path, { token: w.staff.token, body: { active: true } })).status).toBe(
        403,
      );
      expect((await t.request('PATCH', path, { token: w.owner.token, body: {} })).status).toBe(400);
      expect(
        (await ok(t.request('PATCH', path, { token: w.owner.token, body: { active: true } }), 200)).labCoupon
          .active,
      ).toBe(true);
    });
  });

  it('serves every management route under /api/v1 as well', async () => {
    const res = await t.request('GET', `/api${ws}/clients`, { token: w.owner.token });
    expect(res.status).toBe(200);
    expect((await t.request('GET', '/api/v1/labs/tests', { token: w.owner.token })).status).toBe(200);
  });

  it('documents every workspace route in OpenAPI with a tag, summary, unique operationId and error responses', async () => {
    const doc = (await t.request('GET', '/openapi.json')).body;
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([p]) => /^\/(api\/)?v1\/(workspace|labs\/tests)/.test(p))
      .flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ route: `${m} ${p}`, op })));
    expect(ops.length).toBeGreaterThanOrEqual(2 * 26);
    const operationIds = ops.map((o) => o.op.operationId);
    expect(new Set(operationIds).size).toBe(operationIds.length);
    for (const { route, op } of ops) {
      expect(
        ['Workspace lab visits', 'Workspace management', 'Webhooks (workspace)', 'Events'],
        route,
      ).toContain(op.tags?.[0]);
      expect(op.summary, route).toEqual(expect.any(String));
      expect(op.responses['401'], route).toBeDefined();
    }
  });
});
