/**
 * The third security review (issue #26), each finding as the request that demonstrated it
 * (docs/security.md). Each failed on the code before its fix. Finding 1 (demo mode) is
 * test/security/demo-mode.test.ts; finding 4 (a receiver's NUL) is in test/webhooks/delivery.test.ts.
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

describe('third security review: the workspace surface', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;
  const json = { 'content-type': 'application/json' };
  /** Sends JSON text as written: JSON.stringify cannot write 1e400. */
  const raw = (method: string, url: string, token: string, text: string) =>
    t.request(method, url, { token, rawBody: text, headers: json });
  const expect400 = (res: { status: number; text: string; body: any }, path: string) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toBe('validation_error');
    expect(res.body.details).toContainEqual(expect.objectContaining({ path }));
  };

  beforeAll(async () => {
    t = await startTestApp();
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    await createCatalogTest(t, w.admin, 205, 'Lipid panel', 60);
    clientId = (await createClient(t, w)).id;
  });
  afterAll(async () => t?.close());

  describe('2. numbers beyond what a number holds', () => {
    it('a result value of 1e400 is a 400 and writes nothing; the visit, the list and the events still read', async () => {
      const { labVisit } = await ok(
        t.request('POST', visitsPath(w.workspaceId), { token: w.owner.token, body: visitBody(clientId) }),
      );
      for (const labVisitStatus of ['scheduled', 'collected']) {
        await ok(
          t.request('PATCH', `${visitsPath(w.workspaceId)}/${labVisit.id}`, {
            token: w.owner.token,
            body: { labVisitStatus },
          }),
          200,
        );
      }
      const resultsPath = `${visitsPath(w.workspaceId)}/${labVisit.id}/results`;
      for (const value of ['1e400', '-1e400']) {
        const res = await raw(
          'POST',
          resultsPath,
          w.owner.token,
          `{"labTestResults":[{"testId":101,"value":${value},"unit":"g/dL"}]}`,
        );
        expect400(res, '/labTestResults/0/value');
      }
      const read = await ok(
        t.request('GET', `${visitsPath(w.workspaceId)}/${labVisit.id}`, { token: w.owner.token }),
        200,
      );
      expect(read.labVisit.labTestResults).toEqual([]);
      await ok(t.request('GET', visitsPath(w.workspaceId), { token: w.owner.token }), 200);
      const events = await ok(
        t.request('GET', `/v1/workspace/${w.workspaceId}/events`, { token: w.owner.token }),
        200,
      );
      expect(events.events.map((e: { type: string }) => e.type)).not.toContain('lab_visit.results_added');

      // A large finite value within the documented bound is kept as sent.
      const fine = await raw(
        'POST',
        resultsPath,
        w.owner.token,
        '{"labTestResults":[{"testId":101,"value":4.5e12,"unit":"/L"}]}',
      );
      expect(fine.status, fine.text).toBe(200);
      expect(fine.body.labVisit.labTestResults[0].value).toBe(4.5e12);
    });

    it('every other number of a body, query or path: 400, nothing written', async () => {
      const base = `/v1/workspace/${w.workspaceId}`;
      const before = await ok(t.request('GET', visitsPath(w.workspaceId), { token: w.owner.token }), 200);
      const visit = (extra: string) =>
        `{"clientId":"${clientId}","labVisitType":"in-lab","labVisitDate":"2026-01-10T12:00:00Z",${extra}}`;
      expect400(
        await raw('POST', visitsPath(w.workspaceId), w.owner.token, visit('"labTestIds":[1e400]')),
        '/labTestIds/0',
      );
      expect400(
        await raw(
          'POST',
          visitsPath(w.workspaceId),
          w.owner.token,
          visit('"labTestIds":[101],"labVisitSubtotal":1e400'),
        ),
        '/labVisitSubtotal',
      );
      expect400(
        await raw(
          'POST',
          `${visitsPath(w.workspaceId)}/quote`,
          w.owner.token,
          visit('"labTestIds":[101],"labVisitSubtotal":-1e400'),
        ),
        '/labVisitSubtotal',
      );
      expect400(
        await raw(
          'POST',
          `${base}/labs/coupons`,
          w.owner.token,
          '{"code":"INF","type":"fixed","value":1e400}',
        ),
        '/value',
      );
      expect400(
        await raw(
          'POST',
          `${base}/labs/coupons`,
          w.owner.token,
          '{"code":"INF2","type":"fixed","value":5,"maxRedemptions":1e400}',
        ),
        '/maxRedemptions',
      );
      expect400(
        await raw('POST', '/v1/labs/tests', w.admin.token, '{"testId":1e400,"testTitle":"X","price":1}'),
        '/testId',
      );
      expect400(
        await raw('POST', '/v1/labs/tests', w.admin.token, '{"testId":999,"testTitle":"X","price":1e400}'),
        '/price',
      );
      expect400(await raw('PUT', `${base}/labs/tests/101`, w.owner.token, '{"price":1e400}'), '/price');
      const limit = await t.request('GET', `${visitsPath(w.workspaceId)}?limit=1e400`, {
        token: w.owner.token,
      });
      expect(limit.status, limit.text).toBe(400);
      const pathNumber = await t.request('PUT', `${base}/labs/tests/1e400`, {
        token: w.owner.token,
        body: { price: 1 },
      });
      expect(pathNumber.status, pathNumber.text).toBe(400);

      const after = await ok(t.request('GET', visitsPath(w.workspaceId), { token: w.owner.token }), 200);
      expect(after.labVisits.length).toBe(before.labVisits.length);
      const coupons = await ok(t.request('GET', `${base}/labs/coupons`, { token: w.owner.token }), 200);
      expect(coupons.labCoupons).toEqual([]);
      const tests = await ok(t.request('GET', '/v1/labs/tests?limit=200', { token: w.owner.token }), 200);
      expect(JSON.stringify(tests)).not.toContain('"testId":999');
      await createCoupon(t, w, { code: 'AFTER', type: 'fixed', value: 5 });
    });
  });
  describe('3. instants checked after their offset', () => {
    /** Each is a 400 naming the field: after its offset, outside years 0001–9999, or a leap second. */
    const BAD_INSTANTS = [
      '9999-12-31T23:59:59.999-01:00',
      '0001-01-01T00:00:00+01:00',
      '2026-12-31T23:59:60Z',
      '2016-12-31T23:59:60Z',
      '2027-01-01T00:59:60+01:00',
    ];
    /** The edges, in UTC and with offsets that keep them inside. */
    const GOOD_INSTANTS = [
      '9999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59+00:00',
      '9999-12-31T23:00:00-00:59',
      '0001-01-01T00:00:00Z',
      '0001-01-01T00:00:00-01:00',
      '0001-01-01T01:00:00+01:00',
    ];

    it('labVisitDate on a create, a quote and a change', async () => {
      for (const labVisitDate of BAD_INSTANTS) {
        const body = visitBody(clientId, { labVisitDate });
        expect400(
          await t.request('POST', visitsPath(w.workspaceId), { token: w.owner.token, body }),
          '/labVisitDate',
        );
        expect400(
          await t.request('POST', `${visitsPath(w.workspaceId)}/quote`, { token: w.owner.token, body }),
          '/labVisitDate',
        );
      }
      const { labVisit } = await ok(
        t.request('POST', visitsPath(w.workspaceId), { token: w.owner.token, body: visitBody(clientId) }),
      );
      for (const labVisitDate of BAD_INSTANTS) {
        const res = await t.request('PATCH', `${visitsPath(w.workspaceId)}/${labVisit.id}`, {
          token: w.owner.token,
          body: { labVisitDate },
        });
        expect400(res, '/labVisitDate');
      }
      for (const labVisitDate of GOOD_INSTANTS) {
        const made = await ok(
          t.request('POST', visitsPath(w.workspaceId), {
            token: w.owner.token,
            body: visitBody(clientId, { labVisitDate }),
          }),
        );
        expect(made.labVisit.labVisitDate).toBe(new Date(labVisitDate).toISOString());
      }
      await ok(t.request('GET', visitsPath(w.workspaceId), { token: w.owner.token }), 200);
    });

    it('?from and ?to on the visit list', async () => {
      for (const instant of BAD_INSTANTS) {
        for (const name of ['from', 'to']) {
          const res = await t.request(
            'GET',
            `${visitsPath(w.workspaceId)}?${name}=${encodeURIComponent(instant)}`,
            { token: w.owner.token },
          );
          expect(res.status, `${name}=${instant}: ${res.text}`).toBe(400);
          expect(res.body.error).toBe('validation_error');
          expect(JSON.stringify(res.body.details)).toContain(name);
        }
      }
      for (const instant of GOOD_INSTANTS) {
        const res = await t.request(
          'GET',
          `${visitsPath(w.workspaceId)}?from=${encodeURIComponent(instant)}`,
          {
            token: w.owner.token,
          },
        );
        expect(res.status, res.text).toBe(200);
      }
    });

    it('expiresAt on coupons, created and changed', async () => {
      const base = `/v1/workspace/${w.workspaceId}/labs/coupons`;
      for (const [i, expiresAt] of BAD_INSTANTS.entries()) {
        const res = await t.request('POST', base, {
          token: w.owner.token,
          body: { code: `BADTIME${i}`, type: 'percent', value: 10, expiresAt },
        });
        expect400(res, '/expiresAt');
      }
      const coupon = await createCoupon(t, w, { code: 'GOODTIME', type: 'percent', value: 10 });
      for (const expiresAt of BAD_INSTANTS) {
        const res = await t.request('PATCH', `${base}/${coupon.id}`, {
          token: w.owner.token,
          body: { expiresAt },
        });
        expect400(res, '/expiresAt');
      }
      const edge = await ok(
        t.request('PATCH', `${base}/${coupon.id}`, {
          token: w.owner.token,
          body: { expiresAt: '9999-12-31T23:00:00-00:59' },
        }),
        200,
      );
      expect(edge.labCoupon.expiresAt).toBe('9999-12-31T23:59:00.000Z');
      // A year below 100 reads back as written (JavaScript's lenient parser once made it 19xx).
      await ok(
        t.request('PATCH', `${base}/${coupon.id}`, {
          token: w.owner.token,
          body: { expiresAt: '0050-06-01T12:00:00+01:00' },
        }),
        200,
      );
      const read = await ok(t.request('GET', `${base}/${coupon.id}`, { token: w.owner.token }), 200);
      expect(read.labCoupon.expiresAt).toBe('0050-06-01T11:00:00.000Z');
    });

    it('since on a webhook endpoint’s recover', async () => {
      const { webhookEndpoint } = await ok(
        t.request('POST', `/v1/workspace/${w.workspaceId}/webhook-endpoints`, {
          token: w.owner.token,
          body: { url: 'http://127.0.0.1:9/hooks' },
        }),
      );
      const recover = `/v1/workspace/${w.workspaceId}/webhook-endpoints/${webhookEndpoint.id}/recover`;
      for (const since of BAD_INSTANTS) {
        expect400(await t.request('POST', recover, { token: w.owner.token, body: { since } }), '/since');
      }
      const fine = await t.request('POST', recover, {
        token: w.owner.token,
        body: { since: '0001-01-01T00:00:00-01:00' },
      });
      expect(fine.status, fine.text).toBe(202);
    });

    it('expires_at on API keys', async () => {
      const admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
      const key = (expires_at: string) =>
        t.request('POST', '/v1/api-keys', {
          token: admin,
          body: { name: 'edge', scopes: ['lab-orders:read'], brand_ids: ['brand-a'], expires_at },
        });
      for (const instant of BAD_INSTANTS) expect400(await key(instant), '/expires_at');
      const edge = await key('9999-12-31T23:00:00-00:59');
      expect(edge.status, edge.text).toBe(201);
      expect(edge.body.api_key.expires_at).toBe('9999-12-31T23:59:00.000Z');
    });
  });
});
