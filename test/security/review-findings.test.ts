/**
 * The security review's findings, each as the request that demonstrated it (docs/security.md).
 * Each failed on the code before its fix.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrub } from '../../src/junction/classify-error.js';
import { SIMULATOR_PANELS } from '../../src/junction/simulator/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';
import {
  BRAND,
  createOrder,
  orderBody,
  startLabStack,
  WRITE_SCOPES,
  type LabStack,
} from '../helpers/lab-stack.js';
import { PHI } from '../helpers/phi.js';
import { clientFor } from '../junction/helpers.js';
import {
  createCatalogTest,
  createClient,
  createWorkspace,
  visitBody,
  visitsPath,
  type WorkspaceWorld,
} from '../workspaces/world.js';
import { onPostgres } from '../helpers/skip.js';

const cursorOf = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('security review findings', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  describe('1. patient data in error logs; dates PostgreSQL refuses', () => {
    it('a dob of year 0000 is a 400 naming the field, on the profile and the order', async () => {
      const patientId = randomUUID();
      const put = await s.t.request('PUT', `/v1/patients/${patientId}`, {
        token: s.token,
        body: {
          brand_id: BRAND,
          patient: { first_name: PHI.firstName, dob: '0000-12-09', email: PHI.email },
        },
      });
      expect(put.status, put.text).toBe(400);
      expect(put.body).toMatchObject({ error: 'validation_error' });
      expect(put.body.details).toContainEqual(expect.objectContaining({ path: '/patient/dob' }));
      const order = await createOrder(
        s,
        orderBody({ patient: { ...orderBody().patient, dob: '0000-12-09' } }),
      );
      expect(order.status).toBe(400);
      expect(order.body.details).toContainEqual(expect.objectContaining({ path: '/patient/dob' }));
    });
  });

  describe('2. a Junction webhook naming a local order by passthrough', () => {
    it('does not re-point an order onto another patient’s Junction order', async () => {
      const placed = await createOrder(s, orderBody());
      expect(placed.status).toBe(201);
      const victim = placed.body as { id: string; junction_order_id: string };
      // Someone with the same Junction team orders for another user, naming our order as passthrough.
      const junction = clientFor(s.sim);
      const otherUser = await junction.ensureUser(randomUUID());
      const forged = await junction.createOrder(
        { ...orderOfSim(otherUser), passthrough: victim.id },
        randomUUID(),
      );
      s.sim.advance(forged.id, 'completed.walk_in_test.completed');
      await s.sim.webhooksSettled();

      const read = await s.t.request('GET', `/v1/lab-orders/${victim.id}`, { token: s.token });
      expect(read.body).toMatchObject({
        junction_order_id: victim.junction_order_id,
        status: 'received',
        completed_at: null,
      });
      const results = await s.t.request('GET', `/v1/lab-orders/${victim.id}/results`, { token: s.token });
      expect(results.status).toBe(404);
      expect(s.t.logs.some((l) => l.includes('passthrough names a local order'))).toBe(true);
    });

    it('does not adopt another user’s Junction order for an order still waiting for its own', async () => {
      s.sim.setFaults({ errorRate: 1, errorStatuses: [500], operations: ['create_order'] });
      const body = orderBody();
      const pending = await createOrder(s, body);
      s.sim.setFaults({});
      expect(pending.status).toBe(502);
      const [local] = (
        await s.t.request('GET', `/v1/lab-orders?patient_id=${body.patient_id}`, { token: s.token })
      ).body.data;
      expect(local).toMatchObject({ status: 'submitting', junction_order_id: null });

      const junction = clientFor(s.sim);
      const forged = await junction.createOrder(
        { ...orderOfSim(await junction.ensureUser(randomUUID())), passthrough: local.id },
        randomUUID(),
      );
      s.sim.advance(forged.id, 'completed.walk_in_test.completed');
      await s.sim.webhooksSettled();
      const read = await s.t.request('GET', `/v1/lab-orders/${local.id}`, { token: s.token });
      expect(read.body).toMatchObject({ status: 'submitting', junction_order_id: null });
    });
  });

  describe('3. authorization before an idempotent replay', () => {
    it('a token of another brand with the same subject gets 403, not the stored order', async () => {
      const key = randomUUID();
      const body = orderBody();
      expect((await createOrder(s, body, key)).status).toBe(201);
      const other = await s.t.token({ sub: 'svc-acme', scope: WRITE_SCOPES, brandIds: ['brand-zzz'] });
      const replay = await createOrder(s, body, key, other);
      expect(replay.status, replay.text).toBe(403);
      expect(replay.body.error).toBe('brand_forbidden');
      expect(replay.headers.get('idempotent-replayed')).toBeNull();
      expect(replay.text).not.toContain(body.patient_id);
    });
  });

  describe('4. unbounded clinical text', () => {
    it('a 35 KB first name is a 400 before anything reaches Junction, and nothing is stored', async () => {
      const before = s.sim.orders().length;
      const body = orderBody({
        patient: { ...orderBody().patient, first_name: 'Z'.repeat(35_000), last_name: ' ' },
      });
      const res = await createOrder(s, body);
      expect(res.status, res.text.slice(0, 200)).toBe(400);
      expect(res.body.details).toContainEqual(expect.objectContaining({ path: '/patient/first_name' }));
      expect(s.sim.orders().length).toBe(before);
      const list = await s.t.request('GET', `/v1/lab-orders?patient_id=${body.patient_id}`, {
        token: s.token,
      });
      expect(list.body.data).toEqual([]);
    });

    it('names are bounded at 50 characters, as Junction takes them', async () => {
      const at50 = await createOrder(
        s,
        orderBody({ patient: { ...orderBody().patient, first_name: 'A'.repeat(50) } }),
      );
      expect(at50.status, at50.text).toBe(201);
      const at51 = await createOrder(
        s,
        orderBody({ patient: { ...orderBody().patient, first_name: 'A'.repeat(51) } }),
      );
      expect(at51.status).toBe(400);
    });

    it('scrubbing an upstream message of a huge patient value neither throws nor cuts ids', () => {
      const id = '8f14e45f-ceea-467f-a9d5-6b2f1c3e9a10';
      expect(() => scrub(`user ${id} not found`, ['Z'.repeat(35_000)])).not.toThrow();
      expect(scrub(`user ${id} not found for 94110`, ['94110', 'ce', '9a10'])).toBe(
        `user ${id} not found for [redacted]`,
      );
      expect(scrub(`Name ${PHI.firstName}; hello`, [PHI.firstName.toLowerCase()])).toBe(
        'Name [redacted]; hello',
      );
    });
  });

  describe('5. 500s from input', () => {
    it('a webhook POST without Content-Type or body is a 4xx', async () => {
      const bare = await s.t.request('POST', '/v1/webhooks/junction');
      expect([400, 401]).toContain(bare.status);
      expect(bare.body).toHaveProperty('error');
      const signedHeadersOnly = await s.t.request('POST', '/v1/webhooks/junction', {
        headers: {
          'svix-id': 'msg_1',
          'svix-timestamp': String(Math.floor(Date.now() / 1000)),
          'svix-signature': 'v1,abc',
        },
      });
      expect([400, 401]).toContain(signedHeadersOnly.status);
      expect(signedHeadersOnly.body).toHaveProperty('error');
    });

    it('a forged lab order cursor is 400 invalid_cursor', async () => {
      for (const cursor of [
        cursorOf(`+275760-09-13T00:00:00.000Z|${randomUUID()}`),
        cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()]),
        'x',
      ]) {
        const res = await s.t.request('GET', `/v1/lab-orders?cursor=${cursor}`, { token: s.token });
        expect(res.status, res.text).toBe(400);
        expect(res.body.error).toBe('invalid_cursor');
      }
    });
  });
});

describe('security review findings on the workspace surface', () => {
  let t: TestApp;
  let w: WorkspaceWorld;
  let clientId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: usingPostgres ? { DB_STATEMENT_TIMEOUT_MS: '300' } : {} });
    w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40);
    clientId = (await createClient(t, w)).id;
  });
  afterAll(async () => t?.close());

  it('5. a forged visit cursor is 400 invalid_cursor', async () => {
    for (const key of [
      ['1', '65a000000000000000000001'],
      ['+275760-09-13T00:00:00.000Z', '65a000000000000000000001'],
    ]) {
      const res = await t.request(
        'GET',
        `/v1/workspace/${w.workspaceId}/labs/visits?cursor=${cursorOf(key)}`,
        { token: w.owner.token },
      );
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toBe('invalid_cursor');
    }
    const tests = await t.request('GET', `/v1/labs/tests?cursor=${cursorOf([1e300])}`, {
      token: w.owner.token,
    });
    expect(tests.status).toBe(400);
  });

  it('1. a client dob of year 0000 is a 400', async () => {
    const res = await t.request('POST', `/v1/workspace/${w.workspaceId}/clients`, {
      token: w.owner.token,
      body: { firstName: PHI.firstName, lastName: PHI.lastName, dob: '0000-12-09' },
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toContainEqual(expect.objectContaining({ path: '/dob' }));
  });

  onPostgres.it(
    '1. a statement timeout logs the error code and statement, never the values sent',
    async () => {
      const locker = new pg.Client({
        connectionString: t.config.database.kind === 'postgres' ? t.config.database.url : '',
      });
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table workspace_clients in access exclusive mode');
        const res = await t.request('POST', `/v1/workspace/${w.workspaceId}/clients`, {
          token: w.owner.token,
          body: { firstName: PHI.firstName, lastName: PHI.lastName, email: PHI.email, phone: PHI.phone },
        });
        expect(res.status).toBe(503);
        expect(res.body.error).toBe('service_unavailable');
        expect(res.headers.get('retry-after')).not.toBeNull();
        await locker.query('rollback');

        await locker.query('begin');
        await locker.query('lock table lab_visits in access exclusive mode');
        const visit = await t.request('POST', visitsPath(w.workspaceId), {
          token: w.owner.token,
          body: visitBody(clientId, { labTestIds: [101], labVisitNotes: PHI.notes }),
        });
        expect(visit.status).toBe(503);
        await locker.query('rollback');
      } finally {
        await locker.end();
      }
      const failures = t.logs
        .filter((l) => l.includes('request failed'))
        .map((l) => JSON.parse(l) as { err: Record<string, unknown> });
      expect(failures.length).toBeGreaterThanOrEqual(2);
      for (const f of failures) {
        expect(f.err).toMatchObject({ code: '57014' });
        expect(typeof f.err.statement).toBe('string');
      }
      const text = t.logs.join('\n');
      for (const value of [PHI.firstName, PHI.lastName, PHI.email, PHI.phone, PHI.notes])
        expect(text).not.toContain(value);
    },
  );
});

/** A Junction order body for a user of the simulator (the patient values are the suite's PHI markers). */
function orderOfSim(userId: string) {
  return {
    userId,
    labTestId: SIMULATOR_PANELS.hashimotos,
    patient: {
      firstName: PHI.firstName,
      lastName: PHI.lastName,
      dob: PHI.dob,
      gender: 'female' as const,
      phoneNumber: PHI.phone,
      email: PHI.email,
    },
    address: {
      firstLine: PHI.line1,
      secondLine: null,
      city: PHI.city,
      state: 'CA',
      zip: '94110',
      country: 'US',
    },
  };
}
