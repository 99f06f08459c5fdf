/**
 * What the checker reads once the run has settled, all from outside: the simulator's own API
 * (its orders and its webhook deliveries), the service's API (each tenant's events, endpoints'
 * deliveries), the database in a read-only transaction, the receivers' records, and every log
 * file the processes wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PHI_MARKERS } from '../test/helpers/phi.js';
import type { Delivery } from './receivers.js';
import type { System, Tenants } from './system.js';
import { SIM_API_KEY } from './system.js';

export interface SimOrder {
  id: string;
  user_id: string;
  passthrough: string | null;
  status: string;
  events: { status: string; created_at: string }[];
}

export interface ApiEvent {
  id: string;
  type: string;
  created_at: string;
  /** the brand or workspace it belongs to */
  tenant: string;
  object: any;
}

export interface EndpointInfo {
  id: string;
  tenant: string;
  surface: 'brand' | 'workspace';
  receiver: string;
  /** the path of its URL at the receiver */
  path: string;
  secret: string;
}

export interface DbState {
  orders: { id: string; brand_id: string; status: string; junction_order_id: string | null }[];
  orderKeys: { resource_id: string | null; route: string; state: string }[];
  leasedJobs: { id: string; queue: string; locked_until: string }[];
  visits: {
    id: string;
    workspace_id: string;
    lab_test_ids: number[];
    subtotal_cents: number;
    discount_cents: number;
    total_cents: number;
    coupon_id: string | null;
    status: string;
    deleted: boolean;
  }[];
  coupons: { id: string; workspace_id: string; max_redemptions: number | null; redemptions: number }[];
  deliveries: { endpoint_id: string; event_id: string; status: string }[];
}

export interface LogScan {
  file: string;
  lines: number;
  leaks: { marker: string; line: string }[];
}

export interface Observed {
  simOrders: SimOrder[];
  simWebhooks: { pending: number; delivered: number; failed: unknown[] };
  events: ApiEvent[];
  endpoints: EndpointInfo[];
  received: Record<string, Delivery[]>;
  db: DbState;
  logs: LogScan[];
}

async function simGet(url: string): Promise<any> {
  const res = await fetch(url, {
    headers: { 'x-vital-api-key': SIM_API_KEY },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`simulator ${url}: ${res.status}`);
  return res.json();
}

export async function simulatorOrders(simUrl: string): Promise<SimOrder[]> {
  const out: SimOrder[] = [];
  for (let page = 1; ; page++) {
    const body = await simGet(`${simUrl}/v3/orders?page=${page}&size=100`);
    out.push(...(body.orders as SimOrder[]));
    if (out.length >= body.total || body.orders.length === 0) return out;
  }
}

export async function simulatorWebhooks(simUrl: string): Promise<Observed['simWebhooks']> {
  return simGet(`${simUrl}/_simulator/webhooks`);
}

async function pages<T>(read: (cursor: string | null) => Promise<{ items: T[]; next: string | null }>) {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const { items, next } = await read(cursor);
    out.push(...items);
    cursor = next;
  } while (cursor);
  return out;
}

async function apiGet(base: string, token: string, url: string): Promise<any> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return JSON.parse(text);
}

export async function tenantEvents(base: string, tenants: Tenants): Promise<ApiEvent[]> {
  const out: ApiEvent[] = [];
  for (const b of tenants.brands) {
    const items = await pages(async (cursor) => {
      const q = `/v1/events?brand_id=${b.id}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const body = await apiGet(base, b.token, q);
      return { items: body.data as any[], next: body.next_cursor as string | null };
    });
    for (const e of items)
      out.push({ id: e.id, type: e.type, created_at: e.created_at, tenant: b.id, object: e.data.object });
  }
  for (const w of tenants.workspaces) {
    const items = await pages(async (cursor) => {
      const q = `/v1/workspace/${w.id}/events?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const body = await apiGet(base, w.ownerToken, q);
      return { items: body.events as any[], next: body.nextCursor as string | null };
    });
    for (const e of items)
      out.push({ id: e.id, type: e.type, created_at: e.created_at, tenant: w.id, object: e.data.object });
  }
  return out;
}

export function endpointsOf(tenants: Tenants): EndpointInfo[] {
  return [
    ...tenants.brands.map((b) => ({
      id: b.endpointId,
      tenant: b.id,
      surface: 'brand' as const,
      receiver: b.receiver.name,
      path: `/brand/${b.id}`,
      secret: b.secret,
    })),
    ...tenants.workspaces.map((w) => ({
      id: w.endpointId,
      tenant: w.id,
      surface: 'workspace' as const,
      receiver: w.receiver.name,
      path: `/workspace/${w.id}`,
      secret: w.secret,
    })),
  ];
}

/** The database, read in one read-only transaction (the checker never writes). */
export async function readDatabase(databaseUrl: string): Promise<DbState> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('begin transaction isolation level repeatable read read only');
    const q = async <T>(text: string) => (await client.query(text)).rows as T[];
    const state: DbState = {
      orders: await q('select id::text, brand_id, status, junction_order_id from lab_orders'),
      orderKeys: await q(
        "select resource_id, route, state from idempotency_keys where route like '%lab-orders%'",
      ),
      leasedJobs: await q(
        "select id::text, queue, locked_until::text from jobs where state = 'running' and locked_until < now()",
      ),
      visits: await q(
        `select id, workspace_id, lab_test_ids, subtotal_cents, discount_cents, total_cents, coupon_id,
                status, deleted_at is not null as deleted from lab_visits`,
      ),
      coupons: await q('select id, workspace_id, max_redemptions, redemptions from lab_coupons'),
      deliveries: await q('select endpoint_id, event_id, status from webhook_deliveries'),
    };
    await client.query('rollback');
    return state;
  } finally {
    await client.end();
  }
}

/** Every line of every log file, searched for the patient values the clients sent. */
export function scanLogs(files: string[]): LogScan[] {
  return files.map((file) => {
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const leaks: LogScan['leaks'] = [];
    for (const line of lines)
      for (const marker of PHI_MARKERS)
        if (line.includes(marker)) leaks.push({ marker, line: line.slice(0, 300) });
    return { file: path.basename(file), lines: lines.length, leaks };
  });
}

export async function observe(system: System, tenants: Tenants, logFiles: string[]): Promise<Observed> {
  const received: Record<string, Delivery[]> = {
    [system.healthy.name]: [...system.healthy.deliveries],
    [system.failing.name]: [...system.failing.deliveries],
  };
  return {
    simOrders: await simulatorOrders(system.simulator.url),
    simWebhooks: await simulatorWebhooks(system.simulator.url),
    events: await tenantEvents(system.replicaUrls[0]!.url, tenants),
    endpoints: endpointsOf(tenants),
    received,
    db: await readDatabase(system.databaseUrl),
    logs: scanLogs(logFiles),
  };
}
