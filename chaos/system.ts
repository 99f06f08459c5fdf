/**
 * The system under test, all on 127.0.0.1: a fresh database on the configured PostgreSQL server
 * reached through a TCP proxy (so it can be cut), the Junction simulator as its own process, two
 * API replicas (RUN_WORKERS=false) and one worker process (`cli.ts worker`), a stand-in load
 * balancer for Junction's webhooks, and two webhook receivers. Then the world the clients work in,
 * made through the public API: two brands, two workspaces with catalog prices, clients and
 * limited coupons, and a webhook endpoint per tenant.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { signToken } from '../src/http/auth.js';
import { SIMULATOR_PANELS } from '../src/junction/simulator/catalog.js';
import { newObjectId } from '../src/http/object-id.js';
import { PHI } from '../test/helpers/phi.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import type { BrandWorld, Replica, WorkspaceWorld } from './clients.js';
import { freePort, ManagedProcess } from './processes.js';
import { startBalancer, startChaosReceiver, type ChaosReceiver } from './receivers.js';
import { Rng } from './rng.js';

/** The run's settings, scaled so that a minute holds many retries, leases and reconciliations. */
export const SETTINGS = {
  JUNCTION_TIMEOUT_MS: 1500,
  IDEMPOTENCY_LEASE_SECONDS: 5,
  DB_STATEMENT_TIMEOUT_MS: 5000,
  DB_POOL_SIZE: 8,
  RECONCILE_INTERVAL_SECONDS: 2,
  JOB_LEASE_SECONDS: 5,
  JOB_POLL_INTERVAL_MS: 500,
  WEBHOOK_TIMEOUT_MS: 2000,
  WEBHOOK_RETRY_SCHEDULE: [1, 2, 2, 3],
  /** the simulator's webhook retries: attempts, first delay doubling to a cap */
  SIM_WEBHOOK_ATTEMPTS: 12,
  SIM_WEBHOOK_BASE_DELAY_MS: 500,
  SIM_WEBHOOK_MAX_DELAY_MS: 4000,
  SIM_WEBHOOK_TIMEOUT_MS: 5000,
} as const;

/**
 * The longest a request may take before it counts as a hang: a create calls Junction at most
 * four times (user, order, and once more each after Junction forgot the user), each within
 * JUNCTION_TIMEOUT_MS, and runs its statements, each within DB_STATEMENT_TIMEOUT_MS (two phases).
 */
export const HANG_BOUND_MS = 4 * SETTINGS.JUNCTION_TIMEOUT_MS + 2 * SETTINGS.DB_STATEMENT_TIMEOUT_MS;

/** The documented windows the system gets to settle once faults stop (see docs/reliability.md). */
export function settleWindowMs(): number {
  const s = SETTINGS;
  const lease = s.IDEMPOTENCY_LEASE_SECONDS * 1000 + 2 * s.RECONCILE_INTERVAL_SECONDS * 1000;
  const outbound =
    s.WEBHOOK_RETRY_SCHEDULE.reduce((a, b) => a + b, 0) * 1000 +
    (s.WEBHOOK_RETRY_SCHEDULE.length + 1) * s.WEBHOOK_TIMEOUT_MS +
    s.JOB_LEASE_SECONDS * 1000;
  let inbound = 0;
  for (let i = 0; i < s.SIM_WEBHOOK_ATTEMPTS - 1; i++)
    inbound += Math.min(s.SIM_WEBHOOK_MAX_DELAY_MS, s.SIM_WEBHOOK_BASE_DELAY_MS * 2 ** i);
  return lease + outbound + inbound;
}

export const SIM_API_KEY = 'sk_chaos_simulator';
const ADMIN_ID = '65c0000000000000000000aa';

export interface System {
  runDir: string;
  databaseUrl: string;
  adminUrl: string;
  databaseName: string;
  proxy: TcpProxy;
  simulator: ManagedProcess & { url: string; webhookSecret: string };
  replicas: ManagedProcess[];
  worker: ManagedProcess;
  replicaUrls: Replica[];
  healthy: ChaosReceiver;
  failing: ChaosReceiver;
  jwtSecret: string;
  close(keepDatabase?: boolean): Promise<void>;
}

export interface Tenants {
  brands: (BrandWorld & { receiver: ChaosReceiver; endpointId: string; secret: string })[];
  workspaces: (WorkspaceWorld & { receiver: ChaosReceiver; endpointId: string; secret: string })[];
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function startSystem(adminUrl: string, runDir: string): Promise<System> {
  fs.mkdirSync(runDir, { recursive: true });
  const databaseName = `labline_chaos_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`create database ${databaseName}`));
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${databaseName}`;
  const databaseUrl = dbUrl.toString();
  const proxy = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });

  const healthy = await startChaosReceiver('healthy');
  const failing = await startChaosReceiver('failing');
  const replicaPorts = [await freePort(), await freePort()];
  const replicaUrls: Replica[] = replicaPorts.map((p, i) => ({
    name: `replica-${'ab'[i]}`,
    url: `http://127.0.0.1:${p}`,
  }));
  const replicas: ManagedProcess[] = [];
  const balancer = await startBalancer(() =>
    replicas.filter((r) => r.running).map((r) => `http://127.0.0.1:${r.spec.env.PORT}`),
  );

  const simPort = await freePort();
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const s = SETTINGS;
  const simulator = Object.assign(
    new ManagedProcess({
      name: 'simulator',
      entry: 'src/junction/simulator/main.ts',
      args: [
        ...['--port', String(simPort), '--api-key', SIM_API_KEY],
        ...['--webhook-url', `${balancer.url}/v1/webhooks/junction`, '--webhook-secret', webhookSecret],
        ...['--webhook-attempts', String(s.SIM_WEBHOOK_ATTEMPTS)],
        ...['--webhook-base-delay-ms', String(s.SIM_WEBHOOK_BASE_DELAY_MS)],
        ...['--webhook-max-delay-ms', String(s.SIM_WEBHOOK_MAX_DELAY_MS)],
        ...['--webhook-timeout-ms', String(s.SIM_WEBHOOK_TIMEOUT_MS)],
      ],
      env: {},
      readyPattern: /Junction simulator listening/,
      logDir: runDir,
    }),
    { url: `http://127.0.0.1:${simPort}`, webhookSecret },
  );
  await simulator.start();

  const jwtSecret = randomBytes(32).toString('hex');
  const env = (extra: Record<string, string>) => ({
    DEMO: '0',
    DATABASE_URL: proxy.via(databaseUrl),
    AUTH_JWT_SECRET: jwtSecret,
    JUNCTION_API_KEY: SIM_API_KEY,
    JUNCTION_BASE_URL: simulator.url,
    JUNCTION_WEBHOOK_SECRET: webhookSecret,
    JUNCTION_PANELS: Object.entries(SIMULATOR_PANELS)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    JUNCTION_TIMEOUT_MS: String(s.JUNCTION_TIMEOUT_MS),
    IDEMPOTENCY_LEASE_SECONDS: String(s.IDEMPOTENCY_LEASE_SECONDS),
    DB_STATEMENT_TIMEOUT_MS: String(s.DB_STATEMENT_TIMEOUT_MS),
    DB_POOL_SIZE: String(s.DB_POOL_SIZE),
    RECONCILE_INTERVAL_SECONDS: String(s.RECONCILE_INTERVAL_SECONDS),
    JOB_LEASE_SECONDS: String(s.JOB_LEASE_SECONDS),
    JOB_POLL_INTERVAL_MS: String(s.JOB_POLL_INTERVAL_MS),
    WEBHOOK_TIMEOUT_MS: String(s.WEBHOOK_TIMEOUT_MS),
    WEBHOOK_RETRY_SCHEDULE: s.WEBHOOK_RETRY_SCHEDULE.join(','),
    WEBHOOK_ALLOW_PRIVATE_URLS: '1',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    ...extra,
  });
  for (const [i, r] of replicaUrls.entries()) {
    replicas.push(
      new ManagedProcess({
        name: r.name,
        entry: 'src/main.ts',
        env: env({ PORT: String(replicaPorts[i]), RUN_WORKERS: 'false' }),
        readyUrl: `${r.url}/readyz`,
        logDir: runDir,
      }),
    );
  }
  const worker = new ManagedProcess({
    name: 'worker',
    entry: 'src/cli.ts',
    args: ['worker'],
    env: env({}),
    readyPattern: /labline worker running/,
    logDir: runDir,
  });
  // The first replica applies the migrations; the others start once they are in.
  await replicas[0]!.start();
  await Promise.all([replicas[1]!.start(), worker.start()]);

  return {
    runDir,
    databaseUrl,
    adminUrl,
    databaseName,
    proxy,
    simulator,
    replicas,
    worker,
    replicaUrls,
    healthy,
    failing,
    jwtSecret,
    async close(keepDatabase = false) {
      await Promise.all([...replicas, worker, simulator].map((p) => p.stop(10_000)));
      await Promise.all([healthy.close(), failing.close(), balancer.close(), proxy.close()]);
      if (!keepDatabase)
        await admin(adminUrl, (c) => c.query(`drop database if exists ${databaseName} with (force)`));
    },
  };
}

async function call(base: string, token: string, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`setup: ${method} ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

const CATALOG: [number, string, number][] = [
  [9101, 'CBC', 40],
  [9102, 'CRP', 60],
  [9103, 'Ferritin', 25.5],
  [9104, 'Lipid panel', 80],
  [9105, 'HbA1c', 12.99],
];

/** The tenants, made through the public API as their operators would. */
export async function makeTenants(system: System, seed: number): Promise<Tenants> {
  const rng = Rng.derive(seed, 'world');
  const base = system.replicaUrls[0]!.url;
  const sign = (claims: Parameters<typeof signToken>[1]) => signToken(system.jwtSecret, claims, '24h');
  const adminToken = await sign({ sub: ADMIN_ID, persona: 'admin' });
  for (const [testId, testTitle, price] of CATALOG)
    await call(base, adminToken, 'POST', '/v1/labs/tests', { testId, testTitle, price });

  const brands: Tenants['brands'] = [];
  for (const [name, receiver] of [
    ['chaos-brand-a', system.healthy],
    ['chaos-brand-b', system.failing],
  ] as const) {
    const token = await sign({
      sub: `svc-${name}`,
      scope: 'lab-orders:write lab-orders:read lab-orders:admin',
      brandIds: [name],
    });
    const { webhook_endpoint: ep } = await call(base, token, 'POST', '/v1/webhook-endpoints', {
      url: `${receiver.url}/brand/${name}`,
      brand_id: name,
    });
    const patients = Array.from({ length: 6 }, () => rng.uuid());
    brands.push({ id: name, token, patients, receiver, endpointId: ep.id, secret: ep.secret });
  }

  const workspaces: Tenants['workspaces'] = [];
  for (const [i, receiver] of [system.healthy, system.failing].entries()) {
    const ownerId = newObjectId();
    const staffId = newObjectId();
    const ownerToken = await sign({ sub: ownerId });
    const staffToken = await sign({ sub: staffId });
    const { workspace } = await call(base, adminToken, 'POST', '/v1/workspaces', {
      name: `Chaos Clinic ${'AB'[i]}`,
      ownerUserId: ownerId,
    });
    const wsBase = `/v1/workspace/${workspace.id}`;
    await call(base, ownerToken, 'POST', `${wsBase}/members`, {
      userId: staffId,
      role: 'staff',
      permissions: ['labs.run', 'clients.write'],
    });
    const prices: Record<number, number> = Object.fromEntries(CATALOG.map(([id, , price]) => [id, price]));
    // The workspace's own price for one test wins over the catalog's.
    const own = rng.pick(CATALOG)[0];
    prices[own] = rng.int(1000, 9000) / 100;
    await call(base, ownerToken, 'PUT', `${wsBase}/labs/tests/${own}`, {
      testTitle: 'House test',
      price: prices[own],
    });
    const clientIds: string[] = [];
    for (let c = 0; c < 3; c++) {
      const { client } = await call(base, ownerToken, 'POST', `${wsBase}/clients`, {
        firstName: PHI.firstName,
        lastName: PHI.lastName,
        email: PHI.email,
        dob: PHI.dob,
        phone: PHI.phone,
      });
      clientIds.push(client.id as string);
    }
    const coupons = [];
    for (const def of [
      { code: 'LIMIT3', type: 'percent', value: 10, maxRedemptions: 3 },
      { code: 'FIXED15', type: 'fixed', value: 15, maxRedemptions: 5 },
      { code: 'QUARTER', type: 'percent', value: 25, maxRedemptions: 8 },
    ] as const) {
      const { labCoupon } = await call(base, ownerToken, 'POST', `${wsBase}/labs/coupons`, def);
      coupons.push({ ...def, id: labCoupon.id as string });
    }
    const { webhookEndpoint: ep } = await call(base, ownerToken, 'POST', `${wsBase}/webhook-endpoints`, {
      url: `${receiver.url}/workspace/${workspace.id}`,
    });
    workspaces.push({
      id: workspace.id,
      ownerToken,
      staffToken,
      clientIds,
      prices,
      coupons,
      receiver,
      endpointId: ep.id,
      secret: ep.secret,
    });
  }
  return { brands, workspaces };
}

export function logFiles(runDir: string): string[] {
  return fs
    .readdirSync(runDir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(runDir, f));
}
