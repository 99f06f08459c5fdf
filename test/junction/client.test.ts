/**
 * labline's Junction client against the simulator, over HTTP, through the official SDK (the
 * create's body and answer as Junction's JSON through its passthrough fetch): users,
 * orders, idempotent replay, lifecycle, cancel, results, lab tests, rejections and metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_LAB_TESTS, SIMULATOR_PANELS, type Simulator } from '../../src/junction/simulator/index.js';
import { mapWireOrder, UnexpectedJunctionAnswer } from '../../src/junction/mapping.js';
import { JunctionRejected, JunctionUnknownUser, type JunctionApi } from '../../src/junction/types.js';
import { PHI_MARKERS } from '../helpers/phi.js';
import { clientFor, newMetrics, orderFor, patientId, startTestSimulator } from './helpers.js';

let sim: Simulator;
let client: ReturnType<typeof clientFor>;
const metrics = newMetrics();

beforeAll(async () => {
  sim = await startTestSimulator();
  client = clientFor(sim, { metrics });
});
afterAll(async () => {
  await sim.close();
});

async function rejection(promise: Promise<unknown>): Promise<JunctionRejected> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JunctionRejected);
  return err as JunctionRejected;
}

function expectNoPhi(text: string): void {
  for (const marker of PHI_MARKERS) expect(text).not.toContain(marker);
}

async function newOrder(api: JunctionApi = client) {
  const userId = await api.ensureUser(patientId());
  const order = await api.createOrder(orderFor(userId), `key-${patientId()}`);
  return { userId, order };
}

describe('ensureUser', () => {
  it('creates a Junction user for a new client user id', async () => {
    const id = patientId();
    const userId = await client.ensureUser(id);
    expect(userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.users().filter((u) => u.client_user_id === id)).toEqual([
      expect.objectContaining({ user_id: userId }),
    ]);
  });

  it('returns the existing user id when the client user id already exists', async () => {
    const id = patientId();
    const first = await client.ensureUser(id);
    const second = await client.ensureUser(id);
    expect(second).toBe(first);
    expect(sim.users().filter((u) => u.client_user_id === id)).toHaveLength(1);
  });

  it('resolves the user by client user id when "already exists" does not carry the id', async () => {
    // A proxy in front of the simulator drops detail.user_id from the 400.
    const seen: string[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        fetch(`${sim.url}${req.url}`, {
          method: req.method,
          headers: {
            'x-vital-api-key': String(req.headers['x-vital-api-key']),
            'content-type': 'application/json',
          },
          body: req.method === 'GET' ? undefined : Buffer.concat(chunks),
        })
          .then(async (upstream) => {
            let text = await upstream.text();
            if (upstream.status === 400) {
              const body = JSON.parse(text);
              delete body.detail.user_id;
              text = JSON.stringify(body);
            }
            res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const viaProxy = clientFor({
        ...sim,
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      });
      const id = patientId();
      const created = await client.ensureUser(id);
      expect(await viaProxy.ensureUser(id)).toBe(created);
      expect(seen).toEqual(['POST /v2/user', `GET /v2/user/resolve/${id}`]);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('createOrder', () => {
  it('creates an order in received.walk_in_test.ordered', async () => {
    const userId = await client.ensureUser(patientId());
    const order = await client.createOrder(orderFor(userId, SIMULATOR_PANELS.pcos), `key-${patientId()}`);
    expect(order).toMatchObject({
      userId,
      status: 'received',
      statusDetail: 'received.walk_in_test.ordered',
      sampleId: null,
      events: [{ status: 'received.walk_in_test.ordered' }],
    });
    const stored = sim.order(order.id);
    expect(stored?.lab_test.id).toBe(SIMULATOR_PANELS.pcos);
    expect(stored?.patient_address?.second_line).toBe(orderFor(userId).address.secondLine);
  });

  it('answers the create with the order as getOrder (through the SDK’s schema) reads it, at every stage', async () => {
    const { order } = await newOrder();
    expect(order).toEqual(await client.getOrder(order.id));
    for (let i = 0; i < 3; i++) sim.advance(order.id);
    // The create's answer is read from Junction's JSON by mapWireOrder: the same order, read
    // both ways, must come out the same once it has events, a sample id and a later status.
    const wire = sim.order(order.id);
    expect(mapWireOrder(wire)).toEqual(await client.getOrder(order.id));
  });

  it('an order answer it cannot read is unexpected, naming the field, never a crash', () => {
    const wire = JSON.parse(JSON.stringify(sim.orders()[0])) as Record<string, unknown>;
    expect(() => mapWireOrder(undefined)).toThrow(UnexpectedJunctionAnswer);
    expect(() => mapWireOrder({ ...wire, id: 7 })).toThrow(/order.id/);
    expect(() => mapWireOrder({ ...wire, events: 'x' })).toThrow(/order.events/);
    expect(() => mapWireOrder({ ...wire, updated_at: 'yesterday' })).toThrow(/order.updated_at/);
    expect(() => mapWireOrder({ ...wire, last_event: null })).toThrow(/event/);
  });

  it("carries labline's passthrough reference on the order", async () => {
    const userId = await client.ensureUser(patientId());
    const order = await client.createOrder(
      { ...orderFor(userId), passthrough: 'local-order-1' },
      `key-${patientId()}`,
    );
    expect(order.passthrough).toBe('local-order-1');
    expect((await client.getOrder(order.id)).passthrough).toBe('local-order-1');
  });

  it('replays the same order for the same idempotency key, storing one order', async () => {
    const userId = await client.ensureUser(patientId());
    const key = `key-${patientId()}`;
    const first = await client.createOrder(orderFor(userId), key);
    const again = await client.createOrder(orderFor(userId), key);
    expect(again.id).toBe(first.id);
    expect(sim.orders().filter((o) => o.user_id === userId)).toHaveLength(1);

    const other = await client.createOrder(orderFor(userId), `${key}-other`);
    expect(other.id).not.toBe(first.id);
    expect(sim.orders().filter((o) => o.user_id === userId)).toHaveLength(2);
  });

  it('rejects an unknown lab test and an unknown user with Junction reasons', async () => {
    const userId = await client.ensureUser(patientId());
    const unknownTest = await rejection(
      client.createOrder(orderFor(userId, 'no-such-test'), `key-${patientId()}`),
    );
    expect(unknownTest.statusCode).toBe(422);
    expect(unknownTest.reason).toContain('lab test no-such-test not found');

    const unknownUser = await rejection(
      client.createOrder(orderFor('00000000-0000-4000-8000-000000000000'), `key-${patientId()}`),
    );
    expect(unknownUser.statusCode).toBe(422);
    expect(unknownUser).toBeInstanceOf(JunctionUnknownUser);
    expect(unknownUser.reason).toContain('not known to Junction');
  });

  it("rejects invalid patient fields without echoing the patient's data", async () => {
    const userId = await client.ensureUser(patientId());
    const order = orderFor(userId);
    // The simulator, like pydantic, echoes the offending input next to each error.
    order.patient = {
      ...order.patient,
      email: `${order.patient.firstName}.${order.patient.lastName}`,
      firstName: '',
    };
    const err = await rejection(client.createOrder(order, `key-${patientId()}`));
    expect(err.statusCode).toBe(422);
    expect(err.reason).toContain('patient_details.email');
    expect(err.reason).toContain('patient_details.first_name');
    expectNoPhi(err.reason);
    expectNoPhi(err.message);
    expect(sim.orders().filter((o) => o.user_id === userId)).toHaveLength(0);
  });
});

describe('order lifecycle', () => {
  it('reads the order as it moves through its stages', async () => {
    const { order } = await newOrder();
    sim.advance(order.id);
    const collecting = await client.getOrder(order.id);
    expect(collecting.status).toBe('collecting_sample');
    // Walk-in orders pass through appointment_pending first (lab/walk-in/order-lifecycle.mdx).
    expect(collecting.statusDetail).toBe('collecting_sample.walk_in_test.appointment_pending');
    expect(collecting.sampleId).toMatch(/^SIM\d+$/);
    expect(collecting.events.map((e) => e.status)).toEqual([
      'received.walk_in_test.ordered',
      'received.walk_in_test.requisition_created',
      'collecting_sample.walk_in_test.appointment_pending',
    ]);
    sim.advance(order.id);
    expect((await client.getOrder(order.id)).status).toBe('sample_with_lab');
  });

  it('completes an order through the sandbox endpoint', async () => {
    const { order } = await newOrder();
    await client.simulateOrder(order.id);
    const done = await client.getOrder(order.id);
    expect(done.status).toBe('completed');
    expect(done.statusDetail).toBe('completed.walk_in_test.completed');
    expect(done.events.map((e) => e.status.split('.')[0])).toEqual([
      'received',
      'received',
      'collecting_sample',
      'collecting_sample',
      'sample_with_lab',
      'completed',
    ]);
  });

  it('fails an order with a sample error through the sandbox endpoint', async () => {
    const { order } = await newOrder();
    await client.simulateOrder(order.id, 'failed.walk_in_test.sample_error');
    expect((await client.getOrder(order.id)).status).toBe('failed');
    expect((await rejection(client.getResults(order.id))).statusCode).toBe(404);
  });

  it('refuses to move a finished order', async () => {
    const { order } = await newOrder();
    await client.simulateOrder(order.id);
    const err = await rejection(client.simulateOrder(order.id));
    expect(err.statusCode).toBe(400);
    expect(err.reason).toContain('already completed');
  });

  it('answers 404 for an unknown order', async () => {
    const err = await rejection(client.getOrder('00000000-0000-4000-8000-000000000000'));
    expect(err.statusCode).toBe(404);
    expect(err.reason).toBe('Order not found');
  });
});

describe('cancelOrder', () => {
  it('cancels an order that has not reached the lab', async () => {
    const { order } = await newOrder();
    sim.advance(order.id); // collecting_sample: still cancellable
    const cancelled = await client.cancelOrder(order.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.statusDetail).toBe('cancelled.walk_in_test.cancelled');
    expect((await client.getOrder(order.id)).status).toBe('cancelled');
  });

  it('rejects cancelling once the sample is with the lab, and leaves the order as it was', async () => {
    const { order } = await newOrder();
    sim.advance(order.id, 'sample_with_lab.walk_in_test.partial_results');
    const err = await rejection(client.cancelOrder(order.id));
    expect(err.statusCode).toBe(400);
    // Junction's `{error, message, status_code}` body (lab/workflow/cancelling-an-order.mdx)
    expect(err.reason).toBe('Transition from partial_results to cancelled is not allowed');
    expect((await client.getOrder(order.id)).status).toBe('sample_with_lab');
  });

  it('rejects cancelling twice', async () => {
    const { order } = await newOrder();
    await client.cancelOrder(order.id);
    expect((await rejection(client.cancelOrder(order.id))).statusCode).toBe(400);
  });
});

describe('results', () => {
  it('has no results before the lab reports', async () => {
    const { order } = await newOrder();
    expect((await rejection(client.getResults(order.id))).statusCode).toBe(404);
    expect((await rejection(client.getResultPdf(order.id))).statusCode).toBe(404);
  });

  it('returns structured results and a PDF once completed, without patient data', async () => {
    const { order } = await newOrder();
    sim.advance(order.id, 'completed.walk_in_test.completed');
    const completed = await client.getOrder(order.id);
    const results = await client.getResults(order.id);
    expect(results).toMatchObject({ orderId: order.id, status: 'final', sampleId: completed.sampleId });
    expect(results.reportedAt).not.toBeNull();
    expect(results.markers.map((m) => m.slug)).toEqual([
      'tsh',
      'free-t4',
      'tpo-antibodies',
      'thyroglobulin-antibodies',
    ]);
    for (const m of results.markers) {
      expect(Number.isFinite(Number(m.value))).toBe(true);
      expect(m.unit).not.toBeNull();
      expect(m.minRangeValue).toBeLessThan(m.maxRangeValue!);
    }
    // What a FHIR Observation needs of each marker (docs/fhir.md) crosses over: its LOINC code, the
    // lab's own code, type, printed range, flags and times, and the performing lab.
    const hashimotos = SIMULATOR_LAB_TESTS.find((t) => t.id === SIMULATOR_PANELS.hashimotos)!;
    expect(results.markers.map((m) => [m.loinc, m.providerId])).toEqual(
      hashimotos.markers.map((m) => [m.loinc, String(m.id)]),
    );
    expect(results.markers[0]).toMatchObject({
      type: 'numeric',
      referenceRange: '0.45-4.5',
      isAboveMaxRange: expect.any(Boolean),
      isBelowMinRange: expect.any(Boolean),
      resultedAt: results.reportedAt,
    });
    expect(results).toMatchObject({ laboratory: 'Quest Diagnostics', clia: expect.any(String) });
    expect(Date.parse(results.collectedAt!)).toBeLessThanOrEqual(Date.parse(results.reportedAt!));
    // Junction's result metadata names the patient; labline's result type must not carry it.
    expectNoPhi(JSON.stringify(results));

    const pdf = await client.getResultPdf(order.id);
    expect(Buffer.from(pdf.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(Buffer.from(pdf).toString('latin1')).toContain(order.id);
  });

  it('reports the same values on every read', async () => {
    const { order } = await newOrder();
    await client.simulateOrder(order.id);
    const first = await client.getResults(order.id);
    const second = await client.getResults(order.id);
    expect(second.markers).toEqual(first.markers);
  });
});

describe('lab tests and authentication', () => {
  it('lists the lab tests of the three panels', async () => {
    const tests = await client.listLabTests();
    expect(tests.map((t) => t.id).sort()).toEqual(Object.values(SIMULATOR_PANELS).sort());
    expect(tests.find((t) => t.id === SIMULATOR_PANELS.fertility)).toEqual({
      id: SIMULATOR_PANELS.fertility,
      name: 'Fertility Panel',
      slug: 'fertility-panel',
    });
  });

  it('is rejected (401) with a wrong API key', async () => {
    const err = await rejection(clientFor(sim, { apiKey: 'sk_wrong' }).listLabTests());
    expect(err.statusCode).toBe(401);
    expect(err.operation).toBe('list_lab_tests');
  });
});

describe('metrics', () => {
  it('records each call by operation and outcome', async () => {
    const own = newMetrics();
    const api = clientFor(sim, { metrics: own });
    await newOrder(api);
    await rejection(api.getOrder('00000000-0000-4000-8000-000000000000'));
    const text = await own.registry.getSingleMetricAsString('junction_call_duration_seconds');
    expect(text).toContain('junction_call_duration_seconds_count{operation="ensure_user",outcome="ok"} 1');
    expect(text).toContain('junction_call_duration_seconds_count{operation="create_order",outcome="ok"} 1');
    expect(text).toContain(
      'junction_call_duration_seconds_count{operation="get_order",outcome="rejected"} 1',
    );
  });
});
