/**
 * The third security review (issue #26), each finding as the request that demonstrated it
 * (docs/security.md). Each failed on the code before its fix. Finding 1 (demo mode) is
 * test/security/demo-mode.test.ts; finding 4 (a receiver's NUL) is in test/webhooks/delivery.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
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
      // allowPastDate: the early instants are refused for their form, not for being in the past.
      for (const labVisitDate of BAD_INSTANTS) {
        const body = visitBody(clientId, { labVisitDate, allowPastDate: true });
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
          body: { labVisitDate, allowPastDate: true },
        });
        expect400(res, '/labVisitDate');
      }
      for (const labVisitDate of GOOD_INSTANTS) {
        const made = await ok(
          t.request('POST', visitsPath(w.workspaceId), {
            token: w.owner.token,
            body: visitBody(clientId, { labVisitDate, allowPastDate: true }),
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
      // The edge is a valid instant, refused only for outliving the token that makes the key (finding 5).
      const edge = await key('9999-12-31T23:00:00-00:59');
      expect(edge.status, edge.text).toBe(400);
      expect(edge.body.details[0].message).toMatch(/^must not be later than /);
      // An offset is applied: noon tomorrow at -01:00 is 13:00 UTC.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      const withOffset = await key(`${tomorrow}T12:00:00-01:00`);
      expect(withOffset.status, withOffset.text).toBe(201);
      expect(withOffset.body.api_key.expires_at).toBe(`${tomorrow}T13:00:00.000Z`);
    });
  });
});

describe('third security review: API keys made by keys and tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const ADMIN_SCOPES = ['lab-orders:admin', 'lab-orders:read'];
  const expiryOf = (jwt: string) =>
    new Date(
      (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000,
    );
  const make = (maker: string, extra: Record<string, unknown> = {}) =>
    t.request('POST', '/v1/api-keys', {
      token: maker,
      body: { name: 'child', scopes: ADMIN_SCOPES, brand_ids: ['brand-k'], ...extra },
    });

  it('5. a key made by a key expires no later than its maker; asking for later is a 400', async () => {
    const admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
    const inAnHour = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    const parent = await ok(make(admin, { expires_at: inAnHour }));
    expect(parent.api_key.expires_at).toBe(inAnHour);

    const child = await ok(make(parent.api_key.key));
    expect(child.api_key.expires_at).toBe(inAnHour);
    const explicitNull = await ok(make(parent.api_key.key, { expires_at: null }));
    expect(explicitNull.api_key.expires_at).toBe(inAnHour);
    const sooner = new Date(Date.parse(inAnHour) - 60_000).toISOString();
    expect((await ok(make(parent.api_key.key, { expires_at: sooner }))).api_key.expires_at).toBe(sooner);

    const later = await make(parent.api_key.key, { expires_at: '2099-01-01T00:00:00Z' });
    expect(later.status, later.text).toBe(400);
    expect(later.body.details).toEqual([
      {
        path: '/expires_at',
        message: `must not be later than ${inAnHour}, when the credential making it expires`,
      },
    ]);
  });

  it('5. a key made by a token (720 hours, lab-orders:admin) expires with the token, the admin’s too', async () => {
    const brandAdmin = await t.token({ sub: 'svc-k', scope: ADMIN_SCOPES.join(' '), brandIds: ['brand-k'] });
    const made = await ok(make(brandAdmin));
    expect(made.api_key.expires_at).toBe(expiryOf(brandAdmin).toISOString());
    expect((await make(brandAdmin, { expires_at: '2099-01-01T00:00:00Z' })).status).toBe(400);

    const admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
    const byAdmin = await ok(make(admin, { brand_ids: ['brand-anyone'] }));
    expect(byAdmin.api_key.expires_at).toBe(expiryOf(admin).toISOString());
  });

  it('5. revoking a maker revokes the keys it made, and theirs, at once', async () => {
    const admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
    const parent = (await ok(make(admin))).api_key;
    const child = (await ok(make(parent.key))).api_key;
    const grandchild = (await ok(make(child.key, { scopes: ['lab-orders:read'] }))).api_key;
    const sibling = (await ok(make(admin))).api_key;
    for (const k of [parent, child, grandchild]) {
      expect((await t.request('GET', '/v1/me', { token: k.key })).status).toBe(200);
    }

    const revoked = await t.request('DELETE', `/v1/api-keys/${parent.id}`, { token: admin });
    expect(revoked.status, revoked.text).toBe(200);
    for (const k of [parent, child, grandchild]) {
      const res = await t.request('GET', '/v1/me', { token: k.key });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('The API key has been revoked.');
      const read = await ok(t.request('GET', `/v1/api-keys/${k.id}`, { token: admin }), 200);
      expect(read.api_key.revoked_at).toBe(revoked.body.api_key.revoked_at);
    }
    expect((await t.request('GET', '/v1/me', { token: sibling.key })).status).toBe(200);
  });

  it('5. keys made before the rule follow their makers once the migration has run', async () => {
    const admin = await t.token({ sub: 'platform-admin', persona: 'admin' });
    const inAnHour = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    const revokedMaker = (await ok(make(admin))).api_key;
    const child = (await ok(make(revokedMaker.key))).api_key;
    const grandchild = (await ok(make(child.key))).api_key;
    const expiringMaker = (await ok(make(admin, { expires_at: inAnHour }))).api_key;
    const ownExpiry = (await ok(make(expiringMaker.key))).api_key;
    // The rows as the code before the rule left them: the maker alone revoked, the made keys
    // without an expiry.
    await t.database.db.execute(
      sql`update api_keys set revoked_at = case when id = ${revokedMaker.id}::uuid then now() end, expires_at = null
          where id in (${revokedMaker.id}::uuid, ${child.id}::uuid, ${grandchild.id}::uuid, ${ownExpiry.id}::uuid)`,
    );
    expect((await t.request('GET', '/v1/me', { token: grandchild.key })).status).toBe(200);

    const migration = fs.readFileSync(path.resolve('drizzle/0018_keys_follow_their_makers.sql'), 'utf8');
    await t.database.db.execute(sql.raw(migration));

    const makerRow = await ok(t.request('GET', `/v1/api-keys/${revokedMaker.id}`, { token: admin }), 200);
    for (const k of [child, grandchild]) {
      const res = await t.request('GET', '/v1/me', { token: k.key });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('The API key has been revoked.');
      const read = await ok(t.request('GET', `/v1/api-keys/${k.id}`, { token: admin }), 200);
      expect(read.api_key.revoked_at).toBe(makerRow.api_key.revoked_at);
    }
    const expiring = await ok(t.request('GET', `/v1/api-keys/${ownExpiry.id}`, { token: admin }), 200);
    expect(expiring.api_key.expires_at).toBe(inAnHour);
    expect(expiring.api_key.revoked_at).toBeNull();
    // Keys that already followed the rule are left as they were.
    const parentRow = await ok(t.request('GET', `/v1/api-keys/${expiringMaker.id}`, { token: admin }), 200);
    expect(parentRow.api_key).toMatchObject({ expires_at: inAnHour, revoked_at: null });
  });
});
