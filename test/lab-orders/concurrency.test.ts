import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { startSimulator, type Simulator } from '../../src/junction/simulator/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { clinical } from '../helpers/contract.js';
import { createOrder, orderBody, SIM_KEY, startLabStack, type LabStack } from '../helpers/lab-stack.js';
import { onPostgres } from '../helpers/skip.js';

const countOrders = async (s: LabStack, patientId: string) =>
  (
    await rows<{ n: number }>(
      s.t.database.db,
      sql`select count(*)::int as n from lab_orders where patient_id = ${patientId}`,
    )
  )[0]!.n;

function expectOneOrder(results: { status: number; text: string; body: any }[]) {
  const statuses = results.map((r) => r.status);
  expect(
    statuses.every((st) => st === 201 || st === 409),
    `statuses: ${statuses.join(',')}`,
  ).toBe(true);
  const created = results.filter((r) => r.status === 201);
  expect(created.length).toBeGreaterThanOrEqual(1);
  expect(new Set(created.map((r) => r.text)).size).toBe(1);
  for (const r of results.filter((x) => x.status === 409)) {
    clinical.error(409, r.body);
    expect(r.body.error).toBe('idempotency_key_in_progress');
  }
  return created[0]!.body;
}

describe('exactly once under concurrency', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  it('30 identical requests at once with one key: one local order, one Junction order', async () => {
    const body = orderBody();
    const key = randomUUID();
    s.sim.setFaults({ latencyMs: 100, operations: ['create_order'] });
    const results = await Promise.all(Array.from({ length: 30 }, () => createOrder(s, body, key)));
    s.sim.setFaults({});
    const order = expectOneOrder(results);
    expect(await countOrders(s, body.patient_id)).toBe(1);
    expect(s.sim.orders().filter((o) => o.passthrough === order.id)).toHaveLength(1);
    const inProgress = results.find((r) => r.status === 409);
    if (inProgress) expect(inProgress.headers.get('retry-after')).toBe('1');
    // Once finished, every retry replays.
    const replay = await createOrder(s, body, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a key whose request died mid-flight is taken over after its lease, resuming the same order', async () => {
    const body = orderBody();
    const key = randomUUID();
    s.sim.setFaults({ hangRate: 1, operations: ['create_order'] });
    const first = await createOrder(s, body, key);
    expect(first.status).toBe(502);
    s.sim.setFaults({});
    // Simulate a process that died holding the key: the lease is still running.
    await s.t.database.db.execute(
      sql`update idempotency_keys set locked_until = now() + interval '1 hour' where key = ${key}`,
    );
    const blocked = await createOrder(s, body, key);
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toBe('idempotency_key_in_progress');
    await s.t.database.db.execute(
      sql`update idempotency_keys set locked_until = now() - interval '1 second' where key = ${key}`,
    );
    const resumed = await createOrder(s, body, key);
    expect(resumed.status).toBe(201);
    expect(await countOrders(s, body.patient_id)).toBe(1);
  });
});

onPostgres.describe('two app instances on one PostgreSQL database', () => {
  let db: TestDatabase;
  let sim: Simulator;
  let a: LabStack;
  let b: LabStack;
  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ apiKey: SIM_KEY });
    a = await startLabStack({ sim, databaseUrl: db.url });
    b = await startLabStack({ sim, databaseUrl: db.url });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await sim.close();
    await db.drop();
  });

  it('concurrent same-key requests spread over both create exactly one order', async () => {
    const body = orderBody();
    const key = randomUUID();
    sim.setFaults({ latencyMs: 100, operations: ['create_order'] });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createOrder(i % 2 ? a : b, body, key, a.token)),
    );
    sim.setFaults({});
    const order = expectOneOrder(results);
    expect(await countOrders(a, body.patient_id)).toBe(1);
    expect(sim.orders().filter((o) => o.passthrough === order.id)).toHaveLength(1);
  });
});
