/**
 * Each simulator fault, seen through labline's client: the right typed error within a small
 * time budget, retries only where repeating is safe, and "order created, answer lost" resolved
 * by the idempotency key.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJunctionClient } from '../../src/junction/client.js';
import type { Simulator } from '../../src/junction/simulator/index.js';
import { JunctionRejected, JunctionUnavailable, type JunctionOrder } from '../../src/junction/types.js';
import { clientFor, newMetrics, orderFor, patientId, startTestSimulator } from './helpers.js';

const TIMEOUT_MS = 400;
let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterEach(() => sim.setFaults({}));
afterAll(async () => {
  await sim.close();
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );
}

/** The ids of the orders the simulator holds for a Junction user. */
function junctionOrderIds(userId: string): string[] {
  return sim
    .orders()
    .filter((o) => o.user_id === userId)
    .map((o) => o.id);
}

async function placedOrder(): Promise<{ userId: string; order: JunctionOrder }> {
  const client = clientFor(sim);
  const userId = await client.ensureUser(patientId());
  return { userId, order: await client.createOrder(orderFor(userId), `key-${patientId()}`) };
}

describe('faults become typed errors', () => {
  it.each([500, 503, 429])('a %i on every attempt is JunctionUnavailable', async (status) => {
    const { order } = await placedOrder();
    sim.setFaults({ errorRate: 1, errorStatuses: [status] });
    const err = await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS }).getOrder(order.id));
    expect(err).toBeInstanceOf(JunctionUnavailable);
    expect((err as JunctionUnavailable).operation).toBe('get_order');
  });

  it('no answer at all (hang) is JunctionUnavailable once the budget is spent', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ hangRate: 1 });
    const err = await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS }).getOrder(order.id));
    expect(err).toBeInstanceOf(JunctionUnavailable);
    expect((err as JunctionUnavailable).reason).toBe('no answer within the time budget');
  });

  it('added latency beyond the budget is JunctionUnavailable', async () => {
    sim.setFaults({ latencyMs: 2000 });
    const err = await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS }).listLabTests());
    expect(err).toBeInstanceOf(JunctionUnavailable);
  });

  it('a dropped connection is JunctionUnavailable', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ dropRate: 1 });
    const err = await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS }).getOrder(order.id));
    expect(err).toBeInstanceOf(JunctionUnavailable);
    expect((err as JunctionUnavailable).reason).toMatch(/^network error/);
  });

  it('a 4xx is JunctionRejected, with no retry', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ errorRate: 1, errorStatuses: [409], times: 1 });
    const err = await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS }).getOrder(order.id));
    expect(err).toBeInstanceOf(JunctionRejected);
    expect((err as JunctionRejected).statusCode).toBe(409);
  });

  it('records the unavailable outcome', async () => {
    const metrics = newMetrics();
    sim.setFaults({ errorRate: 1, errorStatuses: [503] });
    await failure(clientFor(sim, { timeoutMs: TIMEOUT_MS, metrics }).listLabTests());
    const text = await metrics.registry.getSingleMetricAsString('junction_call_duration_seconds');
    expect(text).toContain(
      'junction_call_duration_seconds_count{operation="list_lab_tests",outcome="unavailable"} 1',
    );
  });
});

describe('retries', () => {
  it('retries a GET after a passing 503', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ errorRate: 1, errorStatuses: [503], times: 1 });
    expect((await clientFor(sim).getOrder(order.id)).id).toBe(order.id);
    expect(sim.faults().times).toBe(0);
  });

  it('retries ensureUser after a dropped connection', async () => {
    sim.setFaults({ dropRate: 1, times: 1, operations: ['create_user'] });
    const id = patientId();
    const userId = await clientFor(sim).ensureUser(id);
    expect(sim.users().filter((u) => u.client_user_id === id)).toEqual([
      expect.objectContaining({ user_id: userId }),
    ]);
  });

  it('waits the Retry-After of a 429 before sending the order again, and places it once', async () => {
    const client = clientFor(sim, { timeoutMs: 5000 });
    const userId = await client.ensureUser(patientId());
    // The simulator's 429 says `Retry-After: 1`; the client's own backoff would be 50-150 ms.
    sim.setFaults({ errorRate: 1, errorStatuses: [429], times: 1, operations: ['create_order'] });
    const started = performance.now();
    const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
    expect(junctionOrderIds(userId)).toEqual([order.id]);
  });

  it('retries order creation (it carries an idempotency key) after a passing 500', async () => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    sim.setFaults({ errorRate: 1, errorStatuses: [500], times: 1, operations: ['create_order'] });
    const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
    expect(junctionOrderIds(userId)).toEqual([order.id]);
  });

  it('never repeats a cancel: a 503 is reported and the order stays as it was', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ errorRate: 1, errorStatuses: [503], times: 1, operations: ['cancel_order'] });
    const err = await failure(clientFor(sim).cancelOrder(order.id));
    expect(err).toBeInstanceOf(JunctionUnavailable);
    expect(sim.order(order.id)?.status).toBe('received');
  });
});

describe('order created, answer lost', () => {
  it.each(['error', 'drop'] as const)(
    'a retry with the same key returns the one order (%s)',
    async (mode) => {
      const userId = await clientFor(sim).ensureUser(patientId());
      const key = `key-${patientId()}`;
      sim.setFaults({ createThenFailRate: 1, createThenFailMode: mode });
      // A client that gives up after one attempt, like a process that died mid-request.
      const once = createJunctionClient({
        apiKey: 'sk_test_simulator',
        baseUrl: sim.url,
        environment: 'sandbox',
        region: 'us',
        timeoutMs: TIMEOUT_MS,
        maxAttempts: 1,
      });
      const err = await failure(once.createOrder(orderFor(userId), key));
      expect(err).toBeInstanceOf(JunctionUnavailable);
      const stored = junctionOrderIds(userId);
      expect(stored).toHaveLength(1);

      const retried = await once.createOrder(orderFor(userId), key);
      expect(retried.id).toBe(stored[0]);
      expect(junctionOrderIds(userId)).toHaveLength(1);
    },
  );

  it("the client's own retry recovers the order transparently", async () => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    sim.setFaults({ createThenFailRate: 1, createThenFailMode: 'drop' });
    const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
    expect(junctionOrderIds(userId)).toEqual([order.id]);
  });
});

describe('fault settings', () => {
  it('refuses out-of-range settings', () => {
    expect(() => sim.setFaults({ errorRate: 1.5 })).toThrow(RangeError);
    expect(() => sim.setFaults({ latencyMs: -1 })).toThrow(RangeError);
    expect(() => sim.setFaults({ errorStatuses: [200] })).toThrow(RangeError);
  });

  it('limits faults to the chosen operations', async () => {
    const { order } = await placedOrder();
    sim.setFaults({ errorRate: 1, errorStatuses: [503], operations: ['list_lab_tests'] });
    const client = clientFor(sim, { timeoutMs: TIMEOUT_MS });
    expect((await client.getOrder(order.id)).id).toBe(order.id);
    expect(await failure(client.listLabTests())).toBeInstanceOf(JunctionUnavailable);
  });
});
