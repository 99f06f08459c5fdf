/** A test app with its simulator, a brand token, and a complete order body. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Simulator } from '../../src/junction/simulator/index.js';
import { junctionClientUserId } from '../../src/lab-orders/junction-users.js';
import { startTestApp, type TestApp, type TestAppOptions } from './app.js';
import { PHI } from './phi.js';

export { SIM_KEY } from './app.js';
export const BRAND = 'brand-acme';
export const WRITE_SCOPES = 'lab-orders:write lab-orders:read';

export interface LabStack {
  t: TestApp;
  sim: Simulator;
  token: string;
  close(): Promise<void>;
}

export async function startLabStack(options: TestAppOptions = {}): Promise<LabStack> {
  const t = await startTestApp(options);
  const token = await t.token({ sub: 'svc-acme', scope: WRITE_SCOPES, brandIds: [BRAND] });
  return { t, sim: t.sim, token, close: () => t.close() };
}
/** A complete order body for a new patient. */
export function orderBody(overrides: Record<string, unknown> = {}) {
  return {
    brand_id: BRAND,
    patient_id: randomUUID(),
    panel_id: 'hashimotos',
    patient: {
      first_name: PHI.firstName,
      last_name: PHI.lastName,
      dob: PHI.dob,
      email: PHI.email,
      gender: 'female',
      phone_number: PHI.phone,
    },
    address: { line1: PHI.line1, line2: PHI.line2, city: PHI.city, state: 'CA', zip: '94110', country: 'US' },
    ...overrides,
  };
}

export function createOrder(stack: LabStack, body: unknown, key: string = randomUUID(), token = stack.token) {
  return stack.t.request('POST', '/v1/lab-orders', { token, body, headers: { 'idempotency-key': key } });
}

export interface PlacedOrder {
  id: string;
  junction_order_id: string;
  patient_id: string;
  created_at: string;
}

/** Places an order (for a new patient, unless `overrides` say otherwise) and returns its 201 body. */
export async function placeOrder(
  stack: LabStack,
  overrides: Record<string, unknown> = {},
): Promise<PlacedOrder> {
  const res = await createOrder(stack, orderBody(overrides));
  expect(res.status, res.text).toBe(201);
  return res.body as PlacedOrder;
}

/** The simulator's user of a brand's patient (named as labline names it: junctionClientUserId). */
export function simUserOf(sim: Simulator, patientId: string, brandId: string = BRAND) {
  const name = junctionClientUserId(brandId, patientId);
  return sim.users().find((u) => u.client_user_id === name);
}
