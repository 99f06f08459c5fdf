/**
 * The simulator's wire format, checked against the official SDK's schemas (strictly: an unknown
 * or misspelt key fails), its FastAPI-style errors, idempotency expiry, and `npm run simulator`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JunctionClient, serialization } from '@junction-api/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SIMULATOR_PANELS,
  LifecycleError,
  startSimulator,
  type Simulator,
} from '../../src/junction/simulator/index.js';
import { spawnTs } from '../helpers/process.js';
import { orderFor, patientId, startTestSimulator } from './helpers.js';

const KEY = 'sk_test_simulator';
let sim: Simulator;
let sdk: JunctionClient;

beforeAll(async () => {
  sim = await startTestSimulator({ apiKey: KEY });
  sdk = new JunctionClient({ apiKey: KEY, baseUrl: sim.url, maxRetries: 0 });
});
afterAll(async () => {
  await sim.close();
});

function strictly<T>(
  schema: { parse: (raw: unknown, opts: object) => { ok: boolean } & T },
  raw: unknown,
): void {
  const parsed = schema.parse(raw, { unrecognizedObjectKeys: 'fail' }) as { ok: boolean; errors?: unknown };
  expect(parsed.errors).toBeUndefined();
  expect(parsed.ok).toBe(true);
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'x-vital-api-key': KEY, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

function wireOrder(userId: string) {
  const o = orderFor(userId);
  return {
    user_id: userId,
    order_set: { lab_test_ids: [o.labTestId] },
    patient_details: {
      first_name: o.patient.firstName,
      last_name: o.patient.lastName,
      dob: o.patient.dob,
      gender: o.patient.gender,
      phone_number: o.patient.phoneNumber,
      email: o.patient.email,
    },
    patient_address: {
      first_line: o.address.firstLine,
      city: o.address.city,
      state: o.address.state,
      zip: o.address.zip,
      country: o.address.country,
    },
  };
}

describe('wire format', () => {
  it("matches the SDK's schemas for users, orders, results and lab tests", async () => {
    const created = await call('POST', '/v2/user', { client_user_id: patientId() });
    strictly(serialization.ClientFacingUser, created.body);
    const resolved = await call('GET', `/v2/user/resolve/${created.body.client_user_id}`);
    strictly(serialization.ClientFacingUser, resolved.body);

    const order = await call('POST', '/v3/order', wireOrder(created.body.user_id), {
      'x-idempotency-key': patientId(),
    });
    expect(order.status).toBe(200);
    strictly(serialization.PostOrderResponse, order.body);
    const id: string = order.body.order.id;

    const done = await call('POST', `/v3/order/${id}/test?final_status=completed.walk_in_test.completed`);
    strictly(serialization.PostOrderResponse, done.body);
    strictly(serialization.ClientFacingOrder, (await call('GET', `/v3/order/${id}`)).body);
    strictly(serialization.LabResultsRaw, (await call('GET', `/v3/order/${id}/result`)).body);
    for (const test of (await call('GET', '/v3/lab_tests')).body)
      strictly(serialization.ClientFacingLabTest, test);
  });

  it('is parsed by every SDK method the service uses', async () => {
    const clientUserId = patientId();
    const user = await sdk.user.create({ clientUserId });
    expect((await sdk.user.getByClientUserId({ clientUserId })).userId).toBe(user.userId);
    const o = orderFor(user.userId, SIMULATOR_PANELS.fertility);
    const created = await sdk.labTests.createOrder({
      idempotencyKey: patientId(),
      userId: user.userId,
      orderSet: { labTestIds: [o.labTestId] },
      patientDetails: { ...o.patient },
      patientAddress: { ...o.address, secondLine: o.address.secondLine ?? undefined },
    });
    expect(created.order.lastEvent.status).toBe('received.walk_in_test.ordered');
    expect((await sdk.labTests.getOrder({ orderId: created.order.id })).id).toBe(created.order.id);
    await sdk.labTests.simulateOrderProcess({
      orderId: created.order.id,
      finalStatus: 'completed.walk_in_test.completed',
    });
    const results = await sdk.labTests.getResultRaw({ orderId: created.order.id });
    expect(Array.isArray(results.results) && results.results.length).toBe(6);
    expect((await sdk.labTests.getResultPdf({ orderId: created.order.id })).bodyUsed).toBe(false);
    expect((await sdk.labTests.get()).map((t) => t.slug)).toContain('pcos-panel');

    const other = await sdk.labTests.createOrder({
      idempotencyKey: patientId(),
      userId: user.userId,
      orderSet: { labTestIds: [o.labTestId] },
      patientDetails: { ...o.patient },
      patientAddress: { ...o.address, secondLine: undefined },
    });
    expect((await sdk.labTests.cancelOrder({ orderId: other.order.id })).order.status).toBe('cancelled');
  });
});

describe('errors', () => {
  it('answers 401 without an API key', async () => {
    const res = await fetch(`${sim.url}/v3/lab_tests`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Invalid API key' });
  });

  it('answers unknown paths and methods FastAPI-style', async () => {
    expect(await call('GET', '/v3/nothing')).toMatchObject({ status: 404, body: { detail: 'Not Found' } });
    expect(await call('DELETE', '/v3/order')).toMatchObject({
      status: 405,
      body: { detail: 'Method Not Allowed' },
    });
  });

  it('answers 422 with a detail list for missing patient fields', async () => {
    const user = await call('POST', '/v2/user', { client_user_id: patientId() });
    const body = wireOrder(user.body.user_id) as Record<string, any>;
    delete body.patient_details.first_name;
    delete body.patient_address.city;
    const res = await call('POST', '/v3/order', body);
    expect(res.status).toBe(422);
    expect(res.body.detail.map((d: any) => [d.loc.join('.'), d.type])).toEqual([
      ['body.patient_details.first_name', 'missing'],
      ['body.patient_address.city', 'missing'],
    ]);
    expect(await call('POST', '/v3/order', '{not json')).toMatchObject({ status: 422 });
  });

  it('answers 400 with the existing user id for a known client_user_id', async () => {
    const clientUserId = patientId();
    const first = await call('POST', '/v2/user', { client_user_id: clientUserId });
    const again = await call('POST', '/v2/user', { client_user_id: clientUserId });
    expect(again.status).toBe(400);
    expect(again.body.detail).toMatchObject({
      error_type: 'INVALID_REQUEST',
      error_message: 'Client user id already exists.',
      user_id: first.body.user_id,
    });
  });

  it('refuses moves the lifecycle does not allow', async () => {
    const user = await call('POST', '/v2/user', { client_user_id: patientId() });
    const order = await call('POST', '/v3/order', wireOrder(user.body.user_id));
    const id: string = order.body.order.id;
    sim.advance(id, 'sample_with_lab.walk_in_test.partial_results');
    expect(() => sim.advance(id, 'collecting_sample.walk_in_test.appointment_scheduled')).toThrow(
      LifecycleError,
    );
    expect(() => sim.advance(id, 'cancelled.walk_in_test.cancelled')).toThrow(LifecycleError);
    expect(() => sim.advance('no-such-order')).toThrow(LifecycleError);
    expect((await call('POST', `/v3/order/${id}/test?final_status=bogus`)).status).toBe(422);
  });
});

describe('idempotency keys', () => {
  it('replays the first answer byte for byte, including a 422', async () => {
    const user = await call('POST', '/v2/user', { client_user_id: patientId() });
    const key = patientId();
    const first = await call('POST', '/v3/order', wireOrder(user.body.user_id), { 'x-idempotency-key': key });
    const second = await call('POST', '/v3/order', wireOrder(user.body.user_id), {
      'x-idempotency-key': key,
    });
    expect(second.text).toBe(first.text);

    const badKey = patientId();
    const bad = await call(
      'POST',
      '/v3/order',
      { user_id: user.body.user_id },
      { 'x-idempotency-key': badKey },
    );
    expect(bad.status).toBe(422);
    const retried = await call('POST', '/v3/order', wireOrder(user.body.user_id), {
      'x-idempotency-key': badKey,
    });
    expect(retried.status).toBe(422);
  });

  it('forgets a key after its lifetime', async () => {
    // Long enough that two requests in a row fit in it on a loaded machine (30 ms did not).
    const shortLived = await startSimulator({ idempotencyTtlMs: 3000 });
    const post = async (path: string, body: unknown): Promise<any> => {
      const res = await fetch(`${shortLived.url}${path}`, {
        method: 'POST',
        headers: { 'x-vital-api-key': KEY, 'x-idempotency-key': 'k1', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return res.json();
    };
    try {
      const user = await post('/v2/user', { client_user_id: 'p' });
      const place = async (): Promise<string> => (await post('/v3/order', wireOrder(user.user_id))).order.id;
      const first = await place();
      expect(await place()).toBe(first);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      expect(await place()).not.toBe(first);
      expect(shortLived.orders()).toHaveLength(2);
    } finally {
      await shortLived.close();
    }
  });
});

describe('npm run simulator', () => {
  it('runs standalone, with faults settable at run time; its webhook secret outlives a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-simulator-'));
    const start = () =>
      spawnTs(
        'src/junction/simulator/main.ts',
        ['--port', '0', '--latency-ms', '1', '--data-dir', dataDir],
        {},
      );
    const secretLine = /JUNCTION_WEBHOOK_SECRET=(whsec_\S+) \(kept in (\S+)\)/;
    const proc = start();
    try {
      const [, url] = await proc.waitFor(/listening on (http:\/\/\S+)/);
      const [, secret, file] = await proc.waitFor(secretLine);
      expect(file).toBe(path.join(dataDir, 'webhook-secret'));
      expect(fs.readFileSync(file!, 'utf8').trim()).toBe(secret);
      expect(fs.statSync(file!).mode & 0o777).toBe(0o600);
      const standalone = new JunctionClient({ apiKey: 'any', baseUrl: url, maxRetries: 0 });
      expect((await standalone.labTests.get()).length).toBe(3);

      const faultsUrl = `${url}/_simulator/faults`;
      const auth = { 'x-vital-api-key': 'any' };
      expect(await (await fetch(faultsUrl, { headers: auth })).json()).toEqual({ latencyMs: 1 });
      const put = await fetch(`${url}/_simulator/faults`, {
        method: 'PUT',
        headers: { 'x-vital-api-key': 'any', 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate: 1, errorStatuses: [503] }),
      });
      // PUT replaces the whole fault set
      expect(await put.json()).toEqual({ errorRate: 1, errorStatuses: [503] });
      expect((await fetch(`${url}/v3/lab_tests`, { headers: { 'x-vital-api-key': 'any' } })).status).toBe(
        503,
      );
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);

      // Restarted: the same secret, so a service configured with it still accepts the webhooks.
      const again = start();
      try {
        expect((await again.waitFor(secretLine))[1]).toBe(secret);
      } finally {
        again.child.kill('SIGTERM');
        await again.exited;
      }
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
