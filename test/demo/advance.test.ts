/**
 * Demo mode's advance route (docs/demo.md), in process: it moves an order on at the simulated
 * Junction and answers the order once the webhooks have been applied; a move the lifecycle does
 * not allow is the same 422 `invalid_transition` a lab visit's refused move is.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoTokens, type DemoTokens } from '../../src/demo/banner.js';
import { DEMO_LAB_ORDER } from '../../src/demo/examples.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';

describe('POST /v1/demo/lab-orders/:id/advance', () => {
  let t: TestApp;
  let tokens: DemoTokens;
  beforeAll(async () => {
    t = await startTestApp({ demo: true });
    tokens = await demoTokens(TEST_JWT_SECRET, t.config.auth.maxTokenLifetimeHours);
  });
  afterAll(async () => t?.close());

  it('completes an order; a second move from a final status is 422 invalid_transition, the order unchanged', async () => {
    const created = await t.request('POST', '/v1/lab-orders', {
      token: tokens.clinical,
      headers: { 'idempotency-key': randomUUID() },
      body: DEMO_LAB_ORDER,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;

    const advanced = await t.request('POST', `/v1/demo/lab-orders/${id}/advance`, { token: tokens.clinical });
    expect(advanced.status, advanced.text).toBe(200);
    expect(advanced.body.status).toBe('completed');

    const again = await t.request(
      'POST',
      `/v1/demo/lab-orders/${id}/advance?final_status=cancelled.walk_in_test.cancelled`,
      {
        token: tokens.clinical,
      },
    );
    expect(again.status, again.text).toBe(422);
    expect(again.body).toMatchObject({ error: 'invalid_transition', message: expect.any(String) });
    const read = await t.request('GET', `/v1/lab-orders/${id}`, { token: tokens.clinical });
    expect(read.body.status).toBe('completed');
  });
});
