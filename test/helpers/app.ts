/**
 * Builds the real app (same buildApp, same config parsing as production) on a fresh database,
 * listens on a random port and talks HTTP to it. Log lines are captured for PHI checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/http/app-type.js';
import { loadServiceConfig, type Config } from '../../src/config.js';
import { migrateDatabase, openDatabase, type Database } from '../../src/db/database.js';
import { mintedTokenLifetime, signToken, type TokenClaims } from '../../src/http/auth.js';
import { createLogger } from '../../src/http/logging.js';
import { Metrics } from '../../src/http/metrics.js';
import { startDemoJunction } from '../../src/demo/junction.js';
import { seedDemo } from '../../src/demo/seed.js';
import { SIMULATOR_PANELS, startSimulator, type Simulator } from '../../src/junction/simulator/index.js';
import { createTestDatabase, withTemplate, type TestDatabase } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
export const SIM_KEY = 'sk_test_simulator';

/** Configuration that points the service at a Junction — here the simulator — as production would. */
export function junctionEnv(sim: Simulator): Record<string, string> {
  return {
    JUNCTION_API_KEY: SIM_KEY,
    JUNCTION_BASE_URL: sim.url,
    JUNCTION_WEBHOOK_SECRET: sim.webhookSecret,
    JUNCTION_PANELS: Object.entries(SIMULATOR_PANELS)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    JUNCTION_TIMEOUT_MS: '1500',
  };
}

export interface TestApp {
  app: App;
  /** the Junction simulator this app talks to over HTTP */
  sim: Simulator;
  config: Config;
  database: Database;
  baseUrl: string;
  /** every log line this app wrote */
  logs: string[];
  token(claims: TokenClaims, expiresIn?: string | number): Promise<string>;
  request(method: string, url: string, options?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** raw body text, sent as is */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  /** parsed JSON body (undefined when the body is not JSON) */
  body: any;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** reuse a database (two app instances on one database); otherwise a fresh one is made */
  databaseUrl?: string;
  /** a running simulator to use (shared between apps); otherwise one is started and stopped with the app */
  sim?: Simulator;
  /** extra routes for a test (registered after the production ones, before listening) */
  extend?: (app: App) => void;
  /**
   * Demo mode as main.ts runs it with DEMO=1 (a secret and a database configured, no Junction
   * key): the in-process simulator with its state in a scratch DATA_DIR, the demo seed, the demo
   * routes. `sim` is then that simulator.
   */
  demo?: boolean;
  /**
   * Adjusts the loaded configuration. For what the environment cannot say on PGlite: production
   * mode requires a PostgreSQL server, so a test of production rules on PGlite sets them here.
   */
  config?: (config: Config) => Config;
}

const LOG_DIR = path.resolve('test-artifacts/logs');

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  let testDb: TestDatabase | null = null;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    testDb = await createTestDatabase();
    databaseUrl = testDb.url;
  }
  const demoDataDir = options.demo ? fs.mkdtempSync(path.join(os.tmpdir(), 'labline-demo-app-')) : null;
  const junctionSim = demoDataDir ? null : (options.sim ?? (await startSimulator({ apiKey: SIM_KEY })));
  const loaded = loadServiceConfig({
    ...(junctionSim ? junctionEnv(junctionSim) : { DATA_DIR: demoDataDir!, DEMO: '1' }),
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    DATABASE_URL: databaseUrl,
    DB_POOL_SIZE: '10',
    LOG_LEVEL: 'info',
    // Receivers and the simulator listen on 127.0.0.1 (demo mode allows it by itself).
    WEBHOOK_ALLOW_PRIVATE_URLS: '1',
    ...options.env,
  });
  const config = options.config ? options.config(loaded) : loaded;
  const logs: string[] = [];
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${process.pid}.ndjson`);
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = chunk.toString();
      logs.push(text);
      fs.appendFileSync(logFile, text);
      cb();
    },
  });
  const database = await openDatabase(withTemplate(config.database));
  await migrateDatabase(config.database, database);
  const logger = createLogger('info', stream);
  const demo = demoDataDir
    ? await startDemoJunction(config, new Metrics(() => database.poolStats()), logger)
    : null;
  if (demo) await seedDemo(database);
  const sim = demo?.simulator ?? junctionSim!;
  const app = await buildApp({
    config,
    database,
    jwtSecret: TEST_JWT_SECRET,
    logger,
    ...(demo ? { junction: demo.junction, demo: { simulator: demo.simulator } } : {}),
  });
  options.extend?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  sim.setWebhookUrl(`${baseUrl}/v1/webhooks/junction`);

  return {
    app,
    sim,
    config,
    database,
    baseUrl,
    logs,
    // Within the app's AUTH_MAX_TOKEN_LIFETIME_HOURS unless a test says otherwise.
    token: (claims, expiresIn) =>
      signToken(TEST_JWT_SECRET, claims, expiresIn ?? mintedTokenLifetime(config.auth.maxTokenLifetimeHours)),
    request: (method, url, opts = {}) => httpRequest(baseUrl, method, url, opts),
    async close() {
      await app.close();
      await database.close();
      await testDb?.drop();
      if (!options.sim) await sim.close();
      if (demoDataDir) fs.rmSync(demoDataDir, { recursive: true, force: true });
    },
  };
}

export async function httpRequest(
  baseUrl: string,
  method: string,
  url: string,
  opts: RequestOptions = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${baseUrl}${url}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}
