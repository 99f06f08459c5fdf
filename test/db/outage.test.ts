/**
 * The database goes away and comes back (PostgreSQL only: an embedded database cannot). A TCP
 * proxy between the service and the server is cut and restored; the shared server is never
 * touched. While it is down every route answers 503 `service_unavailable` with Retry-After, never
 * 500, and /readyz is 503; a request in flight when it goes answers 503 and writes nothing; once it
 * is back the same process serves again (the pool recovers without a restart).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, DEMO_LAB_ORDER, DEMO_LAB_VISIT } from '../../src/demo/examples.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/database.js';
import { valueFor, type Schema } from '../helpers/schema-arbitrary.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/** Routes that never need the database. */
const WITHOUT_DATABASE = new Set([
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /v1/me',
]);

describe.skipIf(!usingPostgres)('a database outage', () => {
  let testDb: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;
  let direct: pg.Client;
  let owner: string;
  let clinical: string;
  let admin: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const server = new URL(testDb.url);
    proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    t = await startTestApp({
      demo: true,
      databaseUrl: proxy.via(testDb.url),
      env: { DB_STATEMENT_TIMEOUT_MS: '5000' },
    });
    direct = new pg.Client({ connectionString: testDb.url });
    await direct.connect();
    owner = await t.token({ sub: DEMO.ownerUserId });
    admin = await t.token({ sub: DEMO.adminUserId, persona: 'admin' });
    clinical = await t.token({
      sub: 'outage-clinical',
      scope: 'lab-orders:read lab-orders:write lab-orders:admin',
      brandIds: [DEMO.brandId],
    });
  }, 180_000);
  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await t?.close();
    await direct?.end();
    await proxy?.close();
    await testDb?.drop();
  });

  const tokenFor = (route: string) =>
    route.includes('/workspace/') ? owner : /\/(workspaces|labs\/tests|me)\b/.test(route) ? admin : clinical;
  const visitCount = async () =>
    Number((await direct.query('select count(*) from lab_visits')).rows[0].count);
  const createVisit = () =>
    t.request('POST', `/v1/workspace/${DEMO.workspaceId}/labs/visits`, {
      token: owner,
      body: DEMO_LAB_VISIT,
    });

  it(
    'every route answers 503 with Retry-After while it is down, and serves again once it is back',
    { timeout: 180_000 },
    async () => {
      expect((await t.request('GET', '/readyz')).status).toBe(200);
      expect((await createVisit()).status).toBe(201);
      const doc = (await t.request('GET', '/openapi.json')).body as {
        paths: Record<string, Record<string, Schema>>;
      };

      await proxy.cut();
      const ready = await t.request('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error).toBe('service_unavailable');

      const answers: string[] = [];
      for (const [route, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const name = `${method.toUpperCase()} ${route}`;
          if (route === '/v1/webhooks/junction' || route === '/readyz') continue;
          let url = route;
          for (const p of (op.parameters as
            { in: string; name: string; schema: Schema; example?: unknown }[] | undefined) ?? []) {
            if (p.in !== 'path') continue;
            const value =
              p.example ??
              p.schema.example ??
              fc.sample(valueFor(p.schema, { strings: [], integers: [] }), { numRuns: 1, seed: 1 })[0];
            url = url.replace(`{${p.name}}`, encodeURIComponent(String(value)));
          }
          const schema = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
            ?.content?.['application/json']?.schema;
          const body =
            route.endsWith('/lab-orders') && method === 'post'
              ? DEMO_LAB_ORDER
              : route.endsWith('/labs/visits') && method === 'post'
                ? DEMO_LAB_VISIT
                : schema
                  ? fc.sample(valueFor(schema, { strings: [DEMO.workspaceId], integers: [101] }), {
                      numRuns: 1,
                      seed: 7,
                    })[0]
                  : undefined;
          const res = await t.request(method.toUpperCase(), url, {
            token: tokenFor(route),
            ...(body !== undefined ? { body } : {}),
            headers: { 'idempotency-key': `outage-${answers.length}` },
          });
          answers.push(`${name} → ${res.status} ${res.body?.error ?? ''}`);
          expect(res.status, name).not.toBe(500);
          if (WITHOUT_DATABASE.has(name) || res.status < 500) {
            // Refused before the database is needed (validation, scope), or needs no database.
            expect(res.status === 503, `${name} answered ${res.status}`).toBe(false);
            continue;
          }
          expect(res.status, `${name}: ${res.text}`).toBe(503);
          expect(res.body.error, name).toBe('service_unavailable');
          expect(res.headers.get('retry-after'), name).toMatch(/^\d+$/);
        }
      }
      // The routes a client uses most did need the database and said so.
      for (const name of [
        'POST /v1/lab-orders',
        'GET /v1/lab-orders/{id}',
        'POST /v1/workspace/{workspaceId}/labs/visits',
        'GET /v1/workspace/{workspaceId}/labs/visits',
        'GET /v1/workspaces',
      ]) {
        expect(answers, name).toContainEqual(
          expect.stringMatching(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} → 503`)),
        );
      }

      await proxy.restore();
      await expect
        .poll(async () => (await t.request('GET', '/readyz')).status, { timeout: 30_000, interval: 250 })
        .toBe(200);
      expect((await createVisit()).status).toBe(201);
      const order = await t.request('POST', '/v1/lab-orders', {
        token: clinical,
        body: DEMO_LAB_ORDER,
        headers: { 'idempotency-key': 'after-the-outage' },
      });
      expect(order.status).toBe(201);
    },
  );

  it(
    'a request in flight when the database goes away answers 503 and writes nothing',
    { timeout: 120_000 },
    async () => {
      const before = await visitCount();
      // Hold the visits table so the create waits inside its transaction, then pull the plug.
      await direct.query('begin');
      await direct.query('lock table lab_visits in access exclusive mode');
      const pending = createVisit();
      const waiting = async () =>
        Number(
          (
            await direct.query(
              `select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
            )
          ).rows[0].count,
        );
      await expect.poll(waiting, { timeout: 30_000, interval: 50 }).toBe(1);
      await proxy.cut();
      await direct.query('rollback');
      const res = await pending;
      expect(res.status, res.text).toBe(503);
      expect(res.body.error).toBe('service_unavailable');
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await visitCount()).toBe(before);
      // The coupon's redemption was part of the same transaction: still as it was.
      await proxy.restore();
      await expect
        .poll(async () => (await t.request('GET', '/readyz')).status, { timeout: 30_000, interval: 250 })
        .toBe(200);
      expect((await createVisit()).status).toBe(201);
      expect(await visitCount()).toBe(before + 1);
    },
  );
});
