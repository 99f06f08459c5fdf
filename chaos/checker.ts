/**
 * The invariants, checked from what was observed (collect.ts) and what the clients saw
 * (record.ts). Each check is a pure function: it says whether the invariant held, how many
 * things it looked at, and the evidence when it did not.
 */
import { Webhook } from 'standardwebhooks';
import type { ApiEvent, Observed } from './collect.js';
import type { AckedChange, Call, KeyRecord } from './record.js';
import type { CouponDef } from './clients.js';
import type { Delivery } from './receivers.js';

export const INVARIANTS = [
  'orders_exactly_once',
  'one_answer_per_key',
  'nothing_stuck',
  'money',
  'events',
  'answers',
  'privacy',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Verdict {
  invariant: Invariant;
  held: boolean;
  /** how many things were checked */
  checked: number;
  /** what broke it (at most 20 lines) */
  evidence: string[];
}

export interface CheckInput {
  observed: Observed;
  calls: Call[];
  keys: KeyRecord[];
  changes: AckedChange[];
  /** windows in which PostgreSQL was cut off */
  cuts: { start: number; end: number }[];
  /** how long after a cut a 503 is still the cut's (a statement already waiting, a pool reconnecting) */
  cutGraceMs: number;
  workspaces: { id: string; prices: Record<number, number>; coupons: CouponDef[] }[];
  /** processes that exited without being told to */
  exits: { name: string; at: string; code: number | null; signal: string | null }[];
}

class Tally {
  checked = 0;
  evidence: string[] = [];
  private count = 0;

  expect(ok: boolean, message: () => string): void {
    this.checked++;
    if (ok) return;
    this.count++;
    if (this.evidence.length < 20) this.evidence.push(message());
  }

  verdict(invariant: Invariant): Verdict {
    const evidence = [...this.evidence];
    if (this.count > evidence.length) evidence.push(`… and ${this.count - evidence.length} more`);
    return { invariant, held: this.count === 0, checked: this.checked, evidence };
  }
}

/** One Junction order per local order that reached Junction, and one local order per Junction order. */
export function ordersExactlyOnce(i: CheckInput): Verdict {
  const t = new Tally();
  const local = new Map(i.observed.db.orders.map((o) => [o.id, o]));
  const byPassthrough = new Map<string, string[]>();
  for (const s of i.observed.simOrders) {
    t.expect(
      s.passthrough !== null && local.has(s.passthrough),
      () => `Junction order ${s.id} names no local order (passthrough ${s.passthrough})`,
    );
    if (s.passthrough) byPassthrough.set(s.passthrough, [...(byPassthrough.get(s.passthrough) ?? []), s.id]);
  }
  const sim = new Map(i.observed.simOrders.map((s) => [s.id, s]));
  for (const o of i.observed.db.orders) {
    const theirs = byPassthrough.get(o.id) ?? [];
    t.expect(
      theirs.length <= 1,
      () => `local order ${o.id} has ${theirs.length} Junction orders: ${theirs.join(', ')}`,
    );
    if (o.junction_order_id) {
      const s = sim.get(o.junction_order_id);
      t.expect(
        s?.passthrough === o.id,
        () =>
          `local order ${o.id} points at Junction order ${o.junction_order_id}, which ${s ? `belongs to ${s.passthrough}` : 'Junction does not have'}`,
      );
    } else {
      t.expect(
        theirs.length === 0,
        () =>
          `local order ${o.id} (${o.status}) has no Junction order id, but Junction has ${theirs.join(', ')}`,
      );
    }
  }
  // One local order per key: no two keys name one order, every order is named by a key.
  const named = new Map<string, number>();
  for (const k of i.observed.db.orderKeys)
    if (k.resource_id) named.set(k.resource_id, (named.get(k.resource_id) ?? 0) + 1);
  for (const o of i.observed.db.orders)
    t.expect(
      named.get(o.id) === 1,
      () => `local order ${o.id} is named by ${named.get(o.id) ?? 0} Idempotency-Keys`,
    );
  return t.verdict('orders_exactly_once');
}

/** Every key was answered one way: the same status and body on every final answer the clients saw. */
export function oneAnswerPerKey(i: CheckInput): Verdict {
  const t = new Tally();
  for (const k of i.keys) {
    const first = k.answers[0];
    if (!first) continue;
    t.checked++;
    for (const a of k.answers.slice(1))
      t.expect(
        a.status === first.status && a.text === first.text,
        () =>
          `key ${k.key} (${k.surface}): first ${first.status} ${first.text.slice(0, 120)}, later ${a.status} ${a.text.slice(0, 120)}`,
      );
  }
  return t.verdict('one_answer_per_key');
}

/** Nothing left in flight once settled, and every order where Junction says it is. */
export function nothingStuck(i: CheckInput): Verdict {
  const t = new Tally();
  const sim = new Map(i.observed.simOrders.map((s) => [s.id, s]));
  for (const o of i.observed.db.orders) {
    t.expect(o.status !== 'submitting', () => `order ${o.id} still submitting`);
    if (o.junction_order_id) {
      const s = sim.get(o.junction_order_id);
      if (s) t.expect(s.status === o.status, () => `order ${o.id} is ${o.status}, Junction says ${s.status}`);
    }
  }
  for (const e of i.exits)
    t.expect(false, () => `${e.name} exited on its own at ${e.at} (code ${e.code}, signal ${e.signal})`);
  for (const j of i.observed.db.leasedJobs)
    t.expect(false, () => `job ${j.id} (${j.queue}) leased past its window (${j.locked_until})`);
  t.expect(
    i.observed.simWebhooks.pending === 0,
    () => `${i.observed.simWebhooks.pending} Junction webhook(s) still pending`,
  );
  return t.verdict('nothing_stuck');
}

function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5);
}

/**
 * A visit holds its coupon's use unless it will not take place: cancelled, or deleted before its
 * sample was collected, gives it back (docs/workspace-lab-visits.md).
 */
const holdsCoupon = (v: { status: string; deleted: boolean }): boolean =>
  v.status !== 'cancelled' && !(v.deleted && (v.status === 'pending' || v.status === 'scheduled'));

/** No coupon past its limit; every visit's total is what its pricing says. */
export function money(i: CheckInput): Verdict {
  const t = new Tally();
  const coupons = new Map<string, CouponDef>();
  for (const w of i.workspaces) for (const c of w.coupons) coupons.set(c.id, c);
  const used = new Map<string, number>();
  for (const v of i.observed.db.visits)
    if (v.coupon_id && holdsCoupon(v)) used.set(v.coupon_id, (used.get(v.coupon_id) ?? 0) + 1);
  for (const c of i.observed.db.coupons) {
    const n = used.get(c.id) ?? 0;
    if (c.max_redemptions === null) continue;
    t.expect(
      n <= c.max_redemptions && c.redemptions <= c.max_redemptions,
      () =>
        `coupon ${c.id}: ${n} visits and ${c.redemptions} redemptions counted, limit ${c.max_redemptions}`,
    );
  }
  const prices = new Map(i.workspaces.map((w) => [w.id, w.prices]));
  for (const v of i.observed.db.visits) {
    const p = prices.get(v.workspace_id);
    if (!p) continue;
    const subtotal = v.lab_test_ids.reduce((sum, id) => sum + Math.round((p[id] ?? NaN) * 100), 0);
    const c = v.coupon_id ? coupons.get(v.coupon_id) : undefined;
    const discount = !c
      ? 0
      : c.type === 'percent'
        ? roundHalfUp((subtotal * c.value) / 100)
        : Math.min(subtotal, Math.round(c.value * 100));
    t.expect(
      v.subtotal_cents === subtotal && v.discount_cents === discount && v.total_cents === subtotal - discount,
      () =>
        `visit ${v.id}: ${v.subtotal_cents} - ${v.discount_cents} = ${v.total_cents} cents, expected ${subtotal} - ${discount} = ${subtotal - discount}`,
    );
  }
  return t.verdict('money');
}

function objectId(e: ApiEvent): string | undefined {
  return (e.object?.id as string | undefined) ?? undefined;
}

/**
 * Every acknowledged change and every status Junction reported is an event; the healthy receiver
 * got each event of its tenants, signed; no event reached another tenant's endpoint; the failing
 * receiver's events were delivered or are recorded as failed.
 */
export function events(i: CheckInput): Verdict {
  const t = new Tally();
  const byObject = new Map<string, ApiEvent[]>();
  for (const e of i.observed.events) {
    const id = objectId(e);
    if (id) byObject.set(id, [...(byObject.get(id) ?? []), e]);
  }
  const has = (id: string, test: (e: ApiEvent) => boolean) => (byObject.get(id) ?? []).some(test);
  for (const c of i.changes) {
    const ok =
      c.kind === 'lab_order.created'
        ? has(c.id, (e) => e.type === 'lab_order.created')
        : c.kind === 'lab_order.cancelled'
          ? has(c.id, (e) => e.object.status === 'cancelled')
          : c.kind === 'lab_visit.created'
            ? has(c.id, (e) => e.type === 'lab_visit.created')
            : c.kind === 'lab_visit.status'
              ? has(c.id, (e) => e.type === 'lab_visit.updated' && e.object.labVisitStatus === c.to)
              : c.kind === 'lab_visit.results'
                ? has(c.id, (e) => e.type === 'lab_visit.results_added')
                : has(c.id, (e) => e.type === 'lab_visit.deleted');
    t.expect(ok, () => `${c.kind}${c.to ? ` → ${c.to}` : ''} of ${c.id} (${c.tenant}) has no event`);
  }
  // What Junction reported: an order's latest event shows the status it has now.
  for (const o of i.observed.db.orders) {
    if (!o.junction_order_id) continue;
    const evs = (byObject.get(o.id) ?? []).sort(
      (a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    );
    const last = evs[evs.length - 1];
    t.expect(
      last?.object.status === o.status,
      () => `order ${o.id} is ${o.status}; its latest event shows ${last ? last.object.status : 'nothing'}`,
    );
  }
  // Deliveries: signed, to the right tenant; every event delivered (or failed on record).
  const eventsById = new Map(i.observed.events.map((e) => [e.id, e]));
  const failedOnRecord = new Set(
    i.observed.db.deliveries
      .filter((d) => d.status === 'failed')
      .map((d) => `${d.endpoint_id} ${d.event_id}`),
  );
  for (const d of i.observed.db.deliveries)
    t.expect(
      d.status !== 'pending',
      () => `delivery of ${d.event_id} to endpoint ${d.endpoint_id} still pending`,
    );
  for (const ep of i.observed.endpoints) {
    const at = (i.observed.received[ep.receiver] ?? []).filter((d) => d.path === ep.path);
    const got = new Set<string>();
    for (const d of at) {
      const payload = verifiedPayload(ep.secret, d);
      if (!payload) {
        t.expect(
          false,
          () => `a delivery to ${ep.path} (webhook-id ${d.headers['webhook-id']}) fails its signature`,
        );
        continue;
      }
      const tenant = (payload.brand_id ?? payload.workspace_id) as string | undefined;
      t.expect(
        tenant === ep.tenant && eventsById.get(payload.id as string)?.tenant === ep.tenant,
        () => `event ${payload.id} of ${tenant} was delivered to ${ep.tenant}'s endpoint`,
      );
      if (d.answered === 200) got.add(payload.id as string);
    }
    for (const e of i.observed.events.filter((e) => e.tenant === ep.tenant)) {
      const failed = failedOnRecord.has(`${ep.id} ${e.id}`);
      if (ep.receiver === 'healthy')
        t.expect(got.has(e.id), () => `healthy receiver never got ${e.type} ${e.id} of ${ep.tenant}`);
      else
        t.expect(
          got.has(e.id) || failed,
          () => `${e.type} ${e.id} of ${ep.tenant}: neither delivered nor recorded as failed`,
        );
    }
  }
  return t.verdict('events');
}

/**
 * The event a delivery carries when one of its signatures is the Standard Webhooks signature of
 * its id, timestamp and body under `secret`; null otherwise. The timestamp's age is not held
 * against it: freshness is a receiver's defence against replays, and the checker reads deliveries
 * minutes after they came.
 */
function verifiedPayload(secret: string, d: Delivery): any {
  const id = d.headers['webhook-id'];
  const timestamp = Number(d.headers['webhook-timestamp']);
  if (!id || !Number.isInteger(timestamp)) return null;
  let expected: string;
  try {
    expected = new Webhook(secret).sign(id, new Date(timestamp * 1000), d.body);
  } catch {
    return null;
  }
  if (!(d.headers['webhook-signature'] ?? '').split(' ').includes(expected)) return null;
  try {
    return JSON.parse(d.body);
  } catch {
    return null;
  }
}

const JUNCTION_ROUTES = /^\/v1\/lab-orders/;

/** Only documented 5xx (503 with Retry-After during a database cut, 502 for Junction), and no hang. */
export function answers(i: CheckInput): Verdict {
  const t = new Tally();
  const inCut = (c: Call) => i.cuts.some((w) => c.end >= w.start && c.start <= w.end + i.cutGraceMs);
  for (const c of i.calls) {
    if (c.outcome === 'timeout') {
      t.expect(!c.full, () => `${c.method} ${c.path} on ${c.replica}: no answer within ${c.patienceMs} ms`);
      continue;
    }
    if (c.status === null || c.status < 500) {
      t.checked++;
      continue;
    }
    const ok =
      (c.status === 503 && c.error === 'service_unavailable' && !!c.retryAfter && inCut(c)) ||
      (c.status === 502 &&
        JUNCTION_ROUTES.test(c.path) &&
        (c.error === 'junction_unavailable' || c.error === 'junction_rejected'));
    t.expect(
      ok,
      () =>
        `${c.method} ${c.path} on ${c.replica} at ${new Date(c.start).toISOString()}: ${c.status} ${(c.text ?? '').slice(0, 160)}${c.status === 503 && !inCut(c) ? ' (outside every database cut)' : ''}`,
    );
  }
  return t.verdict('answers');
}

export function privacy(i: CheckInput): Verdict {
  const t = new Tally();
  for (const log of i.observed.logs) {
    t.checked += log.lines;
    for (const leak of log.leaks) t.expect(false, () => `${log.file}: "${leak.marker}" in ${leak.line}`);
  }
  return t.verdict('privacy');
}

export function check(i: CheckInput): Verdict[] {
  return [
    ordersExactlyOnce(i),
    oneAnswerPerKey(i),
    nothingStuck(i),
    money(i),
    events(i),
    answers(i),
    privacy(i),
  ];
}
