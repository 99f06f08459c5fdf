import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

describe('graceful shutdown', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());
  const orderCount = async (patientId: string) =>
    (
      await rows<{ n: number }>(
        s.t.database.db,
        sql`select count(*)::int as n from lab_orders where patient_id = ${patientId}::uuid`,
      )
    )[0]!.n;

  it('finishes a request in flight, closes its connection, then stops listening', async () => {
    s.sim.setFaults({ latencyMs: 600, operations: ['create_order'] });
    const body = orderBody();
    const inFlight = createOrder(s, body);
    // Close once the request is surely in flight: its order is written and Junction is answering.
    while ((await orderCount(body.patient_id)) === 0) await sleep(20);
    const closed = s.t.app.close();
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.headers.get('connection')).toBe('close');
    await closed;
    await expect(fetch(`${s.t.baseUrl}/healthz`)).rejects.toThrow();
  });
});
