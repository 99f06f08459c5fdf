/**
 * Concurrent visits on one coupon: redemptions are counted in each visit's transaction, so they
 * can never pass maxRedemptions. On PostgreSQL the requests are split over two app instances
 * with their own connection pools, as replicas would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';
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

describe('coupon redemption under concurrency', () => {
  let t: TestApp;
  let replica: TestApp | null = null;
  let w: WorkspaceWorld;
  let clientId: string;

  beforeAll(async () => {
    t = await startTestApp();
    if (usingPostgres && t.config.database.kind === 'postgres') {
      replica = await startTestApp({ databaseUrl: t.config.database.url });
    }
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    clientId = (await createClient(t, w)).id;
  });
  afterAll(async () => {
    await replica?.close();
    await t.close();
  });

  const fire = (n: number, code: string) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => {
        const app = replica && i % 2 === 1 ? replica : t;
        return app.request('POST', visitsPath(w.workspaceId), {
          token: i % 2 === 0 ? w.owner.token : w.staff.token,
          body: visitBody(clientId, { labCouponCode: code }),
        });
      }),
    );

  const couponOf = async (id: string) =>
    (
      await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons/${id}`, { token: w.owner.token }),
        200,
      )
    ).labCoupon;

  it('20 concurrent visits on a coupon with maxRedemptions 5: exactly 5 redeemed, 15 × 422 invalid_coupon', async () => {
    const coupon = await createCoupon(t, w, { code: 'FIVE', type: 'percent', value: 10, maxRedemptions: 5 });
    const results = await fire(20, 'FIVE');

    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 422);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect(r.body.error).toBe('invalid_coupon');
    for (const r of created) {
      expect(r.body.labVisit.labVisitPricing).toMatchObject({
        labCouponId: coupon.id,
        labVisitDiscountAmount: 10,
        labVisitTotal: 90,
      });
    }
    expect((await couponOf(coupon.id)).redemptions).toBe(5);

    const list = await ok(
      t.request('GET', `${visitsPath(w.workspaceId)}?limit=200`, { token: w.owner.token }),
      200,
    );
    expect(list.labVisits.filter((v: any) => v.labVisitPricing.labCouponId === coupon.id)).toHaveLength(5);
  });

  it('loses no redemption when nothing limits them: 20 concurrent visits count 20', async () => {
    const coupon = await createCoupon(t, w, { code: 'OPEN', type: 'fixed', value: 5 });
    const results = await fire(20, 'open');
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect((await couponOf(coupon.id)).redemptions).toBe(20);
  });
});
