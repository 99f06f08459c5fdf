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
});
