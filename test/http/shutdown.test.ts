import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

describe('graceful shutdown', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  it('finishes a request in flight, closes its connection, then stops listening', async () => {
    s.sim.setFaults({ latencyMs: 600, operations: ['create_order'] });
    const inFlight = createOrder(s, orderBody());
    await sleep(200);
    const closed = s.t.app.close();
    const res = await inFlight;
    expect(res.status).toBe(201);
    expect(res.headers.get('connection')).toBe('close');
    await closed;
    await expect(fetch(`${s.t.baseUrl}/healthz`)).rejects.toThrow();
  });
});
