import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { clinical } from '../helpers/contract.js';
import {
  BRAND,
  createOrder,
  orderBody,
  simUserOf,
  startLabStack,
  type LabStack,
} from '../helpers/lab-stack.js';
import { PHI } from '../helpers/phi.js';

describe('POST /v1/lab-orders', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());
  afterEach(() => s.sim.setFaults({}));

  const localOrders = async (patientId: string) =>
    rows<{ id: string; status: string }>(
      s.t.database.db,
      sql`select id, status from lab_orders where patient_id = ${patientId}`,
    );
  const simOrdersFor = (orderId: string) => s.sim.orders().filter((o) => o.passthrough === orderId);

  it('creates the order at Junction and answers the contract 201 body', async () => {
    const body = orderBody();
    const res = await createOrder(s, body);
    expect(res.status).toBe(201);
    clinical.created(res.body);
    expect(res.body).toMatchObject({
      brand_id: BRAND,
      patient_id: body.patient_id,
      panel_id: 'hashimotos',
      status: 'received',
      completed_at: null,
    });
    const simOrder = s.sim.order(res.body.junction_order_id);
    expect(simOrder).toBeDefined();
    expect(simOrder!.passthrough).toBe(res.body.id);
    expect(simOrder!.patient_details).toMatchObject({
      first_name: PHI.firstName,
      email: PHI.email,
      gender: 'female',
    });
    expect(simUserOf(s.sim, body.patient_id)).toBeDefined();
    expect(res.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays the stored answer byte for byte for the same key and body, creating nothing', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await createOrder(s, body, key);
    const again = await createOrder(s, body, key);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await localOrders(body.patient_id)).toHaveLength(1);
    expect(simOrdersFor(first.body.id)).toHaveLength(1);
  });

  it('409 idempotency_key_reused for the same key with a different body', async () => {
    const key = randomUUID();
    expect((await createOrder(s, orderBody(), key)).status).toBe(201);
    const res = await createOrder(s, orderBody({ panel_id: 'pcos' }), key);
    expect(res.status).toBe(409);
    clinical.error(409, res.body);
    expect(res.body.error).toBe('idempotency_key_reused');
  });

  it('keys are scoped to the token subject: another client may use the same key', async () => {
    const key = randomUUID();
    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:write' });
    expect((await createOrder(s, orderBody(), key)).status).toBe(201);
    expect((await createOrder(s, orderBody(), key, other)).status).toBe(201);
  });

  it('400 missing_idempotency_key without the header, and for a key that is not printable ASCII', async () => {
    const res = await s.t.request('POST', '/v1/lab-orders', { token: s.token, body: orderBody() });
    expect(res.status).toBe(400);
    clinical.error(400, res.body);
    expect(res.body.error).toBe('missing_idempotency_key');
    const long = await createOrder(s, orderBody(), 'k'.repeat(256));
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('invalid_idempotency_key');
  });

  describe('auth', () => {
    it('401 without a token, before the body is looked at', async () => {
      const res = await s.t.request('POST', '/v1/lab-orders', {
        body: {},
        headers: { 'idempotency-key': 'k' },
      });
      expect(res.status).toBe(401);
    });

    it('403 insufficient_scope for a read-only token', async () => {
      const reader = await s.t.token({ sub: 'svc-acme', scope: 'lab-orders:read' });
      const res = await createOrder(s, orderBody(), randomUUID(), reader);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
    });

    it('403 brand_forbidden for a brand the token does not name, and nothing is stored for the key', async () => {
      const key = randomUUID();
      const res = await createOrder(s, orderBody({ brand_id: 'brand-other' }), key);
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('brand_forbidden');
      expect((await createOrder(s, orderBody(), key)).status).toBe(201);
    });
  });

  describe('patient profiles', () => {
    it('400 patient_incomplete, before any call to Junction, when neither request nor profile has the patient', async () => {
      const usersBefore = s.sim.users().length;
      const { patient: _p, address: _a, ...bare } = orderBody();
      const res = await createOrder(s, bare);
      expect(res.status).toBe(400);
      clinical.error(400, res.body);
      expect(res.body.error).toBe('patient_incomplete');
      expect(res.body.details.map((d: { path: string }) => d.path)).toEqual([
        'patient.first_name',
        'patient.last_name',
        'patient.dob',
        'patient.email',
        'patient.gender',
        'patient.phone_number',
        'address',
      ]);
      expect(s.sim.users().length).toBe(usersBefore);
    });

    it('names gender and phone_number when only they are missing (Junction needs them)', async () => {
      const body = orderBody();
      const { gender: _g, phone_number: _ph, ...patient } = body.patient;
      const res = await createOrder(s, { ...body, patient });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('patient_incomplete');
      expect(res.body.message).toContain('patient.gender, patient.phone_number');
    });

    it('an order without patient and address uses the profile stored with PUT /v1/patients', async () => {
      const full = orderBody();
      const put = await s.t.request('PUT', `/v1/patients/${full.patient_id}`, {
        token: s.token,
        body: { patient: full.patient, address: full.address },
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ brand_id: BRAND, complete: true, patient: { email: PHI.email } });
      const { patient: _p, address: _a, ...bare } = full;
      const res = await createOrder(s, bare);
      expect(res.status).toBe(201);
      expect(s.sim.order(res.body.junction_order_id)!.patient_details).toMatchObject({
        last_name: PHI.lastName,
      });
    });

    it('a stored answer wins over a refusal the request would get now: the profile it used is gone, the retry still replays', async () => {
      const full = orderBody();
      expect(
        (
          await s.t.request('PUT', `/v1/patients/${full.patient_id}`, {
            token: s.token,
            body: { patient: full.patient, address: full.address },
          })
        ).status,
      ).toBe(200);
      const { patient: _p, address: _a, ...bare } = full;
      const key = randomUUID();
      const first = await createOrder(s, bare, key);
      expect(first.status).toBe(201);
      await s.t.database.db.execute(sql`delete from patients where patient_id = ${full.patient_id}`);
      const again = await createOrder(s, bare, key);
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      // A new key is refused: nothing to complete the patient from.
      expect((await createOrder(s, bare)).body.error).toBe('patient_incomplete');
    });

    it('an order with the patient keeps it: the next order for that patient may omit it', async () => {
      const first = orderBody();
      expect((await createOrder(s, first)).status).toBe(201);
      const { patient: _p, address: _a, ...bare } = first;
      const second = await createOrder(s, { ...bare, panel_id: 'fertility' });
      expect(second.status).toBe(201);
      const got = await s.t.request('GET', `/v1/patients/${first.patient_id}`, { token: s.token });
      expect(got.status).toBe(200);
      expect(got.body.address).toMatchObject({ line1: PHI.line1, city: PHI.city });
    });

    it("a profile's updated_at is its last change: orders and PUTs that send what it holds leave it, and its row, as they are", async () => {
      const body = orderBody();
      const profile = async () => {
        const got = await s.t.request('GET', `/v1/patients/${body.patient_id}`, { token: s.token });
        expect(got.status).toBe(200);
        const [row] = await rows<{ xmin: string }>(
          s.t.database.db,
          sql`select xmin::text from patients where patient_id = ${body.patient_id}`,
        );
        return { updatedAt: got.body.updated_at as string, version: row!.xmin };
      };
      expect((await createOrder(s, body)).status).toBe(201);
      const first = await profile();
      // The same patient and address again, by an order and by a PUT: nothing changes.
      expect((await createOrder(s, { ...body, panel_id: 'fertility' })).status).toBe(201);
      const put = await s.t.request('PUT', `/v1/patients/${body.patient_id}`, {
        token: s.token,
        body: { patient: body.patient, address: body.address },
      });
      expect(put.status).toBe(200);
      expect(put.body.updated_at).toBe(first.updatedAt);
      expect(await profile()).toEqual(first);
      // One field changes: the profile is written, with a later updated_at.
      const moved = { ...body, patient: { ...body.patient, phone_number: '+15555550199' } };
      expect((await createOrder(s, moved)).status).toBe(201);
      const after = await profile();
      expect(after.version).not.toBe(first.version);
      expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
      const audits = await rows<{ action: string }>(
        s.t.database.db,
        sql`select action from audit_events where resource_type = 'patient' and resource_id = ${body.patient_id} and action <> 'read' order by id`,
      );
      // Every write is still audited as what the request asked for (the GETs above are audited reads).
      expect(audits.map((a) => a.action)).toEqual(['create', 'update', 'update', 'update']);
    });
  });

  describe('Junction failures', () => {
    it.each([
      ['a 500', { errorRate: 1, errorStatuses: [500] }],
      ['a 503', { errorRate: 1, errorStatuses: [503] }],
      ['a 429', { errorRate: 1, errorStatuses: [429] }],
      ['a dropped connection', { dropRate: 1 }],
      ['no answer at all', { hangRate: 1 }],
    ])(
      '502 junction_unavailable on %s; a retry with the same key resumes the same order',
      async (_name, faults) => {
        const body = orderBody();
        const key = randomUUID();
        s.sim.setFaults({ ...faults, operations: ['create_order'] });
        const failed = await createOrder(s, body, key);
        expect(failed.status).toBe(502);
        clinical.error(502, failed.body);
        expect(failed.body.error).toBe('junction_unavailable');
        const [pending] = await localOrders(body.patient_id);
        expect(pending?.status).toBe('submitting');

        s.sim.setFaults({});
        const retried = await createOrder(s, body, key);
        expect(retried.status).toBe(201);
        expect(retried.body.id).toBe(pending!.id);
        expect(await localOrders(body.patient_id)).toHaveLength(1);
        expect(simOrdersFor(pending!.id)).toHaveLength(1);
      },
    );

    it('"created, then the answer was lost": the client retries with the same key and gets the one order', async () => {
      const body = orderBody();
      s.sim.setFaults({ createThenFailRate: 1, createThenFailMode: 'drop' });
      const res = await createOrder(s, body);
      expect(res.status).toBe(201);
      expect(simOrdersFor(res.body.id)).toHaveLength(1);
      expect(res.body.junction_order_id).toBe(simOrdersFor(res.body.id)[0]!.id);
    });

    it('"created, then the answer was lost" past the time budget: 502, and the API retry gets the one order', async () => {
      const body = orderBody();
      const key = randomUUID();
      // Slow enough that the client's own retry cannot finish within JUNCTION_TIMEOUT_MS (1.5 s).
      s.sim.setFaults({
        createThenFailRate: 1,
        createThenFailMode: 'error',
        latencyMs: 800,
        operations: ['create_order'],
      });
      const failed = await createOrder(s, body, key);
      expect(failed.status).toBe(502);
      expect(failed.body.error).toBe('junction_unavailable');
      const [pending] = await localOrders(body.patient_id);
      expect(simOrdersFor(pending!.id)).toHaveLength(1);

      s.sim.setFaults({});
      const retried = await createOrder(s, body, key);
      expect(retried.status).toBe(201);
      expect(retried.body.id).toBe(pending!.id);
      expect(retried.body.junction_order_id).toBe(simOrdersFor(pending!.id)[0]!.id);
      expect(simOrdersFor(pending!.id)).toHaveLength(1);
    });

    it('502 junction_rejected with Junction’s reason; stored and replayed, never retried at Junction', async () => {
      const admin = await s.t.token({ sub: 'ops', scope: 'lab-orders:admin' });
      const brand = `brand-${randomUUID()}`;
      const token = await s.t.token({ sub: 'svc-x', scope: 'lab-orders:write lab-orders:read' });
      const map = await s.t.request('PUT', `/v1/brands/${brand}/panels/pcos`, {
        token: admin,
        body: { lab_test_id: 'no-such-lab-test' },
      });
      expect(map.status).toBe(200);
      const body = orderBody({ brand_id: brand, panel_id: 'pcos' });
      const key = randomUUID();
      const res = await createOrder(s, body, key, token);
      expect(res.status).toBe(502);
      clinical.error(502, res.body);
      expect(res.body.error).toBe('junction_rejected');
      expect(res.body.message).toMatch(/lab test/i);
      const again = await createOrder(s, body, key, token);
      expect(again.status).toBe(502);
      expect(again.text).toBe(res.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const [order] = await localOrders(body.patient_id);
      expect(order?.status).toBe('rejected');
    });
  });

  it('writes audit rows for the patient and the order in the same request', async () => {
    const res = await createOrder(s, orderBody(), randomUUID());
    const audits = await rows<{ action: string; resource_type: string; actor: string }>(
      s.t.database.db,
      sql`select action, resource_type, actor from audit_events where request_id = ${res.headers.get('x-request-id')} order by id`,
    );
    expect(audits).toEqual([
      { action: 'create', resource_type: 'patient', actor: 'svc-acme' },
      { action: 'create', resource_type: 'lab_order', actor: 'svc-acme' },
    ]);
  });
});

describe('POST /v1/lab-orders when Junction’s webhook outruns its answer', () => {
  let s: LabStack;
  // The answer is held for seconds: the call's budget must outlast it.
  beforeAll(async () => {
    s = await startLabStack({ env: { JUNCTION_TIMEOUT_MS: '15000' } });
  });
  afterAll(() => s.close());

  it('201 with the order as the webhook left it, one lab_order.created event, replayed the same', async () => {
    const body = orderBody();
    s.sim.setFaults({ createAnswerDelayMs: 4000, operations: ['create_order'] });
    const key = randomUUID();
    const pending = createOrder(s, body, key);
    const atJunction = () => {
      const user = simUserOf(s.sim, body.patient_id);
      return user && s.sim.orders().find((o) => o.user_id === user.user_id);
    };
    let junctionOrder = atJunction();
    for (let i = 0; i < 300 && !junctionOrder; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      junctionOrder = atJunction();
    }
    expect(junctionOrder).toBeDefined();
    // Moves it on at Junction; its webhook reaches labline while the create's answer is held.
    s.sim.advance(junctionOrder!.id);
    await s.sim.webhooksSettled();
    const local = await rows<{ status: string }>(
      s.t.database.db,
      sql`select status from lab_orders where patient_id = ${body.patient_id}`,
    );
    expect(local).toEqual([{ status: 'collecting_sample' }]);

    const res = await pending;
    expect(res.status).toBe(201);
    clinical.created(res.body);
    expect(res.body.junction_order_id).toBe(junctionOrder!.id);
    expect(res.body.status).toBe('collecting_sample');
    expect(s.sim.orders().filter((o) => o.passthrough === res.body.id)).toHaveLength(1);
    const events = await rows<{ type: string }>(
      s.t.database.db,
      sql`select type from events where data->'object'->>'id' = ${res.body.id} order by created_at, id`,
    );
    // Junction's created and updated webhooks may take it from submitting straight to
    // collecting_sample (one event) or through received (two); never two `created`.
    expect(events[0]?.type).toBe('lab_order.created');
    expect(events.slice(1).every((e) => e.type === 'lab_order.status_changed')).toBe(true);
    const again = await createOrder(s, body, key);
    expect(again.text).toBe(res.text);
  });
});
