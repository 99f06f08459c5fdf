/**
 * The two booking decisions the contract leaves to labline (SPEC §7, docs/workspace-lab-visits.md):
 * overriding `labVisitSubtotal` is the owner's or a `labs.price_override` holder's, and a visit
 * date in the past is booked only with `allowPastDate: true`. Both are answered the same by the
 * create, the quote and (for the date) a reschedule, and a refused request writes nothing.
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

describe('booking decisions: who may set the subtotal, and dates in the past', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;

  const post = (token: string, body: unknown, suffix = '') =>
    t.request('POST', `${visitsPath(w.workspaceId)}${suffix}`, { token, body });
  const visitCount = async () =>
    (await ok(t.request('GET', `${visitsPath(w.workspaceId)}?limit=100`, { token: w.owner.token }), 200))
      .labVisits.length as number;
  const redemptions = async (code: string) =>
    (
      await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/labs/coupons?limit=100`, { token: w.owner.token }),
        200,
      )
    ).labCoupons.find((c: { code: string }) => c.code === code).redemptions as number;
  const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'CRP', 60);
    await createCoupon(t, w, { code: 'HALF', type: 'percent', value: 50 });
    clientId = (await createClient(t, w)).id;
  });
  afterAll(() => t.close());

  describe('labVisitSubtotal', () => {
    it('staff with labs.run but not labs.price_override: 403 on the create and the quote, nothing booked or redeemed', async () => {
      const before = { visits: await visitCount(), redeemed: await redemptions('HALF') };
      const body = visitBody(clientId, { labVisitSubtotal: 0, labCouponCode: 'HALF' });
      for (const suffix of ['', '/quote']) {
        const res = await post(w.staff.token, body, suffix);
        expect(res.status, suffix).toBe(403);
        expect(res.body).toEqual({
          error: 'forbidden',
          message:
            'Setting labVisitSubtotal overrides the tests’ prices: it needs the workspace owner or the "labs.price_override" permission.',
        });
      }
      expect(await visitCount()).toBe(before.visits);
      expect(await redemptions('HALF')).toBe(before.redeemed);
    });

    it('staff may still book at the tests’ prices: a null subtotal is no override', async () => {
      const res = await post(w.staff.token, visitBody(clientId, { labVisitSubtotal: null }));
      expect(res.status, res.text).toBe(201);
      expect(res.body.labVisit.labVisitPricing.labVisitSubtotal).toBe(100);
    });

    it('the owner, and staff once granted labs.price_override, set it', async () => {
      const byOwner = await post(
        w.owner.token,
        visitBody(clientId, { labVisitSubtotal: 80, labCouponCode: 'HALF' }),
      );
      expect(byOwner.status, byOwner.text).toBe(201);
      expect(byOwner.body.labVisit.labVisitPricing).toMatchObject({
        labVisitSubtotal: 80,
        labVisitTotal: 40,
      });

      await ok(
        t.request('PATCH', `/v1/workspace/${w.workspaceId}/members/${w.staff.id}`, {
          token: w.owner.token,
          body: { permissions: ['labs.run', 'clients.write', 'labs.price_override'] },
        }),
        200,
      );
      const quoted = await post(w.staff.token, visitBody(clientId, { labVisitSubtotal: 0 }), '/quote');
      expect(quoted.status, quoted.text).toBe(200);
      expect(quoted.body.labVisitPricing).toMatchObject({ labVisitSubtotal: 0, labVisitTotal: 0 });
      const booked = await post(w.staff.token, visitBody(clientId, { labVisitSubtotal: 0 }));
      expect(booked.status, booked.text).toBe(201);
      expect(booked.body.labVisit.labVisitPricing.labVisitTotal).toBe(0);
    });
  });

  describe('labVisitDate in the past', () => {
    it('is 400 naming the field and the way to book it anyway, on the create and the quote; nothing booked', async () => {
      const before = await visitCount();
      for (const suffix of ['', '/quote']) {
        const res = await post(
          w.owner.token,
          visitBody(clientId, { labVisitDate: hoursFromNow(-2) }),
          suffix,
        );
        expect(res.status, suffix).toBe(400);
        expect(res.body).toMatchObject({
          error: 'validation_error',
          message:
            'Invalid /labVisitDate: the date is in the past. To record a visit that already took place, send "allowPastDate": true.',
          details: [{ path: '/labVisitDate', message: expect.stringContaining('in the past') }],
        });
      }
      expect(await visitCount()).toBe(before);
    });

    it('is booked with allowPastDate: true, and keeps the date given', async () => {
      const date = hoursFromNow(-48);
      const res = await post(w.owner.token, visitBody(clientId, { labVisitDate: date, allowPastDate: true }));
      expect(res.status, res.text).toBe(201);
      expect(res.body.labVisit.labVisitDate).toBe(date);
      expect(res.body.labVisit).not.toHaveProperty('allowPastDate');
    });

    it('a few minutes behind the clock is not "the past": a visit booked for now goes through', async () => {
      const res = await post(w.staff.token, visitBody(clientId, { labVisitDate: hoursFromNow(-1 / 30) }));
      expect(res.status, res.text).toBe(201);
    });

    it('a reschedule to a past date needs the flag too', async () => {
      const visit = (await ok(post(w.staff.token, visitBody(clientId, { labVisitDate: hoursFromNow(24) }))))
        .labVisit;
      const path = `${visitsPath(w.workspaceId)}/${visit.id}`;
      const past = hoursFromNow(-24);
      const refused = await t.request('PATCH', path, { token: w.staff.token, body: { labVisitDate: past } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('validation_error');
      const read = await ok(t.request('GET', path, { token: w.staff.token }), 200);
      expect(read.labVisit.labVisitDate).toBe(visit.labVisitDate);
      const moved = await t.request('PATCH', path, {
        token: w.staff.token,
        body: { labVisitDate: past, allowPastDate: true },
      });
      expect(moved.status, moved.text).toBe(200);
      expect(moved.body.labVisit.labVisitDate).toBe(past);
    });
  });
});
