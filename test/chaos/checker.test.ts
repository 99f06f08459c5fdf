/**
 * The chaos checker (chaos/checker.ts) on worlds built by hand: a consistent one passes every
 * invariant, and each invariant is reported broken, with its evidence, by a world that breaks it
 * and nothing else. The end-to-end proof (a short run with CHAOS_SABOTAGE) is sabotage.test.ts.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { check, type CheckInput, type Invariant } from '../../chaos/checker.js';
import type { Delivery } from '../../chaos/receivers.js';
import { PHI } from '../helpers/phi.js';

const SECRET_A = `whsec_${Buffer.from('secret-of-brand-a-0123456789').toString('base64')}`;
const SECRET_W = `whsec_${Buffer.from('secret-of-workspace-w-012345').toString('base64')}`;
const ORDER = '11111111-1111-4111-8111-111111111111';
const VISIT = '65c000000000000000000101';
const WS = '65c000000000000000000001';
const T = Date.parse('2026-12-07T12:00:00Z');

function signed(secret: string, event: { id: string }): Delivery {
  const body = JSON.stringify(event);
  const at = new Date(T);
  const headers = {
    'webhook-id': event.id,
    'webhook-timestamp': String(Math.floor(T / 1000)),
    'webhook-signature': new Webhook(secret).sign(event.id, at, body),
  };
  return { path: '', headers, body, at: T, answered: 200 };
}

/** A small world in which everything held. */
function world(): CheckInput {
  const orderEvent = {
    id: 'evt_1',
    type: 'lab_order.created',
    created_at: '2026-12-07T12:00:01.000Z',
    brand_id: 'brand-a',
    data: { object: { id: ORDER, status: 'received' } },
  };
  const visitEvent = {
    id: 'evt_2',
    type: 'lab_visit.created',
    created_at: '2026-12-07T12:00:02.000Z',
    workspace_id: WS,
    data: { object: { id: VISIT, labVisitStatus: 'pending' } },
  };
  return {
    observed: {
      simOrders: [{ id: 'j-1', user_id: 'u-1', passthrough: ORDER, status: 'received', events: [] }],
      simWebhooks: { pending: 0, delivered: 3, failed: [] },
      events: [
        {
          id: 'evt_1',
          type: 'lab_order.created',
          created_at: orderEvent.created_at,
          tenant: 'brand-a',
          object: orderEvent.data.object,
        },
        {
          id: 'evt_2',
          type: 'lab_visit.created',
          created_at: visitEvent.created_at,
          tenant: WS,
          object: visitEvent.data.object,
        },
      ],
      endpoints: [
        {
          id: 'ep_a',
          tenant: 'brand-a',
          surface: 'brand',
          receiver: 'healthy',
          path: '/brand/brand-a',
          secret: SECRET_A,
        },
        {
          id: 'ep_w',
          tenant: WS,
          surface: 'workspace',
          receiver: 'failing',
          path: `/workspace/${WS}`,
          secret: SECRET_W,
        },
      ],
      received: {
        healthy: [{ ...signed(SECRET_A, orderEvent), path: '/brand/brand-a' }],
        failing: [{ ...signed(SECRET_W, visitEvent), path: `/workspace/${WS}`, answered: 500 }],
      },
      db: {
        orders: [{ id: ORDER, brand_id: 'brand-a', status: 'received', junction_order_id: 'j-1' }],
        orderKeys: [{ resource_id: ORDER, route: 'POST /v1/lab-orders', state: 'completed' }],
        leasedJobs: [],
        visits: [
          {
            id: VISIT,
            workspace_id: WS,
            lab_test_ids: [1, 2],
            subtotal_cents: 10050,
            discount_cents: 1005,
            total_cents: 9045,
            coupon_id: 'c-1',
            status: 'pending',
            deleted: false,
          },
        ],
        coupons: [{ id: 'c-1', workspace_id: WS, max_redemptions: 1, redemptions: 1 }],
        deliveries: [
          { endpoint_id: 'ep_a', event_id: 'evt_1', status: 'succeeded' },
          { endpoint_id: 'ep_w', event_id: 'evt_2', status: 'failed' },
        ],
      },
      logs: [{ file: 'replica-a.log', lines: 10, leaks: [] }],
    },
    calls: [
      {
        actor: 'b',
        replica: 'replica-a',
        method: 'POST',
        route: '/v1/lab-orders',
        path: '/v1/lab-orders',
        status: 201,
        outcome: 'answer',
        start: T,
        end: T + 50,
        patienceMs: 16_000,
        full: true,
      },
      {
        actor: 'b',
        replica: 'replica-b',
        method: 'POST',
        route: '/v1/lab-orders',
        path: '/v1/lab-orders',
        status: 503,
        outcome: 'answer',
        error: 'service_unavailable',
        retryAfter: '1',
        start: T + 1000,
        end: T + 1010,
        patienceMs: 16_000,
        full: true,
      },
      {
        actor: 'b',
        replica: 'replica-b',
        method: 'POST',
        route: '/v1/lab-orders',
        path: '/v1/lab-orders',
        status: 502,
        outcome: 'answer',
        error: 'junction_unavailable',
        start: T + 2000,
        end: T + 3500,
        patienceMs: 16_000,
        full: true,
      },
      {
        actor: 'b',
        replica: 'replica-a',
        method: 'POST',
        route: '/v1/lab-orders',
        path: '/v1/lab-orders',
        status: null,
        outcome: 'timeout',
        start: T + 4000,
        end: T + 4300,
        patienceMs: 300,
        full: false,
      },
    ],
    keys: [
      {
        key: 'k-1',
        surface: 'lab_order',
        tenant: 'brand-a',
        path: '/v1/lab-orders',
        token: 't',
        body: {},
        answers: [
          { status: 201, text: `{"id":"${ORDER}"}`, at: T, replica: 'replica-a' },
          { status: 201, text: `{"id":"${ORDER}"}`, at: T + 5000, replica: 'replica-b' },
        ],
      },
    ],
    changes: [
      { kind: 'lab_order.created', id: ORDER, tenant: 'brand-a', at: T },
      { kind: 'lab_visit.created', id: VISIT, tenant: WS, at: T },
    ],
    cuts: [{ start: T + 900, end: T + 1005 }],
    cutGraceMs: 100,
    workspaces: [
      {
        id: WS,
        prices: { 1: 40.5, 2: 60 },
        coupons: [{ id: 'c-1', code: 'TEN', type: 'percent', value: 10, maxRedemptions: 1 }],
      },
    ],
    exits: [],
  };
}

function broken(input: CheckInput): Invariant[] {
  return check(input)
    .filter((v) => !v.held)
    .map((v) => v.invariant);
}

describe('the chaos checker', () => {
  it('passes a world in which everything held, having checked something of each invariant', () => {
    const verdicts = check(world());
    expect(verdicts.filter((v) => !v.held)).toEqual([]);
    for (const v of verdicts) expect(v.checked, v.invariant).toBeGreaterThan(0);
  });

  const cases: [Invariant, string, (w: CheckInput) => void][] = [
    [
      'orders_exactly_once',
      'a second Junction order for one local order',
      (w) => {
        w.observed.simOrders.push({
          id: 'j-2',
          user_id: 'u-1',
          passthrough: ORDER,
          status: 'received',
          events: [],
        });
      },
    ],
    [
      'orders_exactly_once',
      'a Junction order naming no local order',
      (w) => {
        w.observed.simOrders[0]!.passthrough = null;
        w.observed.db.orders[0]!.junction_order_id = null;
      },
    ],
    [
      'orders_exactly_once',
      'a local order named by two keys',
      (w) => {
        w.observed.db.orderKeys.push({
          resource_id: ORDER,
          route: 'POST /v1/lab-orders',
          state: 'completed',
        });
      },
    ],
    [
      'one_answer_per_key',
      'a replay that differs from the first answer',
      (w) => {
        w.keys[0]!.answers[1]!.text = `{"id":"${ORDER}","status":"received"}`;
      },
    ],
    [
      'nothing_stuck',
      'an order left submitting',
      (w) => {
        w.observed.db.orders[0]!.status = 'submitting';
        w.observed.simOrders[0]!.status = 'submitting';
        w.keys[0]!.answers.length = 1;
        w.observed.events[0]!.object.status = 'submitting';
      },
    ],
    [
      'nothing_stuck',
      'an order that is not where Junction says it is',
      (w) => {
        w.observed.simOrders[0]!.status = 'completed';
      },
    ],
    [
      'nothing_stuck',
      'a job leased past its lease',
      (w) => {
        w.observed.db.leasedJobs.push({
          id: '7',
          queue: 'webhooks.deliver',
          locked_until: '2026-12-07 12:00:00+00',
        });
      },
    ],
    [
      'nothing_stuck',
      'a process that exited on its own',
      (w) => {
        w.exits.push({ name: 'worker', at: '2026-12-07T12:00:00Z', code: 0, signal: null });
      },
    ],
    [
      'money',
      'a coupon used past its limit',
      (w) => {
        w.observed.db.visits.push({ ...w.observed.db.visits[0]!, id: '65c000000000000000000102' });
      },
    ],
    [
      'money',
      'a total that is not subtotal minus discount',
      (w) => {
        w.observed.db.visits[0]!.total_cents += 1;
      },
    ],
    [
      'events',
      'an acknowledged change without its event',
      (w) => {
        w.changes.push({ kind: 'lab_visit.status', id: VISIT, tenant: WS, to: 'scheduled', at: T });
      },
    ],
    [
      'events',
      'an event the healthy receiver never got',
      (w) => {
        w.observed.received.healthy = [];
      },
    ],
    [
      'events',
      'a delivery whose signature does not verify',
      (w) => {
        w.observed.received.healthy![0]!.body = w.observed.received.healthy![0]!.body.replace(
          'received',
          'cancelled',
        );
      },
    ],
    [
      'events',
      "an event delivered to another tenant's endpoint",
      (w) => {
        w.observed.received.healthy!.push({
          ...signed(SECRET_A, { id: 'evt_2', workspace_id: WS } as { id: string }),
          path: '/brand/brand-a',
        });
      },
    ],
    [
      'events',
      "a failing receiver's event neither delivered nor failed on record",
      (w) => {
        w.observed.db.deliveries[1]!.status = 'succeeded';
      },
    ],
    [
      'answers',
      'a 500',
      (w) => {
        w.calls.push({ ...w.calls[0]!, status: 500, text: '{"error":"internal"}' });
      },
    ],
    [
      'answers',
      'a 503 outside every database cut',
      (w) => {
        w.cuts = [];
      },
    ],
    [
      'answers',
      'a 502 on a route that does not call Junction',
      (w) => {
        w.calls.push({ ...w.calls[2]!, path: `/v1/workspace/${WS}/labs/visits` });
      },
    ],
    [
      'answers',
      'a request that waited the whole bound for nothing (a hang)',
      (w) => {
        w.calls.push({ ...w.calls[3]!, patienceMs: 16_000, full: true });
      },
    ],
    [
      'privacy',
      "a patient's name in a log line",
      (w) => {
        w.observed.logs[0]!.leaks.push({ marker: PHI.lastName, line: `{"msg":"${PHI.lastName}"}` });
      },
    ],
  ];

  it('counts a coupon use only for a visit that holds it: cancelled, or deleted before collection, gave it back', () => {
    const w = world();
    const [visit] = w.observed.db.visits;
    w.observed.db.visits.push(
      { ...visit!, id: '65c000000000000000000103', status: 'cancelled' },
      { ...visit!, id: '65c000000000000000000104', status: 'scheduled', deleted: true },
    );
    expect(broken(w)).toEqual([]);
    w.observed.db.visits.push({
      ...visit!,
      id: '65c000000000000000000105',
      status: 'completed',
      deleted: true,
    });
    expect(broken(w)).toEqual(['money']);
  });

  it.each(cases)('reports %s broken for %s, and nothing else', (invariant, _what, breakIt) => {
    const w = world();
    breakIt(w);
    expect(broken(w)).toEqual([invariant]);
    const verdict = check(w).find((v) => v.invariant === invariant)!;
    expect(verdict.evidence.length).toBeGreaterThan(0);
  });
});
