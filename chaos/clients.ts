/**
 * The run's clients, each a loop driven by its own seeded stream: brand backends placing lab
 * orders (retrying with the same Idempotency-Key after timeouts, 5xx, 409 in progress and lost
 * connections, replaying finished keys, cancelling, reading results), clinic staff booking visits
 * with limited coupons and moving them along, and "the lab" moving orders on at Junction. Every
 * request goes to a replica picked at random, as a load balancer without health checks would.
 */
import { FAILED, WALK_IN_PATH } from '../src/junction/simulator/lifecycle.js';
import { PHI, PHI_CHANGED } from '../test/helpers/phi.js';
import { routeOf, type Recorder } from './record.js';
import { Rng } from './rng.js';
import { sleep } from './processes.js';

export interface Replica {
  name: string;
  url: string;
}

export interface BrandWorld {
  id: string;
  token: string;
  patients: string[];
}

export interface CouponDef {
  id: string;
  code: string;
  type: 'percent' | 'fixed';
  value: number;
  maxRedemptions: number;
}

export interface WorkspaceWorld {
  id: string;
  staffToken: string;
  ownerToken: string;
  clientIds: string[];
  /** testId → price the workspace charges (its own price, else the catalog's) */
  prices: Record<number, number>;
  coupons: CouponDef[];
}

export interface ClientContext {
  seed: number;
  recorder: Recorder;
  replicas: Replica[];
  brands: BrandWorld[];
  workspaces: WorkspaceWorld[];
  simulator: { url: string; apiKey: string };
  /** the documented bound on an answer: a client that waited this long and got none saw a hang */
  hangBoundMs: number;
  /** no new action after this */
  endAt: number;
  /** retries of an action already begun stop after this */
  drainUntil: number;
}

interface Answer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

type Sent = Answer | { status: null; outcome: 'timeout' | 'network' };

async function send(
  ctx: ClientContext,
  actor: string,
  replica: Replica,
  method: string,
  path: string,
  opts: { token: string; body?: unknown; key?: string; patienceMs?: number },
): Promise<Sent> {
  const patienceMs = opts.patienceMs ?? ctx.hangBoundMs;
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token}` };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.key) headers['idempotency-key'] = opts.key;
  const start = Date.now();
  const base = {
    actor,
    replica: replica.name,
    method,
    route: routeOf(path),
    path,
    start,
    patienceMs,
    full: patienceMs >= ctx.hangBoundMs,
    ...(opts.key ? { key: opts.key } : {}),
  };
  try {
    const res = await fetch(`${replica.url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(patienceMs),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    ctx.recorder.call({
      ...base,
      status: res.status,
      outcome: 'answer',
      end: Date.now(),
      ...(typeof json?.error === 'string' ? { error: json.error as string } : {}),
      retryAfter: res.headers.get('retry-after'),
      ...(res.status >= 500 || opts.key ? { text } : {}),
    });
    return { status: res.status, text, json, headers: res.headers };
  } catch (err) {
    const name = (err as Error).name;
    const outcome = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network';
    ctx.recorder.call({ ...base, status: null, outcome, end: Date.now() });
    return { status: null, outcome };
  }
}

/** an answer a retry with the same key would get again: done, or refused for good */
function isFinal(r: Sent): r is Answer {
  if (r.status === null) return false;
  if (r.status < 400) return true;
  if (r.status === 409 && r.json?.error === 'idempotency_key_in_progress') return false;
  if (r.status === 502) return r.json?.error === 'junction_rejected';
  return r.status < 500;
}

function retryDelay(rng: Rng, r: Sent): number {
  const after = r.status !== null ? Number(r.headers.get('retry-after')) : NaN;
  return Number.isFinite(after) && after > 0 ? after * 1000 : rng.int(200, 1000);
}

/** Sends a keyed create until it gets a final answer (or the run stops waiting). */
async function keyedCreate(
  ctx: ClientContext,
  rng: Rng,
  actor: string,
  surface: 'lab_order' | 'lab_visit',
  tenant: string,
  path: string,
  token: string,
  key: string,
  body: unknown,
): Promise<Answer | null> {
  for (let attempt = 0; Date.now() < ctx.drainUntil && attempt < 40; attempt++) {
    // Some attempts give up early, as a client with a short timeout does, then retry.
    const patienceMs = rng.chance(0.25) ? rng.int(150, 1500) : ctx.hangBoundMs;
    const r = await send(ctx, actor, rng.pick(ctx.replicas), 'POST', path, { token, body, key, patienceMs });
    if (isFinal(r)) {
      ctx.recorder.keyAnswer(
        { key, surface, tenant, path, token, body },
        { status: r.status, text: r.text, at: Date.now(), replica: actor },
      );
      return r;
    }
    await sleep(retryDelay(rng, r));
  }
  return null;
}

function orderBody(brand: BrandWorld, rng: Rng) {
  const changed = rng.chance(0.3);
  return {
    brand_id: brand.id,
    patient_id: rng.pick(brand.patients),
    panel_id: rng.pick(['hashimotos', 'pcos', 'fertility']),
    patient: {
      first_name: PHI.firstName,
      last_name: changed ? PHI_CHANGED.lastName : PHI.lastName,
      dob: PHI.dob,
      email: changed ? PHI_CHANGED.email : PHI.email,
      gender: 'female',
      phone_number: changed ? PHI_CHANGED.phone : PHI.phone,
    },
    address: { line1: PHI.line1, line2: PHI.line2, city: PHI.city, state: 'CA', zip: '94110', country: 'US' },
  };
}

/** A brand's backend: orders with keys, replays, cancels, reads. */
export async function brandClient(ctx: ClientContext, brand: BrandWorld, n: number): Promise<void> {
  const actor = `brand:${brand.id}#${n}`;
  const rng = Rng.derive(ctx.seed, actor);
  const finished: { key: string; body: unknown }[] = [];
  const orders: string[] = [];
  while (Date.now() < ctx.endAt) {
    const action = rng.weighted({ create: 45, replay: 12, cancel: 10, read: 23, results: 10 });
    if (action === 'create' || (finished.length === 0 && action === 'replay')) {
      const key = rng.uuid();
      const body = orderBody(brand, rng);
      const r = await keyedCreate(
        ctx,
        rng,
        actor,
        'lab_order',
        brand.id,
        '/v1/lab-orders',
        brand.token,
        key,
        body,
      );
      if (r) finished.push({ key, body });
      if (r?.status === 201) {
        orders.push(r.json.id as string);
        ctx.recorder.change({
          kind: 'lab_order.created',
          id: r.json.id as string,
          tenant: brand.id,
          at: Date.now(),
        });
      }
    } else if (action === 'replay') {
      const { key, body } = rng.pick(finished);
      await keyedCreate(ctx, rng, actor, 'lab_order', brand.id, '/v1/lab-orders', brand.token, key, body);
    } else if (orders.length > 0) {
      const id = rng.pick(orders);
      const replica = rng.pick(ctx.replicas);
      if (action === 'cancel') {
        const r = await send(ctx, actor, replica, 'POST', `/v1/lab-orders/${id}/cancel`, {
          token: brand.token,
        });
        if (r.status === 200)
          ctx.recorder.change({ kind: 'lab_order.cancelled', id, tenant: brand.id, at: Date.now() });
      } else if (action === 'read') {
        await send(ctx, actor, replica, 'GET', `/v1/lab-orders/${id}`, { token: brand.token });
      } else {
        await send(ctx, actor, replica, 'GET', `/v1/lab-orders/${id}/results`, { token: brand.token });
      }
    }
    await sleep(rng.int(50, 400));
  }
}

interface KnownVisit {
  id: string;
  status: string;
  results: boolean;
  tests: number[];
  deleted: boolean;
}

const NEXT: Record<string, string[]> = {
  pending: ['scheduled', 'scheduled', 'scheduled', 'cancelled'],
  scheduled: ['collected', 'collected', 'collected', 'cancelled'],
  collected: ['completed'],
};

/** Clinic staff: book visits (coupons with a limit), move them along, enter results, delete a few. */
export async function staffClient(ctx: ClientContext, ws: WorkspaceWorld, n: number): Promise<void> {
  const actor = `staff:${ws.id}#${n}`;
  const rng = Rng.derive(ctx.seed, actor);
  const base = `/v1/workspace/${ws.id}/labs/visits`;
  const visits: KnownVisit[] = [];
  const testIds = Object.keys(ws.prices).map(Number);
  const ack = (kind: Parameters<Recorder['change']>[0]['kind'], id: string, to?: string) =>
    ctx.recorder.change({ kind, id, tenant: ws.id, at: Date.now(), ...(to ? { to } : {}) });
  while (Date.now() < ctx.endAt) {
    const live = visits.filter((v) => !v.deleted);
    const action =
      live.length < 2 ? 'book' : rng.weighted({ book: 35, move: 45, results: 12, delete: 3, read: 5 });
    const replica = rng.pick(ctx.replicas);
    if (action === 'book') {
      const tests = testIds.filter(() => rng.chance(0.5));
      if (tests.length === 0) tests.push(rng.pick(testIds));
      const body = {
        clientId: rng.pick(ws.clientIds),
        labVisitType: rng.pick(['in-lab', 'at-home']),
        labTestIds: tests,
        labVisitDate: new Date(Date.now() + rng.int(1, 30) * 86_400_000).toISOString(),
        labVisitNotes: PHI.notes,
        ...(rng.chance(0.5) ? { labCouponCode: rng.pick(ws.coupons).code.toLowerCase() } : {}),
      };
      let r: Sent | null;
      if (rng.chance(0.7)) {
        r = await keyedCreate(ctx, rng, actor, 'lab_visit', ws.id, base, ws.staffToken, rng.uuid(), body);
      } else {
        r = await send(ctx, actor, replica, 'POST', base, { token: ws.staffToken, body });
      }
      if (r?.status === 201) {
        const v = r.json.labVisit;
        if (!visits.some((k) => k.id === v.id)) {
          visits.push({ id: v.id, status: v.labVisitStatus, results: false, tests, deleted: false });
          ack('lab_visit.created', v.id as string);
        }
      }
    } else if (action === 'read') {
      await send(ctx, actor, replica, 'GET', `${base}/${rng.pick(live).id}`, { token: ws.staffToken });
    } else if (action === 'delete') {
      const v = rng.pick(live);
      const r = await send(ctx, actor, replica, 'DELETE', `${base}/${v.id}`, { token: ws.ownerToken });
      if (r.status !== null && r.status < 300) {
        v.deleted = true;
        ack('lab_visit.deleted', v.id);
      }
    } else if (action === 'results') {
      const ready = live.filter((v) => v.status === 'collected' || v.status === 'completed');
      if (ready.length > 0) {
        const v = rng.pick(ready);
        const labTestResults = v.tests.map((testId) => ({
          testId,
          value: rng.chance(0.7) ? rng.int(1, 500) / 10 : 'negative',
          unit: 'mg/dL',
          flag: rng.pick(['normal', 'high', 'low', null]),
        }));
        const r = await send(ctx, actor, replica, 'POST', `${base}/${v.id}/results`, {
          token: ws.staffToken,
          body: { labTestResults },
        });
        if (r.status === 200 || r.status === 201) {
          v.results = true;
          ack('lab_visit.results', v.id);
        }
      }
    } else {
      const movable = live.filter((v) => NEXT[v.status]);
      if (movable.length > 0) {
        const v = rng.pick(movable);
        const to = rng.pick(NEXT[v.status]!);
        const r = await send(ctx, actor, replica, 'PATCH', `${base}/${v.id}`, {
          token: ws.staffToken,
          body: { labVisitStatus: to },
        });
        if (r.status === 200) {
          v.status = to;
          ack('lab_visit.status', v.id, to);
        } else if (r.status === null || r.status === 422) {
          // Unknown outcome (or another client moved it): read where it is now.
          const now = await send(ctx, actor, rng.pick(ctx.replicas), 'GET', `${base}/${v.id}`, {
            token: ws.staffToken,
          });
          if (now.status === 200) v.status = now.json.labVisit.labVisitStatus as string;
        }
      }
    }
    await sleep(rng.int(50, 400));
  }
}

/**
 * The lab, at Junction: moves orders along their walk-in path (sometimes to a sample error)
 * through the sandbox's own endpoint, so Junction sends its webhooks.
 */
export async function labActor(ctx: ClientContext): Promise<void> {
  const rng = Rng.derive(ctx.seed, 'lab');
  const headers = { 'x-vital-api-key': ctx.simulator.apiKey };
  while (Date.now() < ctx.endAt) {
    await sleep(rng.int(150, 700));
    try {
      const res = await fetch(`${ctx.simulator.url}/v3/orders?page=1&size=100`, {
        headers,
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) continue;
      const { orders } = (await res.json()) as { orders: { id: string; events: { status: string }[] }[] };
      const open = orders.filter((o) => {
        const s = o.events[o.events.length - 1]?.status ?? '';
        return (WALK_IN_PATH as readonly string[]).includes(s) && s !== WALK_IN_PATH[WALK_IN_PATH.length - 1];
      });
      if (open.length === 0) continue;
      const order = rng.pick(open);
      const at = (WALK_IN_PATH as readonly string[]).indexOf(order.events[order.events.length - 1]!.status);
      const target = rng.chance(0.08) && at >= 2 ? FAILED : WALK_IN_PATH[at + 1]!;
      const flags = { interpretation: rng.pick(['normal', 'abnormal', 'critical']) };
      await fetch(`${ctx.simulator.url}/v3/order/${order.id}/test?final_status=${target}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(flags),
        signal: AbortSignal.timeout(5000),
      }).then((r) => r.arrayBuffer());
    } catch {
      // the simulator is busy or faulty: try again on the next round
    }
  }
}
