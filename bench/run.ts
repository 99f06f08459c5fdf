/**
 * `npm run bench [-- --quick] [--db pglite] [--only create,replay,…] [--profile]`
 *
 * labline, the Junction simulator and the baseline (bench/baseline/server.ts) run as separate
 * processes on 127.0.0.1; autocannon drives them from this process. Every figure is reported as
 * a ratio measured side by side in the same run, since absolute figures on a shared 2-core
 * machine move ±15 % between runs. See docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signToken } from '../src/http/auth.js';
import { SIMULATOR_PANELS } from '../src/junction/simulator/catalog.js';
import { junctionClientUserId } from '../src/lab-orders/junction-users.js';
import { createBenchDatabase, DEFAULT_SERVER_URL, type BenchDatabase } from './lib/database.js';
import { combine, measure, type LoadResult, type LoadSpec } from './lib/load.js';
import { freePort, postgresCpuCounter, ROOT, sleep, startService, type Service } from './lib/processes.js';
import { printTable, type Row } from './lib/report.js';
import { loadOrders, loadVisits, resetGrowthTables, seedGrowthClients } from './lib/growth-data.js';
import { startReceiver } from '../test/helpers/receiver.js';

const SCENARIOS = ['create', 'replay', 'slow', 'visits', 'growth', 'webhooks'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    db: { type: 'string', default: 'postgres' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    'database-url': { type: 'string' },
  },
});
if (args.db !== 'postgres' && args.db !== 'pglite') throw new Error('--db must be postgres or pglite');
const dbKind: 'postgres' | 'pglite' = args.db;
const quick = args.quick ?? false;
const only = new Set<Scenario>(
  args.only ? (args.only.split(',').map((s) => s.trim()) as Scenario[]) : SCENARIOS,
);
for (const s of only)
  if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown scenario ${s} (${SCENARIOS.join(', ')})`);
if (only.has('replay')) only.add('create');

const T = quick
  ? {
      warm: 1,
      seconds: 3,
      patients: 50,
      growthSmall: 1_000,
      growthLarge: 20_000,
      growthWarm: 1,
      growthSeconds: 2,
      webhookEvents: 200,
    }
  : {
      warm: 3,
      seconds: 10,
      patients: 1000,
      growthSmall: 1_000,
      growthLarge: 1_000_000,
      growthWarm: 2,
      growthSeconds: 10,
      webhookEvents: 2_000,
    };
const POOL_SIZE = 20;
const CREATE_CONNECTIONS = 50;
const SLOW_CONNECTIONS = 400;
const SLOW_LIGHT_CONNECTIONS = 100;
/** How long labline idles after start-up before its idle RSS is read: a replica waiting for traffic. */
const IDLE_SETTLE_MS = quick ? 2_000 : 15_000;
/** Timed starts of `npm start` for the ready figure (the smoke run only checks that it works). */
const READY_STARTS = quick ? 1 : 3;
/**
 * /metrics costs labline a few ms of CPU to render (more with 800 sockets open): sampled twice a
 * second on average (at random intervals: see measure), 30 times what a Prometheus scraping every
 * 15 s costs it. Four times a second took about 3 % of labline's CPU in the slow scenario.
 */
const POOL_SAMPLE_MS = 500;
const SLOW_LATENCY_MS = 1000;
const LIST_CONNECTIONS = 10;
const GROWTH_ROWS_PER_KEY = 20;
const BRAND = 'brand-bench';
const SIM_KEY = 'sk_bench_simulator';

const started = Date.now();
const runId = randomBytes(4).toString('hex');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'labline-bench-'));
let memoryNote = (): string => '';
const log = (msg: string) =>
  process.stdout.write(
    `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}${msg.startsWith('   ') ? memoryNote() : ''}\n`,
  );

const secret = randomBytes(32).toString('hex');
const panels = Object.entries(SIMULATOR_PANELS)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

/** The same demographics for every patient: the body's size, not its values, is what costs. */
function orderBody(patientId: string): string {
  return JSON.stringify({
    brand_id: BRAND,
    patient_id: patientId,
    panel_id: 'hashimotos',
    patient: {
      first_name: 'Ada',
      last_name: 'Bench',
      dob: '1985-04-12',
      email: 'ada.bench@example.com',
      gender: 'female',
      phone_number: '+15555550123',
    },
    address: {
      line1: '1 Bench Street',
      line2: 'Suite 2',
      city: 'San Francisco',
      state: 'CA',
      zip: '94110',
      country: 'US',
    },
  });
}

async function call(
  base: string,
  method: string,
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

async function expectStatus(
  what: string,
  p: Promise<{ status: number; body: any }>,
  ...ok: number[]
): Promise<any> {
  const res = await p;
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function machine(dbVersion: string) {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    database: dbVersion,
    os: `${os.type()} ${os.release()}`,
  };
}

async function main(): Promise<void> {
  log(
    `labline bench ${quick ? '(quick smoke) ' : ''}on ${dbKind}; scenarios: ${[...only].join(', ')}; work dir ${workDir}`,
  );
  const serverUrl = args['database-url'] ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_SERVER_URL;
  const db: BenchDatabase = await createBenchDatabase(dbKind, workDir, serverUrl);
  const services: Service[] = [];
  let labline: Service | null = null;
  const peaks = { rss: 0 };
  const watchMemory = () => {
    const m = labline?.memory();
    if (m) peaks.rss = Math.max(peaks.rss, m.peak, m.rss);
  };
  const memoryTimer = setInterval(watchMemory, 500);
  memoryNote = () => {
    const m = labline?.memory();
    return m
      ? ` [labline RSS ${(m.rss / 2 ** 20).toFixed(0)} MB, peak ${(m.peak / 2 ** 20).toFixed(0)} MB]`
      : '';
  };

  try {
    const dbVersion = await db.version();
    if (db.kind === 'pglite') await db.release();

    // The simulator: no webhook URL, so labline gets no webhooks the baseline would not get.
    const simPort = await freePort();
    const sim = await startService({
      name: 'simulator',
      entry: 'src/junction/simulator/main.ts',
      args: ['--port', String(simPort), '--api-key', SIM_KEY],
      env: {},
      port: simPort,
      readyPath: '/_simulator/faults',
      readyHeaders: { 'x-vital-api-key': SIM_KEY },
      logDir: workDir,
    });
    services.push(sim);
    const setFaults = (faults: object) =>
      expectStatus(
        'set simulator faults',
        call(sim.url, 'PUT', '/_simulator/faults', { body: faults, headers: { 'x-vital-api-key': SIM_KEY } }),
        200,
      );

    // labline runs as `npm start` runs it: the tsc build, plain node.
    log('building labline (npm run build)…');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // tsc still writes its output when it finds type errors (a work tree mid-edit).
      if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw err;
      log(
        `npm run build reported errors; running what it emitted:\n${String((err as { stdout?: Buffer }).stdout ?? '').slice(0, 2000)}`,
      );
    }
    const lablinePort = await freePort();
    const lablineEnv: Record<string, string> = {
      HOST: '127.0.0.1',
      PORT: String(lablinePort),
      DATA_DIR: db.dataDir,
      DB_POOL_SIZE: String(POOL_SIZE),
      AUTH_JWT_SECRET: secret,
      JUNCTION_API_KEY: SIM_KEY,
      JUNCTION_BASE_URL: sim.url,
      JUNCTION_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
      JUNCTION_PANELS: panels,
      // The webhook scenario's receiver listens on 127.0.0.1: a deployment refuses that unless asked.
      WEBHOOK_ALLOW_PRIVATE_URLS: '1',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // e.g. BENCH_LABLINE_NODE_OPTIONS=--max-old-space-size=128, to see what a heap cap costs
      ...(process.env.BENCH_LABLINE_NODE_OPTIONS
        ? { NODE_OPTIONS: process.env.BENCH_LABLINE_NODE_OPTIONS }
        : {}),
      ...(db.lablineUrl ? { DATABASE_URL: db.lablineUrl } : {}),
      ...(process.env.PGOPTIONS ? { PGOPTIONS: process.env.PGOPTIONS } : {}),
    };
    let lablineStarts = 0;
    const startLabline = async () => {
      lablineStarts++;
      labline = await startService({
        name: `labline-${lablineStarts}`,
        entry: 'dist/main.js',
        env: lablineEnv,
        port: lablinePort,
        readyPath: '/readyz',
        logDir: workDir,
        nodeFlags: args.profile
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${path.join(ROOT, 'bench/results')}`,
              `--cpu-prof-name=labline-${lablineStarts}.cpuprofile`,
            ]
          : [],
      });
      return labline;
    };
    const stopLabline = async () => {
      watchMemory();
      await labline?.stop();
      labline = null;
    };
    /** SQL on the database; on PGlite labline holds the files, so it stops around the SQL. */
    const withSql = async (fn: () => Promise<void>) => {
      if (db.kind === 'pglite') await stopLabline();
      await fn();
      if (db.kind === 'pglite') {
        await db.release();
        await startLabline();
      }
    };
    // Ready after `npm start` when already built: one start that builds if the sources are newer
    // than `npm start`'s last build (the bench's own build above does not count for it), then
    // READY_STARTS timed starts, each stopped with SIGTERM.
    log(`ready after npm start (built), ${READY_STARTS} start(s)…`);
    const secondsToReady = async (name: string) => {
      const started = performance.now();
      const service = await startService({
        name,
        command: ['npm', 'start', '--silent'],
        env: lablineEnv,
        port: lablinePort,
        readyPath: '/readyz',
        logDir: workDir,
        pollMs: 20,
        timeoutMs: 120_000,
      });
      const seconds = (performance.now() - started) / 1000;
      await service.stop();
      return seconds;
    };
    await secondsToReady('npm-start-0');
    const readySeconds: number[] = [];
    for (let i = 1; i <= READY_STARTS; i++) readySeconds.push(await secondsToReady(`npm-start-${i}`));
    log(`   ready after ${readySeconds.map((s) => `${s.toFixed(2)} s`).join(', ')}`);
    await startLabline();
    const lablineUrl = () => labline!.url;
    log(`labline ${lablineUrl()}, simulator ${sim.url}`);
    // Idle memory after start-up, before any request: what a replica costs while it waits.
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const idleRssMb = (labline!.memory()?.rss ?? 0) / 2 ** 20;

    const token = await signToken(secret, {
      sub: 'bench-clinical',
      scope: 'lab-orders:write lab-orders:read',
      brandIds: [BRAND],
    });
    const auth = { authorization: `Bearer ${token}` };

    // A fixed pool of patients whose Junction users exist and are cached by labline, as for a
    // brand ordering for its patients; the baseline is handed the same user ids.
    const patients = Array.from({ length: T.patients }, () => randomUUID());
    const bodies = patients.map(orderBody);
    const users: Record<string, string> = {};
    await pool(patients, 20, async (p) => {
      const res = await call(sim.url, 'POST', '/v2/user', {
        // As labline names a brand's patient at Junction: its first order finds this user.
        body: { client_user_id: junctionClientUserId(BRAND, p) },
        headers: { 'x-vital-api-key': SIM_KEY },
      });
      if (res.status !== 200) throw new Error(`simulator user: HTTP ${res.status}`);
      users[p] = res.body.user_id as string;
    });
    await pool(bodies, 20, async (body) => {
      await expectStatus(
        'first order of a patient',
        call(lablineUrl(), 'POST', '/v1/lab-orders', {
          token,
          body,
          headers: { 'idempotency-key': randomUUID() },
        }),
        201,
      );
    });
    const usersFile = path.join(workDir, 'users.json');
    fs.writeFileSync(usersFile, JSON.stringify(users));
    log(`${T.patients} patients with Junction users, each with one order through labline`);

    const figures: Record<string, unknown> = { ready_s: readySeconds.map((s) => round(s, 2)) };
    const rows: Row[] = [];
    const failures: string[] = [];
    const timing = { warmSeconds: T.warm, seconds: T.seconds };
    // The server's processes, other users' included: a rough figure, on a quiet machine only.
    const pgCpu = (): Record<string, () => number> =>
      db.kind === 'postgres' ? { postgres_server: postgresCpuCounter() } : {};
    const createSpec = (url: string, prefix: string): LoadSpec => ({
      url,
      method: 'POST',
      path: '/v1/lab-orders',
      connections: CREATE_CONNECTIONS,
      headers: auth,
      request: (n) => ({
        body: bodies[n % bodies.length],
        headers: { 'idempotency-key': `${prefix}-${runId}-${n}` },
      }),
    });
    const check = (name: string, r: LoadResult, allowErrors = false) => {
      if (r.ok === 0) failures.push(`${name}: no successful answer`);
      if (!allowErrors && (r.non2xx > 0 || r.errors > 0)) {
        failures.push(
          `${name}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors ${JSON.stringify(r.errorKinds)}`,
        );
      }
    };
    const brief = (r: LoadResult) => ({
      rps: round(r.rps),
      p50_ms: round(r.latency.p50, 2),
      p99_ms: round(r.latency.p99, 2),
      ok: r.ok,
      non2xx: r.non2xx,
      errors: r.errors,
      status_codes: r.statusCodes,
      error_kinds: r.errorKinds,
      ...(r.cpuMsPerRequest && { cpu_ms_per_request: r.cpuMsPerRequest }),
    });

    // The baseline, started for the first scenario that measures it (create, slow), stopped after the last.
    let baseline: Service | null = null;
    const startBaseline = async (): Promise<Service> => {
      if (baseline) return baseline;
      const basePort = await freePort();
      baseline = await startService({
        name: 'baseline',
        entry: 'bench/baseline/server.ts',
        env: {
          PORT: String(basePort),
          DATABASE_URL: db.baselineUrl,
          DB_POOL_SIZE: String(POOL_SIZE),
          JUNCTION_BASE_URL: sim.url,
          JUNCTION_API_KEY: SIM_KEY,
          JUNCTION_PANELS: panels,
          BASELINE_USERS_FILE: usersFile,
        },
        port: basePort,
        readyPath: '/healthz',
        logDir: workDir,
        nodeFlags: args.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench/results')}`] : [],
      });
      services.push(baseline);
      return baseline;
    };

    /** CPU read around a measurement: the server measured, the simulator and PostgreSQL. */
    const lablineCpu = () => ({
      labline: () => labline!.cpuSeconds(),
      simulator: () => sim.cpuSeconds(),
      ...pgCpu(),
    });
    const baselineCpu = () => ({
      baseline: () => baseline!.cpuSeconds(),
      simulator: () => sim.cpuSeconds(),
      ...pgCpu(),
    });

    // 1. create: labline vs the baseline, same body, same simulator, same database server.
    let create: LoadResult | null = null;
    if (only.has('create')) {
      const baseline = await startBaseline();
      // Side by side: both warmed up, then measured in halves in the order labline, baseline,
      // baseline, labline, so that a drift of the machine's load weighs on both alike.
      const lablineCreate = () => createSpec(lablineUrl(), 'create');
      const baselineCreate = () => createSpec(baseline.url, 'baseline');
      const half = { warmSeconds: 1, seconds: T.seconds / 2 };
      log('1. create: labline and baseline, warm-up…');
      await measure(lablineCreate(), { warmSeconds: 0, seconds: T.warm });
      await measure(baselineCreate(), { warmSeconds: 0, seconds: T.warm });
      log('1. create: labline, baseline, baseline, labline…');
      const l1 = await measure(lablineCreate(), half, { cpu: lablineCpu() });
      const b1 = await measure(baselineCreate(), half, { cpu: baselineCpu() });
      const b2 = await measure(baselineCreate(), half, { cpu: baselineCpu() });
      const l2 = await measure(lablineCreate(), half, { cpu: lablineCpu() });
      create = combine(l1, l2);
      const base = combine(b1, b2);
      check('create (labline)', create);
      check('create (baseline)', base);
      log(
        `   labline  ${create.rps.toFixed(0)} req/s (${l1.rps.toFixed(0)}, ${l2.rps.toFixed(0)}), p99 ${create.latency.p99.toFixed(1)} ms, CPU ms per request ${JSON.stringify(create.cpuMsPerRequest)}`,
      );
      log(
        `   baseline ${base.rps.toFixed(0)} req/s (${b1.rps.toFixed(0)}, ${b2.rps.toFixed(0)}), p99 ${base.latency.p99.toFixed(1)} ms, CPU ms per request ${JSON.stringify(base.cpuMsPerRequest)}`,
      );
      const rpsRatio = create.rps / base.rps;
      const p99Ratio = create.latency.p99 / base.latency.p99;
      figures.create = {
        labline: brief(create),
        baseline: brief(base),
        rps_ratio: round(rpsRatio, 3),
        p99_ratio: round(p99Ratio, 3),
      };
      rows.push(
        {
          figure: 'create: labline ÷ baseline req/s',
          value: ratio(rpsRatio),
          detail: `${fmt(create.rps)} ÷ ${fmt(base.rps)} req/s`,
          target: '≥ 0.80',
          met: rpsRatio >= 0.8,
        },
        {
          figure: 'create: labline ÷ baseline p99',
          value: ratio(p99Ratio),
          detail: `${ms(create.latency.p99)} ÷ ${ms(base.latency.p99)}`,
          target: '≤ 1.5',
          met: p99Ratio <= 1.5,
        },
      );
      const ownCpu = create.cpuMsPerRequest?.labline;
      if (ownCpu !== undefined) {
        rows.push({
          figure: 'create: labline CPU per request',
          value: `${ownCpu.toFixed(2)} ms`,
          detail: `baseline ${base.cpuMsPerRequest?.baseline?.toFixed(2) ?? '?'} ms; PostgreSQL ${create.cpuMsPerRequest?.postgres_server?.toFixed(2) ?? '—'} ÷ ${base.cpuMsPerRequest?.postgres_server?.toFixed(2) ?? '—'} ms`,
          target: '≤ 1.6 ms',
          met: ownCpu <= 1.6,
        });
      }
    }

    // 2. replay: the same keys and bodies again, answered from the stored responses.
    if (only.has('replay') && create) {
      const stored = bodies
        .slice(0, Math.min(bodies.length, 200))
        .map((body, i) => ({ body, key: `replay-${runId}-${i}` }));
      await pool(stored, 20, async ({ body, key }) => {
        await expectStatus(
          'order to replay',
          call(lablineUrl(), 'POST', '/v1/lab-orders', { token, body, headers: { 'idempotency-key': key } }),
          201,
        );
      });
      log('2. replay…');
      const replay = await measure(
        {
          url: lablineUrl(),
          method: 'POST',
          path: '/v1/lab-orders',
          connections: CREATE_CONNECTIONS,
          headers: auth,
          request: (n) => {
            const s = stored[n % stored.length]!;
            return { body: s.body, headers: { 'idempotency-key': s.key } };
          },
        },
        timing,
        { cpu: lablineCpu() },
      );
      check('replay', replay);
      const r = replay.rps / create.rps;
      log(
        `   replay ${replay.rps.toFixed(0)} req/s (${r.toFixed(2)} × create), CPU ms per request ${JSON.stringify(replay.cpuMsPerRequest)}`,
      );
      figures.replay = { ...brief(replay), ratio_to_create: round(r, 3) };
      rows.push({
        figure: 'replay ÷ create req/s',
        value: ratio(r),
        detail: `${fmt(replay.rps)} ÷ ${fmt(create.rps)} req/s`,
        target: '≥ 3',
        met: r >= 3,
      });
    }

    // 3. slow upstream: Junction answers after 1 s; 400 connections should get ~400 req/s.
    if (only.has('slow')) {
      await setFaults({ latencyMs: SLOW_LATENCY_MS });
      const slowRun = async (connections: number, t: { warmSeconds: number; seconds: number }) => {
        const gauge = { inUse: 0, waiting: 0, samples: 0, inUseSum: 0, waitingSum: 0 };
        let sampling = false;
        const sample = () => {
          if (sampling || !labline) return;
          sampling = true;
          fetch(`${lablineUrl()}/metrics`)
            .then((res) => res.text())
            .then((text) => {
              const read = (state: string) =>
                Number(
                  new RegExp(`^db_pool_connections\\{state="${state}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0,
                );
              gauge.inUse = Math.max(gauge.inUse, read('in_use'));
              gauge.waiting = Math.max(gauge.waiting, read('waiting'));
              gauge.inUseSum += read('in_use');
              gauge.waitingSum += read('waiting');
              gauge.samples++;
            })
            .catch(() => {})
            .finally(() => {
              sampling = false;
            });
        };
        log(`3. slow upstream (${SLOW_LATENCY_MS} ms, ${connections} connections)…`);
        const result = await measure(
          { ...createSpec(lablineUrl(), `slow${connections}`), connections, timeoutSeconds: 10 },
          t,
          {
            onTick: sample,
            tickMs: POOL_SAMPLE_MS,
            cpu: lablineCpu(),
          },
        );
        const bound = connections / (SLOW_LATENCY_MS / 1000);
        const errors = result.non2xx + result.errors;
        check(`slow upstream, ${connections} connections`, result, true);
        log(
          `   ${result.rps.toFixed(0)} req/s of ${bound} (${(result.rps / bound).toFixed(2)}), ${errors} errors, ` +
            `pool in use peak ${gauge.inUse}/${POOL_SIZE} (mean ${mean(gauge.inUseSum, gauge.samples)}), waiting peak ${gauge.waiting} ` +
            `(mean ${mean(gauge.waitingSum, gauge.samples)}), CPU ms per request ${JSON.stringify(result.cpuMsPerRequest)}`,
        );
        return { result, bound, ratio: result.rps / bound, errors, gauge };
      };
      // First a load labline's CPU can carry (it shows whether connections are held across the
      // Junction call: 100 requests waiting on Junction at once would need 100), then the target.
      const light = await slowRun(SLOW_LIGHT_CONNECTIONS, { warmSeconds: T.warm, seconds: T.seconds / 2 });
      const slow = await slowRun(SLOW_CONNECTIONS, timing);
      // The same load on the baseline: what this machine allows a server doing the least work.
      log(`3. slow upstream (${SLOW_LATENCY_MS} ms, ${SLOW_CONNECTIONS} connections), the baseline…`);
      const baseSlow = await measure(
        {
          ...createSpec((await startBaseline()).url, 'baseline-slow'),
          connections: SLOW_CONNECTIONS,
          timeoutSeconds: 10,
        },
        timing,
        {
          cpu: baselineCpu(),
        },
      );
      check(`slow upstream, ${SLOW_CONNECTIONS} connections (baseline)`, baseSlow, true);
      const baseSlowRatio = baseSlow.rps / slow.bound;
      log(
        `   baseline ${baseSlow.rps.toFixed(0)} req/s of ${slow.bound} (${baseSlowRatio.toFixed(2)}), CPU ms per request ${JSON.stringify(baseSlow.cpuMsPerRequest)}`,
      );
      await setFaults({});
      const poolFigure = (g: typeof slow.gauge) => ({
        size: POOL_SIZE,
        peak_in_use: g.inUse,
        mean_in_use: mean(g.inUseSum, g.samples),
        peak_waiting: g.waiting,
        mean_waiting: mean(g.waitingSum, g.samples),
        samples: g.samples,
      });
      figures.slow = {
        ...brief(slow.result),
        bound_rps: slow.bound,
        ratio_to_bound: round(slow.ratio, 3),
        pool: poolFigure(slow.gauge),
        baseline: { ...brief(baseSlow), ratio_to_bound: round(baseSlowRatio, 3) },
        light: {
          connections: SLOW_LIGHT_CONNECTIONS,
          ...brief(light.result),
          ratio_to_bound: round(light.ratio, 3),
          pool: poolFigure(light.gauge),
        },
      };
      const poolRow = (connections: number, g: typeof slow.gauge): Row =>
        db.kind === 'postgres'
          ? {
              figure: `slow upstream, ${connections} connections: DB pool in use, peak (mean)`,
              value: `${g.inUse}/${POOL_SIZE} (${mean(g.inUseSum, g.samples)})`,
              detail: `waiting: peak ${g.waiting}, mean ${mean(g.waitingSum, g.samples)} (${g.samples} samples, ${POOL_SAMPLE_MS} ms apart on average)`,
              target: 'never waits',
              met: g.waiting === 0 && g.samples > 0,
            }
          : {
              figure: `slow upstream, ${connections} connections: DB pool`,
              value: 'n/a',
              detail: 'PGlite: one embedded connection, no pool',
              target: '—',
              met: null,
            };
      rows.push(
        {
          figure: `slow upstream: req/s ÷ (${SLOW_CONNECTIONS} / 1 s)`,
          value: ratio(slow.ratio),
          detail: `${fmt(slow.result.rps)} req/s`,
          target: '≥ 0.90',
          met: slow.ratio >= 0.9,
        },
        {
          figure: 'slow upstream: errors',
          value: String(slow.errors),
          detail: JSON.stringify(slow.result.statusCodes),
          target: '0',
          met: slow.errors === 0,
        },
        {
          figure: `slow upstream, ${SLOW_CONNECTIONS} connections: the baseline's req/s ÷ (${SLOW_CONNECTIONS} / 1 s)`,
          value: ratio(baseSlowRatio),
          detail: `${fmt(baseSlow.rps)} req/s, ${baseSlow.non2xx + baseSlow.errors} errors`,
          target: '—',
          met: null,
        },
        poolRow(SLOW_CONNECTIONS, slow.gauge),
        {
          figure: `slow upstream, ${SLOW_LIGHT_CONNECTIONS} connections: req/s ÷ (${SLOW_LIGHT_CONNECTIONS} / 1 s)`,
          value: ratio(light.ratio),
          detail: `${fmt(light.result.rps)} req/s, ${light.errors} errors`,
          target: '—',
          met: null,
        },
        poolRow(SLOW_LIGHT_CONNECTIONS, light.gauge),
      );
    }

    // Workspace data for scenarios 4 and 5, through the API.
    let ws: { id: string; ownerToken: string; clientId: string } | null = null;
    if (only.has('visits') || only.has('growth')) {
      const admin = await signToken(secret, { sub: 'bench-admin', persona: 'admin' });
      const ownerId = randomBytes(12).toString('hex');
      const ownerToken = await signToken(secret, { sub: ownerId });
      const workspace = await expectStatus(
        'workspace',
        call(lablineUrl(), 'POST', '/v1/workspaces', {
          token: admin,
          body: { name: 'Bench clinic', ownerUserId: ownerId },
        }),
        201,
      );
      const id = workspace.workspace.id as string;
      for (const [testId, testTitle, price] of [
        [9101, 'Bench CBC', 25],
        [9205, 'Bench CRP', 30.5],
      ] as const) {
        await expectStatus(
          'catalog test',
          call(lablineUrl(), 'POST', '/v1/labs/tests', { token: admin, body: { testId, testTitle, price } }),
          201,
          409,
        );
      }
      const client = await expectStatus(
        'client',
        call(lablineUrl(), 'POST', `/v1/workspace/${id}/clients`, {
          token: ownerToken,
          body: { firstName: 'Bea', lastName: 'Bench' },
        }),
        201,
      );
      await expectStatus(
        'coupon',
        call(lablineUrl(), 'POST', `/v1/workspace/${id}/labs/coupons`, {
          token: ownerToken,
          body: { code: 'BENCH10', type: 'percent', value: 10 },
        }),
        201,
      );
      ws = { id, ownerToken, clientId: client.client.id as string };
    }

    // 4. create lab visit with a coupon (no maxRedemptions): every visit redeems the same coupon row.
    if (only.has('visits') && ws) {
      const body = JSON.stringify({
        clientId: ws.clientId,
        labVisitType: 'in-lab',
        labTestIds: [9101, 9205],
        labVisitDate: '2030-01-15T09:30:00Z',
        labCouponCode: 'bench10',
      });
      log('4. create lab visit with coupon…');
      const visits = await measure(
        {
          url: lablineUrl(),
          method: 'POST',
          path: `/v1/workspace/${ws.id}/labs/visits`,
          connections: CREATE_CONNECTIONS,
          headers: { authorization: `Bearer ${ws.ownerToken}` },
          request: () => ({ body }),
        },
        timing,
      );
      check('visits', visits);
      log(`   ${visits.rps.toFixed(0)} req/s, p99 ${visits.latency.p99.toFixed(1)} ms`);
      figures.visits = brief(visits);
      rows.push(
        {
          figure: 'create lab visit with coupon: req/s',
          value: fmt(visits.rps),
          detail: `${CREATE_CONNECTIONS} connections`,
          target: '—',
          met: null,
        },
        {
          figure: 'create lab visit with coupon: p99',
          value: ms(visits.latency.p99),
          detail: `p50 ${ms(visits.latency.p50)}`,
          target: '—',
          met: null,
        },
      );
    }

    // 5. growth: list p50 with 1M orders and visits in the tables ÷ p50 with 1k.
    if (only.has('growth') && ws) {
      const growthPatient = randomUUID();
      const listOrders: LoadSpec = {
        url: lablineUrl(),
        path: `/v1/lab-orders?patient_id=${growthPatient}`,
        connections: LIST_CONNECTIONS,
        headers: auth,
      };
      const listVisits = (): LoadSpec => ({
        url: lablineUrl(),
        path: `/v1/workspace/${ws.id}/labs/visits?clientId=${growthClient}`,
        connections: LIST_CONNECTIONS,
        headers: { authorization: `Bearer ${ws.ownerToken}` },
      });
      const growthClient = await (async () => {
        let id = '';
        await sleep(1000); // requests the last scenario left in flight finish before the tables are emptied
        await withSql(async () => {
          await resetGrowthTables(db);
          id = await seedGrowthClients(db, ws.id);
          await loadOrders(db, {
            from: 1,
            to: T.growthSmall,
            patient: growthPatient,
            perKey: GROWTH_ROWS_PER_KEY,
            brand: BRAND,
          });
          await loadVisits(db, {
            from: 1,
            to: T.growthSmall,
            workspaceId: ws.id,
            perKey: GROWTH_ROWS_PER_KEY,
          });
          for (const table of ['lab_orders', 'lab_visits']) await db.exec(`analyze ${table}`);
        });
        return id;
      })();
      // The brand's orders, second page: every order of the table is the brand's, so the page must
      // come from an index in the list's order, started at the cursor.
      const brandPage2 = async (): Promise<LoadSpec> => {
        const first = await expectStatus(
          'first page',
          call(lablineUrl(), 'GET', '/v1/lab-orders?limit=50', { token }),
          200,
        );
        const cursor = encodeURIComponent(first.next_cursor as string);
        return {
          url: lablineUrl(),
          path: `/v1/lab-orders?limit=50&cursor=${cursor}`,
          connections: LIST_CONNECTIONS,
          headers: auth,
        };
      };
      const growthTiming = { warmSeconds: T.growthWarm, seconds: T.growthSeconds };
      log(`5. growth: lists with ${fmt(T.growthSmall)} orders and visits…`);
      const smallOrders = await measure({ ...listOrders, url: lablineUrl() }, growthTiming);
      const smallVisits = await measure({ ...listVisits(), url: lablineUrl() }, growthTiming);
      const smallBrand = await measure(await brandPage2(), growthTiming);
      const loadStarted = Date.now();
      let counts = { orders: 0, visits: 0 };
      await withSql(async () => {
        await loadOrders(db, {
          from: T.growthSmall + 1,
          to: T.growthLarge,
          patient: null,
          perKey: GROWTH_ROWS_PER_KEY,
          brand: BRAND,
        });
        await loadVisits(db, {
          from: T.growthSmall + 1,
          to: T.growthLarge,
          workspaceId: ws.id,
          perKey: GROWTH_ROWS_PER_KEY,
        });
        for (const table of ['lab_orders', 'lab_visits']) await db.exec(`vacuum analyze ${table}`);
        // The load leaves some hundred MB of dirty pages: written now, not by the checkpointer
        // while the lists are measured (it moved the large list's p50 by up to 1.5×).
        if (db.kind === 'postgres') await db.exec('checkpoint');
        counts = await countGrowthRows(db);
      });
      const loadSeconds = (Date.now() - loadStarted) / 1000;
      log(
        `   loaded to ${fmt(counts.orders)} orders and ${fmt(counts.visits)} visits in ${loadSeconds.toFixed(0)} s; lists again…`,
      );
      const largeOrders = await measure({ ...listOrders, url: lablineUrl() }, growthTiming);
      const largeVisits = await measure({ ...listVisits(), url: lablineUrl() }, growthTiming);
      const largeBrand = await measure(await brandPage2(), growthTiming);
      for (const [name, r] of Object.entries({
        smallOrders,
        smallVisits,
        smallBrand,
        largeOrders,
        largeVisits,
        largeBrand,
      })) {
        check(`growth ${name}`, r);
      }
      const ordersRatio = largeOrders.latency.p50 / smallOrders.latency.p50;
      const visitsRatio = largeVisits.latency.p50 / smallVisits.latency.p50;
      const brandRatio = largeBrand.latency.p50 / smallBrand.latency.p50;
      log(
        `   orders p50 ${ms(smallOrders.latency.p50)} → ${ms(largeOrders.latency.p50)}; visits p50 ${ms(smallVisits.latency.p50)} → ${ms(largeVisits.latency.p50)}; ` +
          `the brand's 2nd page p50 ${ms(smallBrand.latency.p50)} → ${ms(largeBrand.latency.p50)}`,
      );
      figures.growth = {
        rows_small: T.growthSmall,
        rows_large: counts,
        rows_per_listed_key: GROWTH_ROWS_PER_KEY,
        load_seconds: round(loadSeconds, 1),
        orders: { small: brief(smallOrders), large: brief(largeOrders), p50_ratio: round(ordersRatio, 3) },
        visits: { small: brief(smallVisits), large: brief(largeVisits), p50_ratio: round(visitsRatio, 3) },
        brand_second_page: {
          small: brief(smallBrand),
          large: brief(largeBrand),
          p50_ratio: round(brandRatio, 3),
        },
      };
      const sizes = `${short(T.growthLarge)} ÷ ${short(T.growthSmall)} rows`;
      rows.push(
        {
          figure: `growth: GET /v1/lab-orders?patient_id= p50 (${sizes})`,
          value: ratio(ordersRatio),
          detail: `${ms(largeOrders.latency.p50)} ÷ ${ms(smallOrders.latency.p50)}`,
          target: '≤ 1.3',
          met: ordersRatio <= 1.3,
        },
        {
          figure: `growth: GET …/labs/visits?clientId= p50 (${sizes})`,
          value: ratio(visitsRatio),
          detail: `${ms(largeVisits.latency.p50)} ÷ ${ms(smallVisits.latency.p50)}`,
          target: '≤ 1.3',
          met: visitsRatio <= 1.3,
        },
        {
          figure: `growth: GET /v1/lab-orders?cursor= p50, the brand's 2nd page (${sizes})`,
          value: ratio(brandRatio),
          detail: `${ms(largeBrand.latency.p50)} ÷ ${ms(smallBrand.latency.p50)}`,
          target: '≤ 1.3',
          met: brandRatio <= 1.3,
        },
      );
    }

    // 7. webhooks: events delivered to a local receiver; creates while a slow receiver is fed.
    if (only.has('webhooks')) {
      const admin = await signToken(secret, {
        sub: 'bench-admin',
        scope: 'lab-orders:admin lab-orders:write lab-orders:read',
        brandIds: [BRAND],
      });
      const receiver = await startReceiver();
      const endpoint = await expectStatus(
        'webhook endpoint',
        call(lablineUrl(), 'POST', '/v1/webhook-endpoints', {
          token: admin,
          body: { url: `${receiver.url}/hooks`, brand_id: BRAND, events: ['lab_order.created'] },
        }),
        201,
      );
      const endpointPath = `/v1/webhook-endpoints/${endpoint.webhook_endpoint.id as string}`;
      const setEndpoint = (body: object) =>
        expectStatus(
          'PATCH endpoint',
          call(lablineUrl(), 'PATCH', endpointPath, { token: admin, body }),
          200,
        );
      try {
        // a. As many orders as events wanted, 50 at a time; each lab_order.created goes to the receiver.
        log(`7. webhooks: ${fmt(T.webhookEvents)} events to a receiver answering 200 at once…`);
        const firstId = receiver.received.length;
        const createdAt = new Map<string, number>();
        const n = T.webhookEvents;
        await pool(
          Array.from({ length: n }, (_, i) => i),
          CREATE_CONNECTIONS,
          async (i) => {
            await expectStatus(
              'order for a webhook',
              call(lablineUrl(), 'POST', '/v1/lab-orders', {
                token,
                body: bodies[i % bodies.length],
                headers: { 'idempotency-key': `hook-${runId}-${i}` },
              }),
              201,
            );
          },
        );
        const created = (r: { body: string }) => {
          const event = JSON.parse(r.body) as { id: string; created_at: string };
          createdAt.set(event.id, Date.parse(event.created_at));
          return event.id;
        };
        const distinct = () =>
          new Set(receiver.received.slice(firstId).map((r) => r.headers['webhook-id'])).size;
        await receiver.waitFor(() => distinct() >= n, 300_000);
        const got = receiver.received.slice(firstId);
        const delays = got.map((r) => r.at - (createdAt.get(created(r)) ?? r.at)).sort((a, b) => a - b);
        const firstEvent = Math.min(...createdAt.values());
        const lastReceipt = Math.max(...got.map((r) => r.at));
        const eventsPerSecond = n / ((lastReceipt - firstEvent) / 1000);
        const p99 = delays[Math.min(delays.length - 1, Math.ceil(0.99 * delays.length) - 1)] ?? NaN;
        const p50 = delays[Math.floor(0.5 * delays.length)] ?? NaN;
        const duplicates = got.length - distinct();
        log(
          `   ${fmt(n)} events in ${((lastReceipt - firstEvent) / 1000).toFixed(1)} s: ${eventsPerSecond.toFixed(0)} events/s, commit → receipt p50 ${ms(p50)}, p99 ${ms(p99)}, ${duplicates} sent twice`,
        );

        // b. Creates without a webhook endpoint taking them, then with one whose receiver takes 1 s.
        receiver.otherwise({ status: 200, delayMs: 1000 });
        await setEndpoint({ enabled: false });
        const hookCreate = (prefix: string) => createSpec(lablineUrl(), `${prefix}-${runId}`);
        // Segments without (w) and with (d) deliveries in the order w d d w d w w d: the machine's
        // speed moves within a run, and this order gives both kinds the same share of each part of
        // it (with four 5-second halves, w d d w, one slow phase landing on a pair decided the ratio).
        const order = ['w', 'd', 'd', 'w', 'd', 'w', 'w', 'd'] as const;
        const segment = { warmSeconds: 1, seconds: T.seconds / 4 };
        log(
          `7. webhooks: creates without deliveries (w) and with deliveries to a 1 s receiver (d), ${order.join(' ')}…`,
        );
        await measure(hookCreate('hook-warm'), { warmSeconds: 0, seconds: T.warm });
        const segments: Record<(typeof order)[number], LoadResult[]> = { w: [], d: [] };
        let enabled = false;
        for (const [i, kind] of order.entries()) {
          if ((kind === 'd') !== enabled) {
            enabled = kind === 'd';
            await setEndpoint({ enabled });
          }
          segments[kind].push(await measure(hookCreate(`hook-${kind}${i}`), segment, { cpu: lablineCpu() }));
        }
        const inFlight = receiver.received.length;
        if (enabled) await setEndpoint({ enabled: false });
        const without = segments.w.reduce(combine);
        const during = segments.d.reduce(combine);
        for (const [name, r] of [
          ['webhooks: creates without deliveries', without],
          ['webhooks: creates during slow deliveries', during],
        ] as const)
          check(name, r);
        const slowRatio = during.rps / without.rps;
        log(
          `   creates ${without.rps.toFixed(0)} req/s without, ${during.rps.toFixed(0)} req/s during deliveries to the 1 s receiver (${inFlight - firstId - got.length} delivered meanwhile); ` +
            `CPU ms per create without ${JSON.stringify(without.cpuMsPerRequest)}, during ${JSON.stringify(during.cpuMsPerRequest)}`,
        );
        figures.webhooks = {
          events: n,
          events_per_second: round(eventsPerSecond, 1),
          commit_to_receipt_ms: { p50: round(p50, 1), p99: round(p99, 1) },
          sent_twice: duplicates,
          slow_receiver: { without: brief(without), during: brief(during), rps_ratio: round(slowRatio, 3) },
        };
        rows.push(
          {
            figure: `webhooks: ${short(n)} events delivered, events/s`,
            value: fmt(eventsPerSecond),
            detail: `${CREATE_CONNECTIONS} concurrent creates feeding one endpoint`,
            target: '—',
            met: null,
          },
          {
            figure: 'webhooks: commit → receipt p99',
            value: ms(p99),
            detail: `p50 ${ms(p50)}; ${duplicates} sent twice`,
            target: '—',
            met: null,
          },
          {
            figure: 'webhooks: create req/s during 1 s deliveries ÷ without',
            value: ratio(slowRatio),
            detail: `${fmt(during.rps)} ÷ ${fmt(without.rps)} req/s`,
            target: '≥ 0.90',
            met: slowRatio >= 0.9,
          },
        );
      } finally {
        await call(lablineUrl(), 'DELETE', endpointPath, { token: admin }).catch(() => {});
        await receiver.close();
      }
    }

    // 6. peak RSS of labline across the run (VmHWM; the highest of its processes on PGlite).
    watchMemory();
    const rssMb = peaks.rss / 2 ** 20;
    figures.peak_rss_mb = round(rssMb, 1);
    const slowestReady = Math.max(...readySeconds);
    rows.push({
      figure: `ready after \`npm start\` (built), the slowest of ${READY_STARTS}`,
      value: `${slowestReady.toFixed(2)} s`,
      detail: readySeconds.map((s) => `${s.toFixed(2)} s`).join(', '),
      ...(db.kind === 'postgres' ? { target: '≤ 3 s', met: slowestReady <= 3 } : { target: '—', met: null }),
    });
    rows.push({
      figure: 'labline peak RSS',
      value: `${rssMb.toFixed(0)} MB`,
      detail: `across the run`,
      target: '≤ 300 MB',
      met: rssMb <= 300,
    });
    figures.idle_rss_mb = round(idleRssMb, 1);
    rows.push(
      db.kind === 'postgres'
        ? {
            figure: 'labline idle RSS after start-up',
            value: `${idleRssMb.toFixed(0)} MB`,
            detail: `${IDLE_SETTLE_MS / 1000} s after ready, before any request`,
            target: '≤ 160 MB',
            met: idleRssMb <= 160,
          }
        : {
            figure: 'labline idle RSS after start-up',
            value: `${idleRssMb.toFixed(0)} MB`,
            detail: 'PGlite: the database lives in this process',
            target: '—',
            met: null,
          },
    );

    await stopLabline();
    const result = {
      generated_at: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      database: dbKind,
      machine: machine(dbVersion),
      settings: {
        warmup_seconds: T.warm,
        measure_seconds: T.seconds,
        db_pool_size: POOL_SIZE,
        create_connections: CREATE_CONNECTIONS,
        slow_connections: SLOW_CONNECTIONS,
        slow_light_connections: SLOW_LIGHT_CONNECTIONS,
        slow_latency_ms: SLOW_LATENCY_MS,
        list_connections: LIST_CONNECTIONS,
        patients: T.patients,
        labline: 'node dist/main.js after npm run build (LOG_LEVEL=info, logs to a file)',
      },
      figures,
      table: rows,
      duration_seconds: round((Date.now() - started) / 1000, 1),
    };
    const out =
      args.out ??
      (quick
        ? path.join(ROOT, 'test-artifacts/bench/quick.json')
        : path.join(ROOT, `bench/results/${dbKind === 'postgres' ? 'latest' : 'latest-pglite'}.json`));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write('\n');
    printTable(rows, result.machine);
    process.stdout.write(`\n${path.relative(ROOT, out)} written; ${result.duration_seconds} s in all\n`);
    if (failures.length > 0) {
      process.stderr.write(`\nbench failed:\n  ${failures.join('\n  ')}\nlogs: ${workDir}\n`);
      process.exitCode = 1;
    }
  } finally {
    clearInterval(memoryTimer);
    for (const s of [labline as Service | null, ...services].reverse()) await s?.stop().catch(() => {});
    await db
      .drop()
      .catch((err: unknown) =>
        process.stderr.write(`could not drop the bench database: ${(err as Error).message}\n`),
      );
    if (process.exitCode !== 1 && !process.env.BENCH_KEEP_LOGS)
      fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function countGrowthRows(db: BenchDatabase): Promise<{ orders: number; visits: number }> {
  const [row] = await db.query<{ orders: string; visits: string }>(
    'select (select count(*) from lab_orders) as orders, (select count(*) from lab_visits) as visits',
  );
  return { orders: Number(row?.orders), visits: Number(row?.visits) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
const mean = (sum: number, n: number) => (n === 0 ? NaN : Math.round((sum / n) * 10) / 10);
/** Two decimals, three when two would round onto a target's edge (0.799 is not shown as 0.80). */
const ratio = (n: number) => {
  const two = n.toFixed(2);
  return `${Number(two) !== n && [0.8, 0.9, 1.3, 1.5, 3].includes(Number(two)) ? n.toFixed(3) : two}×`;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
const short = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
