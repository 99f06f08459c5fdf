/**
 * The simulator follows Junction's published rules (docs/junction.md, "The Junction simulator"),
 * seen through labline's own client over HTTP: names and ZIPs Junction refuses are 422 in
 * FastAPI's shape, the sandbox's user cap, its result types.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/junction/simulator/index.js';
import { JunctionRejected, JunctionUserLimit } from '../../src/junction/types.js';
import { clientFor, orderFor, patientId, startTestSimulator } from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startTestSimulator();
});
afterEach(() => sim.setMaxUsers(null));
afterAll(() => sim.close());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error('expected the call to fail'),
    (e: unknown) => e,
  );

describe('order requirements', () => {
  it.each([
    ['a name with an accent', { firstName: 'José' }, 'patient_details.first_name'],
    ['a curly apostrophe', { lastName: 'O’Brien' }, 'patient_details.last_name'],
    ['a trailing space', { firstName: 'Ada ' }, 'patient_details.first_name'],
    ['a name over 50 characters', { lastName: 'a'.repeat(51) }, 'patient_details.last_name'],
  ])('%s is refused with 422, naming the field', async (_what, patient, field) => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    const order = orderFor(userId);
    const err = await failure(
      client.createOrder({ ...order, patient: { ...order.patient, ...patient } }, ''),
    );
    expect(err).toBeInstanceOf(JunctionRejected);
    expect((err as JunctionRejected).statusCode).toBe(422);
    expect((err as JunctionRejected).reason).toMatch(new RegExp(`^${field}: String should`));
    expect(sim.orders().filter((o) => o.user_id === userId)).toHaveLength(0);
  });

  it('a ZIP that is not a US one is refused with 422', async () => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    const order = orderFor(userId);
    const err = await failure(
      client.createOrder({ ...order, address: { ...order.address, zip: 'SW1A 1AA' } }, ''),
    );
    expect((err as JunctionRejected).statusCode).toBe(422);
    expect((err as JunctionRejected).reason).toContain('patient_address.zip: String should match pattern');
  });

  it("O'Brien-Smith, Jr. and single inner spaces go through", async () => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    const order = orderFor(userId);
    const placed = await client.createOrder(
      { ...order, patient: { ...order.patient, firstName: 'Mary Ann', lastName: "O'Brien-Smith, Jr." } },
      `key-${patientId()}`,
    );
    expect(placed.status).toBe('received');
  });
});

describe("the sandbox's user cap", () => {
  it('refuses a user beyond the cap, in words; existing users are still found', async () => {
    const client = clientFor(sim);
    const existing = patientId();
    const userId = await client.ensureUser(existing);
    sim.setMaxUsers(sim.users().length);
    const err = await failure(client.ensureUser(patientId()));
    expect(err).toBeInstanceOf(JunctionUserLimit);
    expect((err as JunctionUserLimit).reason).toBe(
      `Sandbox teams may have up to ${sim.users().length} users; this team has reached its user limit.`,
    );
    expect(await client.ensureUser(existing)).toBe(userId);
  });
});

describe('result types', () => {
  it('cycles through the types the sandbox flag asks for: numeric, comment, range', async () => {
    const client = clientFor(sim);
    const userId = await client.ensureUser(patientId());
    const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
    const res = await fetch(`${sim.url}/v3/order/${order.id}/test`, {
      method: 'POST',
      headers: { 'x-vital-api-key': 'sk_test_simulator', 'content-type': 'application/json' },
      body: JSON.stringify({ result_types: ['numeric', 'comment', 'range'] }),
    });
    expect(res.status).toBe(200);
    const results = await client.getResults(order.id);
    expect(results.markers.length).toBeGreaterThanOrEqual(3);
    const [numeric, comment, range] = results.markers;
    expect(numeric).toMatchObject({ type: 'numeric' });
    expect(Number.isFinite(Number(numeric!.value))).toBe(true);
    expect(comment).toMatchObject({ type: 'comment', unit: null, minRangeValue: null });
    expect(range).toMatchObject({ type: 'range', value: `<${range!.maxRangeValue}` });

    const refused = await fetch(`${sim.url}/v3/order/${order.id}/test`, {
      method: 'POST',
      headers: { 'x-vital-api-key': 'sk_test_simulator', 'content-type': 'application/json' },
      body: JSON.stringify({ result_types: ['graph'] }),
    });
    expect(refused.status).toBe(422);
  });
});
