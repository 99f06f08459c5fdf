/**
 * One chaos run: start the system, make the tenants, let clients work while faults are thrown,
 * stop the faults, let the system settle within its documented windows, then check every
 * invariant from outside and summarise.
 */
import path from 'node:path';
import pg from 'pg';
import { check, type Verdict } from './checker.js';
import { brandClient, labActor, staffClient, type ClientContext } from './clients.js';
import { observe } from './collect.js';
import { FaultSchedule, type FaultRecord } from './faults.js';
import { ROOT, sleep } from './processes.js';
import { Recorder } from './record.js';
import { beforeCheck, duringRun, sabotaged } from './sabotage.js';
import {
  HANG_BOUND_MS,
  logFiles,
  makeTenants,
  SETTINGS,
  settleWindowMs,
  SIM_API_KEY,
  startSystem,
} from './system.js';

export interface RunOptions {
  minutes: number;
  seed: number;
  /** admin URL of the PostgreSQL server (a database is made on it for the run) */
  adminUrl: string;
  runDir?: string;
  /** print progress lines */
  log?: (line: string) => void;
}

export interface Summary {
  seed: number;
  minutes: number;
  started_at: string;
  passed: boolean;
  reproduce: string;
  durations_s: { faults: number; drain: number; settle: number; settle_window: number; total: number };
  settled: boolean;
  settings: typeof SETTINGS & { HANG_BOUND_MS: number };
  requests: { total: number; by_status: Record<string, number>; by_outcome: Record<string, number> };
  faults: { total: number; by_kind: Record<string, number>; list: FaultRecord[] };
  world: {
    lab_orders: number;
    junction_orders: number;
    orders_by_status: Record<string, number>;
    lab_visits: number;
    events: number;
    deliveries: Record<string, number>;
    restarts: Record<string, number>;
    refused_starts: Record<string, number>;
  };
  invariants: Verdict[];
  run_dir: string;
  sabotaged?: string[];
}

const count = <T>(items: T[], key: (t: T) => string) => {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
};

/** Waits until nothing is in flight (or the window ends): orders submitting, deliveries and Junction webhooks pending. */
async function settle(databaseUrl: string, simUrl: string, windowMs: number): Promise<boolean> {
  const deadline = Date.now() + windowMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    await sleep(1000);
    try {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const { rows } = await client
        .query<{ busy: number }>(
          `select (select count(*) from lab_orders where status = 'submitting')
                + (select count(*) from webhook_deliveries where status = 'pending')
                + (select count(*) from jobs where state = 'running' and locked_until < now()) as busy`,
        )
        .finally(() => client.end());
      const sim = await fetch(`${simUrl}/_simulator/webhooks`, {
        headers: { 'x-vital-api-key': SIM_API_KEY },
      });
      const { pending } = (await sim.json()) as { pending: number };
      quiet = Number(rows[0]!.busy) === 0 && pending === 0 ? quiet + 1 : 0;
      if (quiet >= 3) return true;
    } catch {
      quiet = 0;
    }
  }
  return false;
}

export async function runChaos(o: RunOptions): Promise<Summary> {
  const log = o.log ?? (() => undefined);
  const startedAt = new Date();
  const runDir =
    o.runDir ??
    path.join(
      ROOT,
      'test-artifacts',
      'chaos',
      `seed-${o.seed}-${startedAt.toISOString().replace(/[:.]/g, '-')}`,
    );
  const broken = sabotaged();
  log(`chaos: seed ${o.seed}, ${o.minutes} min; logs in ${runDir}`);
  const system = await startSystem(o.adminUrl, runDir);
  // Stopped from outside (Ctrl-C, SIGTERM): stop every process this run started, drop its database.
  const stop = (signal: NodeJS.Signals) => {
    log(`chaos: ${signal}; stopping the system`);
    void system.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const tenants = await makeTenants(system, o.seed);
    log('chaos: system up (2 replicas, 1 worker, simulator, proxy, 2 receivers); clients and faults start');
    const recorder = new Recorder();
    const t0 = Date.now();
    const endAt = t0 + o.minutes * 60_000;
    const ctx: ClientContext = {
      seed: o.seed,
      recorder,
      replicas: system.replicaUrls,
      brands: tenants.brands,
      workspaces: tenants.workspaces,
      simulator: { url: system.simulator.url, apiKey: SIM_API_KEY },
      hangBoundMs: HANG_BOUND_MS,
      endAt,
      drainUntil: endAt + 30_000,
    };
    const faults = new FaultSchedule({
      seed: o.seed,
      simulator: { url: system.simulator.url, apiKey: SIM_API_KEY },
      proxy: system.proxy,
      processes: [...system.replicas, system.worker],
      failingReceiver: system.failing,
      junctionTimeoutMs: SETTINGS.JUNCTION_TIMEOUT_MS,
      endAt,
    });
    const clients = Promise.all([
      ...tenants.brands.flatMap((b) => [brandClient(ctx, b, 1), brandClient(ctx, b, 2)]),
      ...tenants.workspaces.flatMap((w) => [staffClient(ctx, w, 1), staffClient(ctx, w, 2)]),
      labActor(ctx),
    ]);
    await Promise.all([faults.run(), duringRun(broken, system)]);
    const faultsDone = Date.now();
    log(`chaos: faults stopped (${faults.records.length} thrown); clients finish what they began`);
    await clients;
    const drained = Date.now();
    const window = settleWindowMs();
    log(`chaos: settling (at most ${Math.round(window / 1000)} s)`);
    const settled = await settle(system.databaseUrl, system.simulator.url, window);
    const settledAt = Date.now();
    await beforeCheck(broken, system, recorder);
    const observed = await observe(system, tenants, logFiles(runDir));
    const verdicts = check({
      observed,
      calls: recorder.calls,
      keys: [...recorder.keys.values()],
      changes: recorder.changes,
      cuts: faults.cuts(),
      cutGraceMs: SETTINGS.DB_STATEMENT_TIMEOUT_MS + 2000,
      workspaces: tenants.workspaces,
      exits: [system.simulator, ...system.replicas, system.worker].flatMap((p) =>
        p.unexpectedExits.map((e) => ({ name: p.spec.name, ...e })),
      ),
    });
    const summary: Summary = {
      seed: o.seed,
      minutes: o.minutes,
      started_at: startedAt.toISOString(),
      passed: verdicts.every((v) => v.held),
      reproduce: `npm run chaos -- --minutes ${o.minutes} --seed ${o.seed}`,
      durations_s: {
        faults: Math.round((faultsDone - t0) / 1000),
        drain: Math.round((drained - faultsDone) / 1000),
        settle: Math.round((settledAt - drained) / 1000),
        settle_window: Math.round(window / 1000),
        total: Math.round((Date.now() - startedAt.getTime()) / 1000),
      },
      settled,
      settings: { ...SETTINGS, HANG_BOUND_MS },
      requests: {
        total: recorder.calls.length,
        by_status: count(recorder.calls, (c) => String(c.status ?? c.outcome)),
        by_outcome: count(recorder.calls, (c) => c.outcome),
      },
      faults: {
        total: faults.records.length,
        by_kind: count(faults.records, (f) => `${f.lane}:${f.kind}`),
        list: faults.records,
      },
      world: {
        lab_orders: observed.db.orders.length,
        junction_orders: observed.simOrders.length,
        orders_by_status: count(observed.db.orders, (r) => r.status),
        lab_visits: observed.db.visits.length,
        events: observed.events.length,
        deliveries: count(observed.db.deliveries, (d) => d.status),
        restarts: Object.fromEntries(
          [...system.replicas, system.worker].map((p) => [p.spec.name, p.starts - 1]),
        ),
        refused_starts: Object.fromEntries(
          [...system.replicas, system.worker].map((p) => [p.spec.name, p.failedStarts.length]),
        ),
      },
      invariants: verdicts,
      run_dir: path.relative(ROOT, runDir),
      ...(broken.size > 0 ? { sabotaged: [...broken] } : {}),
    };
    return summary;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await system.close();
  }
}

export function formatSummary(s: Summary): string {
  const lines = [
    `chaos run: seed ${s.seed}, ${s.minutes} min of faults, ${s.durations_s.total} s in all (settled in ${s.durations_s.settle} s of a ${s.durations_s.settle_window} s window${s.settled ? '' : ', NOT quiet'})`,
    `  requests: ${s.requests.total} (${Object.entries(s.requests.by_status)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')})`,
    `  faults: ${s.faults.total} (${Object.entries(s.faults.by_kind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    `  world: ${s.world.lab_orders} lab orders (${Object.entries(s.world.orders_by_status)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}), ${s.world.junction_orders} Junction orders, ${s.world.lab_visits} visits, ${s.world.events} events, deliveries ${JSON.stringify(s.world.deliveries)}, restarts ${JSON.stringify(s.world.restarts)}`,
    '  invariants:',
  ];
  for (const v of s.invariants) {
    lines.push(`    ${v.held ? 'held  ' : 'BROKEN'} ${v.invariant} (${v.checked} checked)`);
    for (const e of v.evidence) lines.push(`             ${e}`);
  }
  lines.push(s.passed ? '  PASSED' : `  FAILED; reproduce with: ${s.reproduce}`);
  return lines.join('\n');
}
