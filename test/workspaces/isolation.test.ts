/**
 * Tenant isolation: a member of workspace B, going through B's routes, can neither read, change
 * nor detect workspace A's visits, clients, referrals or coupons: every attempt answers exactly
 * what a nonexistent id answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
} from './world.js';

describe('workspace isolation', () => {
  let t: TestApp;
  let a: WorkspaceWorld;
  let b: WorkspaceWorld;
  let ids: { visit: string; client: string; referral: string; coupon: string };

  beforeAll(async () => {
    t = await startTestApp();
    a = await createWorkspace(t);
    b = await createWorkspace(t, a.admin);
    await createCatalogTest(t, a.admin, 101, 'CBC', 40);
    await createCatalogTest(t, a.admin, 205, 'CRP', 60);
    const client = await createClient(t, a);
    const referral = await createReferral(t, a, { clientId: client.id, notes: PHI.notes });
    const coupon = await createCoupon(t, a, { code: 'ASECRET', type: 'percent', value: 20 });
    const { labVisit } = await ok(
      t.request('POST', visitsPath(a.workspaceId), {
        token: a.owner.token,
        body: visitBody(client.id, {
          referralId: referral.id,
          labCouponCode: 'ASECRET',
          labVisitNotes: PHI.notes,
        }),
      }),
    );
    ids = { visit: labVisit.id, client: client.id, referral: referral.id, coupon: coupon.id };
  });
  afterAll(() => t.close());

  /** B's answer for A's id must equal B's answer for an id that exists nowhere, byte for byte. */
  async function sameAsNonexistent(
    method: string,
    pathFor: (id: string) => string,
    realId: string,
    body?: unknown,
  ) {
    const theirs = await t.request(method, pathFor(realId), {
      token: b.owner.token,
      ...(body ? { body } : {}),
    });
    const nobody = await t.request(method, pathFor(newObjectId()), {
      token: b.owner.token,
      ...(body ? { body } : {}),
    });
    expect(theirs.status, `${method} ${pathFor(':id')}`).toBe(404);
    expect(theirs.text).toBe(nobody.text);
    return theirs;
  }

  const inB = (rest: string) => `/v1/workspace/${b.workspaceId}${rest}`;

  it("hides A's visit from B's get, change, results and delete", async () => {
    const visit = (id: string) => inB(`/labs/visits/${id}`);
    await sameAsNonexistent('GET', visit, ids.visit);
    await sameAsNonexistent('PATCH', visit, ids.visit, { labVisitStatus: 'cancelled' });
    await sameAsNonexistent('POST', (id) => `${visit(id)}/results`, ids.visit, {
      labTestResults: [{ testId: 101, value: 1 }],
    });
    await sameAsNonexistent('DELETE', visit, ids.visit);
    // ...and the visit is untouched.
    const still = await ok(
      t.request('GET', `${visitsPath(a.workspaceId)}/${ids.visit}`, { token: a.owner.token }),
      200,
    );
    expect(still.labVisit).toMatchObject({ labVisitStatus: 'pending', deletedAt: null });
  });

  it("hides A's client, referral and coupon from B's reads", async () => {
    await sameAsNonexistent('GET', (id) => inB(`/clients/${id}`), ids.client);
    await sameAsNonexistent('GET', (id) => inB(`/referrals/${id}`), ids.referral);
    await sameAsNonexistent('GET', (id) => inB(`/labs/coupons/${id}`), ids.coupon);
    await sameAsNonexistent('PATCH', (id) => inB(`/labs/coupons/${id}`), ids.coupon, { active: false });
  });

  it("refuses A's client for B's visits and referrals exactly as an unknown client", async () => {
    const theirs = await t.request('POST', visitsPath(b.workspaceId), {
      token: b.owner.token,
      body: visitBody(ids.client),
    });
    const nobody = await t.request('POST', visitsPath(b.workspaceId), {
      token: b.owner.token,
      body: visitBody(newObjectId()),
    });
    expect(theirs.status).toBe(404);
    expect(theirs.text).toBe(nobody.text);
    const referral = await t.request('POST', inB('/referrals'), {
      token: b.owner.token,
      body: { name: 'x', clientId: ids.client },
    });
    const referralNobody = await t.request('POST', inB('/referrals'), {
      token: b.owner.token,
      body: { name: 'x', clientId: newObjectId() },
    });
    expect(referral.status).toBe(404);
    expect(referral.text).toBe(referralNobody.text);
  });

  it("shows none of A's records in B's lists, whatever the filter", async () => {
    const lists = await Promise.all(
      [`/labs/visits?clientId=${ids.client}`, '/labs/visits', '/clients', '/referrals', '/labs/coupons'].map(
        (p) => ok(t.request('GET', inB(p), { token: b.owner.token }), 200),
      ),
    );
    const json = JSON.stringify(lists);
    for (const id of Object.values(ids)) expect(json).not.toContain(id);
    expect(json).not.toContain(PHI.firstName);
  });

  it('403 for B’s owner on A’s own routes (a member-only workspace is not theirs)', async () => {
    const res = await t.request('GET', `${visitsPath(a.workspaceId)}/${ids.visit}`, { token: b.owner.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('forbidden');
  });
});
