/**
 * A visit that will not take place gives its coupon use back (docs/workspace-lab-visits.md): a
 * cancelled visit, or one deleted before its sample was collected; once, never twice; its pricing
 * keeps the coupon and discount as booked. A collected or completed visit keeps the use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  createCatalogTest,
  createClient,
  createCoupon,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
  type WorkspaceWorld,
} from '../workspaces/world.js';

describe('a visit that will not take place gives its coupon use back', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;

  const book = async (code: string) =>
    (
      await ok(
        t.request('POST', visitsPath(w.workspaceId), {
          token: w.staff.token,
          body: visitBody(clientId, { labCouponCode: code }),
        }),
      )
    ).labVisit;
  const patch = (id: string, body: unknown) =>
    t.request('PATCH', `${visitsPath(w.workspaceId)}/${id}`, { token: w.staff.token, body });
  const remove = (id: string) =>
    t.request('DELETE', `${visitsPath(w.workspaceId)}/${id}`, { token: w.staff.token });
  const redemptions = async (couponId: string) =>
    (
      await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons/${couponId}`, { token: w.owner.token }),
        200,
      )
    ).labCoupon.redemptions as number;

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    clientId = (await createClient(t, w)).id;
  });
  afterAll(() => t.close());

  it('cancelling gives the use back, so a one-use coupon books the visit that replaces it; the cancelled visit keeps its discount', async () => {
    const coupon = await createCoupon(t, w, { code: 'ONCE', type: 'percent', value: 10, maxRedemptions: 1 });
    const first = await book('ONCE');
    expect(await redemptions(coupon.id)).toBe(1);
    const refused = await t.request('POST', visitsPath(w.workspaceId), {
      token: w.staff.token,
      body: visitBody(clientId, { labCouponCode: 'ONCE' }),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('invalid_coupon');

    const cancelled = await patch(first.id, { labVisitStatus: 'cancelled' });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.labVisit.labVisitPricing).toEqual(first.labVisitPricing);
    expect(await redemptions(coupon.id)).toBe(0);

    // The rebooked visit uses it; deleting the cancelled visit gives nothing back a second time.
    await book('ONCE');
    expect(await redemptions(coupon.id)).toBe(1);
    expect((await remove(first.id)).status).toBe(200);
    expect(await redemptions(coupon.id)).toBe(1);
  });

  it('deleting a pending or scheduled visit gives the use back; a collected or completed one keeps it', async () => {
    const coupon = await createCoupon(t, w, { code: 'MANY', type: 'fixed', value: 5 });
    const pending = await book('MANY');
    const scheduled = await book('MANY');
    const collected = await book('MANY');
    const completed = await book('MANY');
    expect(await redemptions(coupon.id)).toBe(4);
    await ok(patch(scheduled.id, { labVisitStatus: 'scheduled' }), 200);
    for (const to of ['scheduled', 'collected']) await ok(patch(collected.id, { labVisitStatus: to }), 200);
    for (const to of ['scheduled', 'collected', 'completed'])
      await ok(patch(completed.id, { labVisitStatus: to }), 200);

    for (const visit of [pending, scheduled]) expect((await remove(visit.id)).status).toBe(200);
    expect(await redemptions(coupon.id)).toBe(2);
    for (const visit of [collected, completed]) expect((await remove(visit.id)).status).toBe(200);
    expect(await redemptions(coupon.id)).toBe(2);
  });

  it('a refused move gives nothing back; a visit without a coupon changes no coupon', async () => {
    const coupon = await createCoupon(t, w, { code: 'KEEP', type: 'percent', value: 20 });
    const visit = await book('KEEP');
    for (const to of ['scheduled', 'collected']) await ok(patch(visit.id, { labVisitStatus: to }), 200);
    const refused = await patch(visit.id, { labVisitStatus: 'cancelled' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe('invalid_transition');
    expect(await redemptions(coupon.id)).toBe(1);

    const plain = (
      await ok(
        t.request('POST', visitsPath(w.workspaceId), { token: w.staff.token, body: visitBody(clientId) }),
      )
    ).labVisit;
    await ok(patch(plain.id, { labVisitStatus: 'cancelled' }), 200);
    expect(await redemptions(coupon.id)).toBe(1);
  });
});
