/**
 * The simulator's faults for the chaos suite (docs/reliability.md): Junction's webhooks delayed,
 * duplicated and (each message on its own delay) out of order; the colliding create; and the
 * webhook summary a run waits on before it checks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/junction/simulator/index.js';
import { validateFaults } from '../../src/junction/simulator/faults.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { clientFor, orderFor, patientId, startTestSimulator } from './helpers.js';

let sim: Simulator;
let receiver: Receiver;
const logged: Record<string, unknown>[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startTestSimulator({
    webhookUrl: receiver.url,
    webhookRetry: { attempts: 2, baseDelayMs: 50 },
    log: (entry) => logged.push(entry),
  });
});
afterEach(() => sim.setFaults({}));
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

async function placeOrder(key = `key-${patientId()}`) {
  const client = clientFor(sim, { timeoutMs: 5000 });
  const userId = await client.ensureUser(patientId());
  return client.createOrder(orderFor(userId), key);
}

describe('webhook faults', () => {
  it('a duplicated message arrives twice with one svix-id and the same bytes', async () => {
    sim.setFaults({ webhookDuplicateRate: 1 });
    const order = await placeOrder();
    const copies = await receiver.waitFor((all) => all.filter((r) => r.body.includes(order.id)).length >= 2);
    const mine = copies.filter((r) => r.body.includes(order.id));
    expect(mine[0]!.headers['svix-id']).toBe(mine[1]!.headers['svix-id']);
    expect(mine[0]!.body).toBe(mine[1]!.body);
  });

  it('a delayed message waits (pending in the summary) and is not sent before its delay', async () => {
    sim.setFaults({ webhookDelayMs: 600_000 });
    const before = receiver.received.length;
    const order = await placeOrder();
    expect(sim.webhookSummary().pending).toBeGreaterThanOrEqual(1);
    expect(receiver.received.slice(before).some((r) => r.body.includes(order.id))).toBe(false);
    const res = await fetch(`${sim.url}/_simulator/webhooks`, {
      headers: { 'x-vital-api-key': 'sk_test_simulator' },
    });
    const summary = (await res.json()) as { pending: number; delivered: number; failed: unknown[] };
    expect(summary.pending).toBeGreaterThanOrEqual(1);
    expect(summary.failed).toEqual([]);
  });

  it('refuses fault values it cannot use', () => {
    expect(() => validateFaults({ webhookDuplicateRate: 2 })).toThrow(RangeError);
    expect(() => validateFaults({ webhookDelayMs: -1 })).toThrow(RangeError);
    expect(() => validateFaults({ collide: 'yes' as unknown as boolean })).toThrow(RangeError);
  });
});

describe('the colliding create', () => {
  it('a same-key create while the first answer is on its way answers 409; after it, the replay', async () => {
    sim.setFaults({ createAnswerDelayMs: 1500, collide: true });
    const key = `key-${patientId()}`;
    const count = sim.orders().length;
    const first = placeOrder(key);
    while (sim.orders().length === count) await new Promise((r) => setTimeout(r, 20));
    const post = () =>
      fetch(`${sim.url}/v3/order`, {
        method: 'POST',
        headers: {
          'x-vital-api-key': 'sk_test_simulator',
          'x-idempotency-key': key,
          'content-type': 'application/json',
        },
        body: '{}',
      });
    const collided = await post();
    expect(collided.status).toBe(409);
    expect(logged).toContainEqual(expect.objectContaining({ fault: 'collide', status: 409 }));
    const order = await first;
    const replay = await post();
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as { order: { id: string } }).order.id).toBe(order.id);
  });
});
