/**
 * Junction's answers as they are (docs/junction.md, "Junction's answers"): its reasons reach the
 * caller whatever shape its error body has; a create that collides with one still running, a 429
 * and a 5xx never make a rejected order; the sandbox's 50-user cap is said in words. Over HTTP:
 * buildApp in front, the simulator behind.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJunctionClient } from '../../src/junction/client.js';
import { JunctionUnavailable } from '../../src/junction/types.js';
import {
  createOrder,
  orderBody,
  SIM_KEY,
  simUserOf,
  startLabStack,
  type LabStack,
} from '../helpers/lab-stack.js';
import { clientFor, orderFor, patientId } from '../junction/helpers.js';

describe("Junction's answers", () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterEach(() => {
    s.sim.setFaults({});
    s.sim.setMaxUsers(null);
  });
  afterAll(() => s.close());

  const get = (id: string) => s.t.request('GET', `/v1/lab-orders/${id}`, { token: s.token });
  /** The local order of a create that did not answer 201 (the newest of its patient). */
  const orderOfPatient = async (patient: string) => {
    const list = await s.t.request('GET', `/v1/lab-orders?patient_id=${patient}`, { token: s.token });
    expect(list.body.data).toHaveLength(1);
    return list.body.data[0] as { id: string; status: string };
  };

  it.each([
    [
      'a `detail` string',
      { detail: 'Lab test is not available for this team' },
      'Lab test is not available for this team',
    ],
    [
      'a `detail` list',
      {
        detail: [
          { loc: ['body', 'order_set'], msg: 'Lab test not orderable', type: 'value_error', input: 'x' },
        ],
      },
      'order_set: Lab test not orderable',
    ],
    [
      'a `detail` object',
      { detail: { error_type: 'INVALID_REQUEST', error_message: 'Physician is required for this team' } },
      'Physician is required for this team',
    ],
    [
      '`{error, message, status_code}`',
      { error: 'Bad Request', message: 'Team is not allowed to order this test', status_code: 400 },
      'Team is not allowed to order this test',
    ],
    ['`{error}` alone', { error: 'Forbidden for this team' }, 'Forbidden for this team'],
  ])("a refusal with %s gives Junction's reason to the caller", async (_shape, errorBody, reason) => {
    s.sim.setFaults({ errorRate: 1, errorStatuses: [400], errorBody, operations: ['create_order'] });
    const body = orderBody();
    const res = await createOrder(s, body);
    expect(res.status).toBe(502);
    expect(res.body).toEqual({
      error: 'junction_rejected',
      message: `Junction rejected the request: ${reason}`,
    });
    expect((await orderOfPatient(body.patient_id)).status).toBe('rejected');
  });

  it.each([
    ['collides with a create still running (409)', 409],
    ['is rate limited (429)', 429],
    ['gets a 500', 500],
    ['gets a 503', 503],
  ])(
    'a create that %s is transient: 502 junction_unavailable, the order resumable, never rejected',
    async (_what, status) => {
      s.sim.setFaults({ errorRate: 1, errorStatuses: [status], operations: ['create_order'] });
      const body = orderBody();
      const key = randomUUID();
      const res = await createOrder(s, body, key);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('junction_unavailable');
      const order = await orderOfPatient(body.patient_id);
      expect(order.status).toBe('submitting');

      s.sim.setFaults({});
      const retried = await createOrder(s, body, key);
      expect(retried.status, retried.text).toBe(201);
      expect(retried.body.id).toBe(order.id);
      expect(s.sim.orders().filter((o) => o.passthrough === order.id)).toHaveLength(1);
    },
  );

  it('a create that collides with one still running at Junction is retried, and one order is made', async () => {
    // The first create is stored at once and its answer held back; the second, under the same
    // X-Idempotency-Key, arrives meanwhile: the simulator answers 409, as Junction refuses a
    // request that conflicts with one executing (lab/overview/idempotency.mdx).
    const client = clientFor(s.sim, { timeoutMs: 5000 });
    const userId = await client.ensureUser(patientId());
    const key = `key-${patientId()}`;
    s.sim.setFaults({ createAnswerDelayMs: 1500, collide: true, operations: ['create_order'] });
    const first = client.createOrder(orderFor(userId), key);
    while (!s.sim.orders().some((o) => o.user_id === userId)) await new Promise((r) => setTimeout(r, 10));
    const once = createJunctionClient({
      apiKey: SIM_KEY,
      baseUrl: s.sim.url,
      environment: 'sandbox',
      region: 'us',
      timeoutMs: 1000,
      maxAttempts: 1,
    });
    const collided = await once.createOrder(orderFor(userId), key).then(
      () => null,
      (e: unknown) => e,
    );
    expect(collided).toBeInstanceOf(JunctionUnavailable);
    expect((collided as JunctionUnavailable).reason).toContain('still running (409)');
    const placed = await first;
    s.sim.setFaults({});
    // Once the first has answered, the same key replays its order.
    expect((await once.createOrder(orderFor(userId), key)).id).toBe(placed.id);
    expect(s.sim.orders().filter((o) => o.user_id === userId)).toHaveLength(1);
  });

  it("the sandbox's 50-user cap is answered in words, and the order goes through once users are freed", async () => {
    s.sim.setMaxUsers(s.sim.users().length);
    const body = orderBody();
    const key = randomUUID();
    const res = await createOrder(s, body, key);
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('junction_user_limit');
    expect(res.body.message).toContain('user limit');
    expect(res.body.message).toContain('50 users');
    expect(res.body.message).toContain('Sandbox teams may have up to');
    expect(simUserOf(s.sim, body.patient_id)).toBeUndefined();
    const order = await orderOfPatient(body.patient_id);
    expect(order.status).toBe('submitting');

    s.sim.setMaxUsers(null);
    const retried = await createOrder(s, body, key);
    expect(retried.status, retried.text).toBe(201);
    expect(retried.body.id).toBe(order.id);
    expect((await get(order.id)).body.status).toBe('received');
  });
});
