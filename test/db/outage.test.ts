/**
 * The database goes away and comes back (PostgreSQL only: an embedded database cannot). A TCP
 * proxy between the service and the server is cut and restored; the shared server is never
 * touched. While it is down every route answers 503 `service_unavailable` with Retry-After, never
 * 500, and /readyz is 503; a request in flight when it goes answers 503 and writes nothing; once it
 * is back the same process serves again (the pool recovers without a restart). Cut in the middle
 * of 30 concurrent creates (lab orders and visits, each with its Idempotency-Key): every answer is
 * 201 or 503, every 201 is readable afterwards, no order or visit is left without its key, and a
 * same-key retry of every 503 ends in exactly one order or visit per key.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO, DEMO_LAB_ORDER, DEMO_LAB_VISIT } from '../../src/demo/examples.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { valueFor, type Schema } from '../helpers/schema-arbitrary.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { onPostgres } from '../helpers/skip.js';

/** Routes that never need the database. */
const WITHOUT_DATABASE = new Set([
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'GET /v1/me',
]);

onPostgres.describe('a database outage', () => {
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
      // A short lease (at least 3 × JUNCTION_TIMEOUT_MS): a create cut between its statements
      // keeps its key leased (the release after the failure cannot reach the database either),
      // and its retry waits the lease out.
      env: { DB_STATEMENT_TIMEOUT_MS: '5000', IDEMPOTENCY_LEASE_SECONDS: '2', JUNCTION_TIMEOUT_MS: '1500' },
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
      try {
        // At least the create waits for the table (a background job reading visits may too).
        const waiting = async () => {
          // This session is in a transaction, where pg_stat_activity is a snapshot taken at its
          // first read: clear it to see the create arrive.
          await direct.query('select pg_stat_clear_snapshot()');
          const { rows } = await direct.query(
            `select count(*)::int as n from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and query ilike '%lab_visits%'`,
          );
          return rows[0].n as number;
        };
        await expect.poll(waiting, { timeout: 30_000, interval: 50 }).toBeGreaterThanOrEqual(1);
        await proxy.cut();
      } finally {
        // Never left held: the next test books visits too.
        await direct.query('rollback');
      }
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

  it(
    'cut mid-traffic (30 concurrent creates and bookings): only 201 or 503, every 201 readable, every key one order',
    { timeout: 180_000 },
    async () => {
      await expect
        .poll(async () => (await t.request('GET', '/readyz')).status, { timeout: 30_000, interval: 250 })
        .toBe(200);
      const rowIds = async () => ({
        orders: new Set<string>(
          (await direct.query('select id::text as id from lab_orders')).rows.map((r) => r.id),
        ),
        visits: new Set<string>((await direct.query('select id from lab_visits')).rows.map((r) => r.id)),
      });
      const before = await rowIds();

      interface Attempt {
        kind: 'order' | 'visit';
        key: string;
        method: string;
        url: string;
        body: unknown;
        token: string;
      }
      const attempts: Attempt[] = Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? {
              kind: 'order',
              key: `mid-traffic-order-${i}`,
              method: 'POST',
              url: '/v1/lab-orders',
              // Half the orders share the demo patient, half have their own.
              body: { ...DEMO_LAB_ORDER, ...(i % 4 === 0 ? { patient_id: randomUUID() } : {}) },
              token: clinical,
            }
          : {
              kind: 'visit',
              key: `mid-traffic-visit-${i}`,
              method: 'POST',
              url: `/v1/workspace/${DEMO.workspaceId}/labs/visits`,
              body: { ...DEMO_LAB_VISIT, labVisitNotes: `visit ${i}` },
              token: owner,
            },
      );
      /** the id of what a 201 created: the order, or the visit (`{labVisit}`) */
      const idOf = (a: Attempt, body: any): string => (a.kind === 'order' ? body.id : body.labVisit.id);
      const send = (a: Attempt) =>
        t.request(a.method, a.url, { token: a.token, body: a.body, headers: { 'idempotency-key': a.key } });

      // All 30 at once; the plug is pulled when the third answer is back, with the rest in flight.
      let answered = 0;
      const cutting: Promise<void>[] = [];
      const results = await Promise.all(
        attempts.map(async (a) => {
          const res = await send(a);
          if (++answered === 3) cutting.push(proxy.cut());
          return { res };
        }),
      );
      await Promise.all(cutting);
      const statuses = results.map((r) => r.res.status);
      for (const [i, { res }] of results.entries()) {
        expect([201, 503], `${attempts[i]!.key}: ${res.status} ${res.text}`).toContain(res.status);
        if (res.status === 503) {
          expect(res.body.error).toBe('service_unavailable');
          expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        }
      }
      // The cut did land mid-traffic: some were created before it, some were refused by it.
      expect(statuses.filter((s) => s === 201).length, statuses.join(',')).toBeGreaterThanOrEqual(3);
      expect(statuses.filter((s) => s === 503).length, statuses.join(',')).toBeGreaterThan(0);

      await proxy.restore();
      await expect
        .poll(async () => (await t.request('GET', '/readyz')).status, { timeout: 30_000, interval: 250 })
        .toBe(200);

      // Every 201 is there to read.
      const readUrl = (a: Attempt, id: string) =>
        a.kind === 'order' ? `/v1/lab-orders/${id}` : `/v1/workspace/${DEMO.workspaceId}/labs/visits/${id}`;
      for (const [i, { res }] of results.entries()) {
        if (res.status !== 201) continue;
        const a = attempts[i]!;
        const read = await t.request('GET', readUrl(a, idOf(a, res.body)), { token: a.token });
        expect(read.status, `${a.key}: ${read.text}`).toBe(200);
        expect(idOf(a, read.body)).toBe(idOf(a, res.body));
      }

      // Nothing half-written: every order and visit created since is named by its key's row.
      const orphans = async () =>
        (
          await direct.query(
            `select o.id::text as id from lab_orders o
              where not exists (select 1 from idempotency_keys k where k.resource_id = o.id::text)
             union all
             select v.id from lab_visits v
              where not exists (select 1 from idempotency_keys k where k.resource_id = v.id)`,
          )
        ).rows
          .map((r) => r.id as string)
          .filter((id) => !before.orders.has(id) && !before.visits.has(id));
      expect(await orphans()).toEqual([]);

      // Retry every 503 with the same key and body, as told (Retry-After; a key whose request was
      // cut between its statements is in progress until its lease runs out, then resumed).
      const finalIds = new Map<string, string>();
      await Promise.all(
        results.map(async ({ res }, i) => {
          const a = attempts[i]!;
          let answer = res;
          const deadline = Date.now() + 30_000;
          while (
            answer.status === 503 ||
            (answer.status === 409 && answer.body?.error === 'idempotency_key_in_progress')
          ) {
            expect(Date.now(), `${a.key} still ${answer.status} ${answer.text}`).toBeLessThan(deadline);
            const wait = Math.min(1000, Number(answer.headers.get('retry-after') ?? 1) * 1000);
            await new Promise((r) => setTimeout(r, wait));
            answer = await send(a);
          }
          expect(answer.status, `${a.key}: ${answer.text}`).toBe(201);
          if (res.status === 201) expect(idOf(a, answer.body)).toBe(idOf(a, res.body));
          finalIds.set(a.key, idOf(a, answer.body));
          // Once more: the stored answer, the same order or visit.
          const again = await send(a);
          expect(again.status).toBe(201);
          expect(again.headers.get('idempotent-replayed')).toBe('true');
          expect(idOf(a, again.body)).toBe(idOf(a, answer.body));
        }),
      );

      // Exactly one order or visit per key: the rows created since are exactly the answered ones.
      const after = await rowIds();
      const newOrders = [...after.orders].filter((id) => !before.orders.has(id)).sort();
      const newVisits = [...after.visits].filter((id) => !before.visits.has(id)).sort();
      const answeredIds = (kind: Attempt['kind']) =>
        attempts
          .filter((a) => a.kind === kind)
          .map((a) => finalIds.get(a.key)!)
          .sort();
      expect(newOrders).toEqual(answeredIds('order'));
      expect(newVisits).toEqual(answeredIds('visit'));
      expect(new Set(finalIds.values()).size).toBe(30);
      expect(await orphans()).toEqual([]);
      const keyed = await direct.query(
        `select key, state, resource_id from idempotency_keys where key like 'mid-traffic-%' order by key`,
      );
      expect(keyed.rows).toHaveLength(30);
      for (const row of keyed.rows) {
        expect(row.state, row.key).toBe('completed');
        expect(row.resource_id, row.key).toBe(finalIds.get(row.key));
      }
      // No order is left submitting, and each is one order at Junction.
      for (const id of answeredIds('order')) {
        expect(
          t.sim.orders().filter((o) => o.passthrough === id),
          id,
        ).toHaveLength(1);
      }
      const submitting = await direct.query(
        `select count(*)::int as n from lab_orders where id::text = any($1) and status = 'submitting'`,
        [answeredIds('order')],
      );
      expect(submitting.rows[0].n).toBe(0);
      // No pooled connection was lost to the cut: every one is back in the pool (a leaked one
      // would be gone for good, and the pool would run dry after a few outages).
      await expect
        .poll(
          () => {
            const pool = t.database.poolStats();
            return pool.total - pool.idle;
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe(0);
    },
  );
});
