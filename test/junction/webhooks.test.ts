/**
 * Simulator webhooks, received on a real local HTTP server and verified with
 * `verifyJunctionWebhook`; tampering, wrong secrets, stale timestamps and redelivery.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  JUNCTION_RETRY_SCHEDULE_MS,
  startSimulator,
  type Simulator,
} from '../../src/junction/simulator/index.js';
import { JunctionWebhookError, verifyJunctionWebhook } from '../../src/junction/webhooks.js';
import { clientFor, orderFor, patientId, startTestSimulator } from './helpers.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver; `answer` decides each response (default 204). */
class Receiver {
  readonly received: Received[] = [];
  answer: (n: number) => number | 'hang' = () => 204;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = this.answer(this.received.length);
      if (answer !== 'hang') res.writeHead(answer).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/webhooks/junction`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let sim: Simulator;
const receiver = new Receiver();
let receiverUrl: string;

beforeAll(async () => {
  receiverUrl = await receiver.start();
  sim = await startTestSimulator({
    webhookUrl: receiverUrl,
    // Junction's schedule cut to its first two retries (immediately, 5 s), scaled to 0 and 5 ms.
    webhookRetry: { scheduleMs: JUNCTION_RETRY_SCHEDULE_MS.slice(0, 2), scale: 0.001, timeoutMs: 250 },
  });
});
afterEach(async () => {
  await sim.webhooksSettled();
  receiver.received.length = 0;
  receiver.answer = () => 204;
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

async function placeOrder() {
  const client = clientFor(sim);
  const clientUserId = patientId();
  const userId = await client.ensureUser(clientUserId);
  const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
  return { client, clientUserId, userId, order };
}

function failureOf(fn: () => unknown): JunctionWebhookError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JunctionWebhookError);
    return err as JunctionWebhookError;
  }
  throw new Error('expected verification to fail');
}

describe('verifyJunctionWebhook on simulator deliveries', () => {
  it('verifies signed labtest.order.created and .updated events and parses the order', async () => {
    const { clientUserId, userId, order } = await placeOrder();
    sim.advance(order.id);
    await sim.webhooksSettled();

    const events = receiver.received.map((r) => verifyJunctionWebhook(sim.webhookSecret, r.body, r.headers));
    // Like Svix, the simulator does not promise delivery order: put them in lifecycle order.
    // A delivery retried after a slow answer arrives twice with one message id: count it once.
    const forOrder = [
      ...new Map(events.filter((e) => e.order?.id === order.id).map((e) => [e.messageId, e])).values(),
    ].sort((a, b) => a.order!.events.length - b.order!.events.length);
    expect(forOrder.map((e) => e.eventType)).toEqual([
      'labtest.order.created',
      'labtest.order.updated',
      'labtest.order.updated',
    ]);
    expect(forOrder.map((e) => e.order?.statusDetail)).toEqual([
      'received.walk_in_test.ordered',
      'received.walk_in_test.requisition_created',
      'collecting_sample.walk_in_test.appointment_pending',
    ]);
    expect(forOrder[0]).toMatchObject({ userId, clientUserId, teamId: sim.teamId });
    expect(forOrder[2]!.order).toMatchObject({ status: 'collecting_sample', userId });
    expect(forOrder[2]!.order!.events).toHaveLength(3);
    // one message id per change
    expect(new Set(forOrder.map((e) => e.messageId)).size).toBe(3);
  });

  it('rejects a tampered body', async () => {
    await placeOrder();
    await sim.webhooksSettled();
    // Deliveries come in no set order: take a `created` one.
    const { body, headers } = receiver.received.find((r) => r.body.includes('"labtest.order.created"'))!;
    const tampered = body.replace('"labtest.order.created"', '"labtest.order.updated"');
    expect(tampered).not.toBe(body);
    expect(failureOf(() => verifyJunctionWebhook(sim.webhookSecret, tampered, headers)).failure).toBe(
      'bad_signature',
    );
  });

  it('rejects a delivery signed with another secret', async () => {
    await placeOrder();
    await sim.webhooksSettled();
    const { body, headers } = receiver.received[0]!;
    const err = failureOf(() => verifyJunctionWebhook(generateWebhookSecret(), body, headers));
    expect(err.failure).toBe('bad_signature');
  });

  it('rejects missing signature headers', () => {
    const err = failureOf(() => verifyJunctionWebhook(sim.webhookSecret, '{}', { 'svix-id': 'msg_1' }));
    expect(err.failure).toBe('missing_headers');
  });

  it('rejects a correctly signed but stale delivery', () => {
    const body = JSON.stringify({ event_type: 'labtest.order.updated', data: {} });
    const signedAt = new Date(Date.now() - 10 * 60 * 1000);
    const headers = {
      'svix-id': 'msg_stale',
      'svix-timestamp': String(Math.floor(signedAt.getTime() / 1000)),
      'svix-signature': new Webhook(sim.webhookSecret).sign('msg_stale', signedAt, body),
    };
    expect(failureOf(() => verifyJunctionWebhook(sim.webhookSecret, body, headers)).failure).toBe(
      'stale_timestamp',
    );
  });

  it('accepts a Fetch Headers object, and returns no order for other event types', () => {
    const body = JSON.stringify({ event_type: 'daily.data.sleep.created', user_id: 'u1', data: {} });
    const now = new Date();
    const headers = new Headers({
      'svix-id': 'msg_other',
      'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
      'svix-signature': new Webhook(sim.webhookSecret).sign('msg_other', now, body),
    });
    expect(verifyJunctionWebhook(sim.webhookSecret, body, headers)).toMatchObject({
      messageId: 'msg_other',
      eventType: 'daily.data.sleep.created',
      userId: 'u1',
      order: null,
    });
  });

  it('reports an authentic order event whose order is not an order as malformed', () => {
    const body = JSON.stringify({ event_type: 'labtest.order.updated', data: { id: 'x' } });
    const now = new Date();
    const headers = {
      'svix-id': 'msg_bad',
      'svix-timestamp': String(Math.floor(now.getTime() / 1000)),
      'svix-signature': new Webhook(sim.webhookSecret).sign('msg_bad', now, body),
    };
    expect(failureOf(() => verifyJunctionWebhook(sim.webhookSecret, body, headers)).failure).toBe(
      'malformed_payload',
    );
  });
});

describe('delivery', () => {
  it('retries a failed delivery with the same svix-id until it is accepted', async () => {
    receiver.answer = (n) => (n <= 2 ? 500 : 204);
    const { order } = await placeOrder();
    await sim.webhooksSettled();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['svix-id'])).size).toBe(1);
    for (const r of receiver.received) {
      expect(verifyJunctionWebhook(sim.webhookSecret, r.body, r.headers).order?.id).toBe(order.id);
    }
    const delivery = sim.webhookDeliveries().find((d) => d.orderId === order.id)!;
    expect(delivery).toMatchObject({ attempts: 3, state: 'delivered', lastStatus: 204 });
  });

  it('gives up after the configured attempts', async () => {
    receiver.answer = () => 503;
    const { order } = await placeOrder();
    await sim.webhooksSettled();
    expect(sim.webhookDeliveries().find((d) => d.orderId === order.id)).toMatchObject({
      attempts: 3,
      state: 'failed',
      lastStatus: 503,
    });
  });

  it("follows Junction's whole retry schedule, scaled: the first attempt and eight retries, then failed", async () => {
    receiver.answer = () => 503;
    // 27.6 hours of Junction's schedule (webhooks/retry-policy.mdx) in about a second.
    const scaled = await startSimulator({
      apiKey: 'sk_test_simulator',
      webhookUrl: receiverUrl,
      webhookRetry: { scale: 0.00001, timeoutMs: 250 },
    });
    try {
      const client = clientFor(scaled);
      const userId = await client.ensureUser(patientId());
      const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
      await scaled.webhooksSettled();
      expect(scaled.webhookDeliveries().find((d) => d.orderId === order.id)).toMatchObject({
        attempts: 1 + JUNCTION_RETRY_SCHEDULE_MS.length,
        state: 'failed',
      });
      expect(JUNCTION_RETRY_SCHEDULE_MS).toHaveLength(8);
    } finally {
      await scaled.close();
    }
  });

  it('answers the API without waiting for a receiver that never answers', async () => {
    receiver.answer = () => 'hang';
    const client = clientFor(sim, { timeoutMs: 500 });
    const userId = await client.ensureUser(patientId());
    const order = await client.createOrder(orderFor(userId), `key-${patientId()}`);
    expect(order.status).toBe('received');
    expect(sim.webhookDeliveries().find((d) => d.orderId === order.id)?.state).toBe('pending');
  });
});
