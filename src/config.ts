/**
 * The one place that reads the environment. Every variable is parsed strictly: a value that
 * does not parse stops start-up with a message naming the variable (never a silent default).
 */
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

export type JunctionEnvironment = 'sandbox' | 'production';
export type JunctionRegion = 'us' | 'eu';
export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolSize: number; statementTimeoutMs: number }
  | {
      kind: 'pglite';
      dataDir: string | null;
      statementTimeoutMs: number;
      /**
       * An in-memory database starts as this image of a data directory (PGlite's `dumpDataDir`)
       * instead of an empty cluster. Never set from the environment: the tests start each file's
       * database from one migrated image.
       */
      image?: Blob;
    };

export const NODE_ENVS = ['production', 'development', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export interface Config {
  readonly nodeEnv: NodeEnv;
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  /**
   * Which proxies in front may say the client's protocol, host and address (X-Forwarded-*):
   * false (none, the default), true (any), or the proxies' addresses/CIDR ranges.
   */
  readonly trustProxy: boolean | string[];
  readonly logLevel: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly auth: {
    readonly jwtSecret: string | null;
    readonly jwksUrl: string | null;
    readonly issuer: string | null;
    readonly audience: string | null;
    /** the longest lifetime a bearer JWT may have (exp − iat, or exp − now without iat) */
    readonly maxTokenLifetimeHours: number;
  };
  readonly junction: {
    /** null = the built-in Junction simulator runs in-process. */
    readonly apiKey: string | null;
    readonly baseUrl: string | null;
    readonly environment: JunctionEnvironment;
    readonly region: JunctionRegion;
    readonly webhookSecret: string | null;
    readonly timeoutMs: number;
    /** panel_id -> Junction lab test id; empty means "not configured". */
    readonly panels: Readonly<Record<string, string>>;
  };
  /** the job queue (docs/jobs.md) */
  readonly jobs: {
    /** this process runs workers (RUN_WORKERS) */
    readonly runWorkers: boolean;
    readonly pollIntervalMs: number;
    readonly leaseSeconds: number;
  };
  /** lab order reconciliation (docs/clinical-lab-orders.md) */
  readonly reconcile: {
    readonly intervalSeconds: number;
    readonly staleAfterHours: number;
    readonly refreshPerMinute: number;
  };
  readonly idempotencyTtlHours: number;
  readonly idempotencyLeaseSeconds: number;
  /** outbound webhooks (docs/webhooks.md) */
  readonly webhooks: WebhookConfig;
  /**
   * Demo mode (docs/demo.md): on when nothing is configured, or with DEMO=1; anything configured
   * without DEMO=1 is a deployment. Demo mode supplies what is not configured (a generated secret,
   * the in-process simulator) and adds the demo seed, the demo routes and tokens.
   */
  readonly demo: boolean;
  /** why the mode is what it is, for the start-up banner */
  readonly modeReason: string;
}

export interface WebhookConfig {
  readonly timeoutMs: number;
  /** seconds to wait before each retry; the delivery fails after the last */
  readonly retrySchedule: readonly number[];
  readonly disableAfterHours: number;
  /** loopback, private and other non-public addresses allowed (demo mode, or WEBHOOK_ALLOW_PRIVATE_URLS=1) */
  readonly allowPrivateUrls: boolean;
  /** deliveries in flight at once to one endpoint, per process */
  readonly concurrencyPerEndpoint: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]}`
        : `Invalid configuration:\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

export const PANEL_IDS = ['hashimotos', 'pcos', 'fertility'] as const;
export type PanelId = (typeof PANEL_IDS)[number];

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string;
  string(name: string, fallback: null): string | null;
  string(name: string, fallback: string | null): string | null {
    return this.raw(name) ?? fallback;
  }

  /** `false` (default), `true`, or a comma-separated list of the proxies' addresses or CIDR ranges. */
  trustProxy(name: string): boolean | string[] {
    const v = this.raw(name)?.trim();
    if (v === undefined || v === '' || v === 'false') return false;
    if (v === 'true') return true;
    const list = v.split(',').map((a) => a.trim());
    if (list.every((a) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(a) && a !== '')) return list;
    this.problems.push(
      `${name} must be true, false or a comma-separated list of the proxies' addresses or CIDR ranges (got "${v}")`,
    );
    return false;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${v}")`);
      return fallback;
    }
    return Number(v);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
      return fallback;
    }
    return v as T;
  }

  /** `true` or `1`, `false` or `0`. */
  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!['true', 'false', '1', '0'].includes(v)) {
      this.problems.push(`${name} must be 1 or true, 0 or false (got "${v}")`);
      return fallback;
    }
    return v === 'true' || v === '1';
  }

  /** Comma-separated integers, each from `min` to `max`; at least one, at most `maxCount`. */
  intList(
    name: string,
    fallback: readonly number[],
    min: number,
    max: number,
    maxCount: number,
  ): readonly number[] {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const parts = v.split(',').map((p) => p.trim());
    if (
      parts.length > maxCount ||
      !parts.every((p) => /^\d+$/.test(p) && Number(p) >= min && Number(p) <= max)
    ) {
      this.problems.push(
        `${name} must be 1 to ${maxCount} comma-separated integers, each from ${min} to ${max} (got "${v}")`,
      );
      return fallback;
    }
    return parts.map(Number);
  }

  url(name: string, protocols: readonly string[]): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return v;
    } catch {
      this.problems.push(`${name} must be a ${protocols.join(' or ')} URL (got "${redactUrl(v)}")`);
      return null;
    }
  }
}

/** A signing secret the webhook library accepts (it would otherwise fail on the first webhook): whsec_ + base64. */
function isSvixSecret(v: string): boolean {
  if (!v.startsWith('whsec_')) return false;
  try {
    new Webhook(v);
  } catch {
    return false;
  }
  return v.length > 'whsec_'.length;
}

function redactUrl(v: string): string {
  return v.replace(/\/\/[^@/]*@/, '//***@');
}

function parsePanels(r: Reader): Record<string, string> {
  const v = r.raw('JUNCTION_PANELS');
  if (v === undefined) return {};
  const out: Record<string, string> = {};
  for (const part of v.split(',')) {
    const [panel, testId, ...rest] = part.split('=').map((s) => s.trim());
    if (!panel || !testId || rest.length > 0 || !(PANEL_IDS as readonly string[]).includes(panel)) {
      r.problems.push(
        `JUNCTION_PANELS must look like hashimotos=<lab_test_id>,pcos=<id>,fertility=<id> (bad entry "${part}")`,
      );
      continue;
    }
    out[panel] = testId;
  }
  return out;
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  // A mistyped NODE_ENV (`prod`) must not start a deployment with production's protections off.
  const nodeEnv = r.oneOf<NodeEnv>('NODE_ENV', NODE_ENVS, 'development');
  const production = nodeEnv === 'production';
  const dataDir = path.resolve(r.string('DATA_DIR', './.data'));
  const statementTimeoutMs = r.int('DB_STATEMENT_TIMEOUT_MS', 15_000, 100, 600_000);

  let database: DatabaseConfig;
  const dbUrl = r.raw('DATABASE_URL');
  if (dbUrl === undefined) {
    database = { kind: 'pglite', dataDir, statementTimeoutMs };
  } else if (dbUrl === 'memory://') {
    database = { kind: 'pglite', dataDir: null, statementTimeoutMs };
  } else {
    const url = r.url('DATABASE_URL', ['postgres:', 'postgresql:']);
    if (url === null)
      r.problems.push('DATABASE_URL may also be memory:// or unset (embedded PGlite in DATA_DIR)');
    database = {
      kind: 'postgres',
      url: url ?? '',
      poolSize: r.int('DB_POOL_SIZE', 20, 1, 1000),
      statementTimeoutMs,
    };
  }

  const jwtSecret = r.string('AUTH_JWT_SECRET', null);
  if (jwtSecret !== null && Buffer.byteLength(jwtSecret) < 32) {
    r.problems.push('AUTH_JWT_SECRET must be at least 32 bytes long');
  }
  const jwksUrl = r.url('AUTH_JWKS_URL', ['https:', 'http:']);

  const webhookSecret = r.string('JUNCTION_WEBHOOK_SECRET', null);
  if (webhookSecret !== null && !isSvixSecret(webhookSecret)) {
    r.problems.push(
      'JUNCTION_WEBHOOK_SECRET must be the Svix signing secret of the webhook endpoint: whsec_ followed by base64 ' +
        "(copy it from Junction's dashboard, or from what `npm run simulator` prints)",
    );
  }

  const junction = {
    apiKey: r.string('JUNCTION_API_KEY', null),
    baseUrl: r.url('JUNCTION_BASE_URL', ['https:', 'http:']),
    environment: r.oneOf<JunctionEnvironment>('JUNCTION_ENVIRONMENT', ['sandbox', 'production'], 'sandbox'),
    region: r.oneOf<JunctionRegion>('JUNCTION_REGION', ['us', 'eu'], 'us'),
    webhookSecret,
    timeoutMs: r.int('JUNCTION_TIMEOUT_MS', 10_000, 50, 300_000),
    panels: parsePanels(r),
  };

  if (junction.apiKey !== null) {
    const missing = PANEL_IDS.filter((p) => !junction.panels[p]);
    if (missing.length > 0) {
      r.problems.push(
        `JUNCTION_PANELS must map every panel when JUNCTION_API_KEY is set (missing: ${missing.join(', ')})`,
      );
    }
    if (webhookSecret === null) {
      r.problems.push('JUNCTION_WEBHOOK_SECRET is required when JUNCTION_API_KEY is set');
    }
  }

  if (production) {
    if (jwtSecret === null && jwksUrl === null) {
      r.problems.push('NODE_ENV=production requires AUTH_JWT_SECRET or AUTH_JWKS_URL');
    }
    if (junction.apiKey === null) r.problems.push('NODE_ENV=production requires JUNCTION_API_KEY');
    if (database.kind !== 'postgres')
      r.problems.push('NODE_ENV=production requires DATABASE_URL=postgres://…');
  }

  const mode = demoMode(r, production);

  const config: Config = {
    nodeEnv,
    production,
    host: r.string('HOST', '127.0.0.1'),
    port: r.int('PORT', 3000, 0, 65535),
    trustProxy: r.trustProxy('TRUST_PROXY'),
    logLevel: r.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    dataDir,
    database,
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: r.string('AUTH_ISSUER', null),
      audience: r.string('AUTH_AUDIENCE', null),
      maxTokenLifetimeHours: r.int('AUTH_MAX_TOKEN_LIFETIME_HOURS', 720, 1, 24 * 365 * 10),
    },
    junction,
    jobs: {
      runWorkers: r.bool('RUN_WORKERS', true),
      pollIntervalMs: r.int('JOB_POLL_INTERVAL_MS', 2000, 50, 600_000),
      leaseSeconds: r.int('JOB_LEASE_SECONDS', 60, 1, 3600),
    },
    reconcile: {
      intervalSeconds: r.int('RECONCILE_INTERVAL_SECONDS', 60, 1, 3600),
      staleAfterHours: r.int('RECONCILE_STALE_AFTER_HOURS', 24, 1, 24 * 365),
      refreshPerMinute: r.int('RECONCILE_REFRESH_PER_MINUTE', 30, 0, 10_000),
    },
    idempotencyTtlHours: r.int('IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 365),
    idempotencyLeaseSeconds: r.int('IDEMPOTENCY_LEASE_SECONDS', 60, 1, 3600),
    webhooks: {
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      retrySchedule: r.intList(
        'WEBHOOK_RETRY_SCHEDULE',
        [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
        1,
        7 * 24 * 3600,
        20,
      ),
      disableAfterHours: r.int('WEBHOOK_DISABLE_AFTER_HOURS', 120, 1, 24 * 90),
      // Only ever on when asked for: demo mode (its receivers are on this machine) or explicitly.
      allowPrivateUrls: r.bool('WEBHOOK_ALLOW_PRIVATE_URLS', mode.demo),
      concurrencyPerEndpoint: r.int('WEBHOOK_CONCURRENCY_PER_ENDPOINT', 8, 1, 100),
    },
    demo: mode.demo,
    modeReason: mode.reason,
  };

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/** What makes a deployment: any of these set (without DEMO=1). */
const DEPLOYMENT_VARIABLES = [
  'DATABASE_URL',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'JUNCTION_API_KEY',
] as const;

/**
 * Demo mode is what a person asks for: nothing configured (the fresh clone's `npm start`), or
 * DEMO=1. Anything configured without DEMO=1 is a deployment, never silently a demo: demo mode
 * hands out tokens (banner, /docs, /v1/demo/personas) and allows private webhook URLs.
 */
function demoMode(r: Reader, production: boolean): { demo: boolean; reason: string } {
  const asked = r.bool('DEMO', false);
  const configured = DEPLOYMENT_VARIABLES.filter((name) => r.raw(name) !== undefined);
  if (asked && production) {
    r.problems.push('DEMO=1 cannot be combined with NODE_ENV=production');
    return { demo: false, reason: 'NODE_ENV=production' };
  }
  if (asked) {
    return {
      demo: true,
      reason:
        configured.length > 0
          ? `DEMO=1 is set (using ${configured.join(', ')} as configured; demo supplies the rest)`
          : 'DEMO=1 is set',
    };
  }
  if (production) return { demo: false, reason: 'NODE_ENV=production' };
  if (r.raw('DEMO') !== undefined) return { demo: false, reason: 'DEMO=0 is set' };
  if (configured.length === 0) {
    return {
      demo: true,
      reason: `nothing is configured (no ${DEPLOYMENT_VARIABLES.join(', ')}); set DEMO=1 to keep demo mode with any of them`,
    };
  }
  return {
    demo: false,
    reason: `${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} set without DEMO=1`,
  };
}

/**
 * What a deployment lacks to run the service or the worker, as one line (a ConfigError), or
 * nothing in demo mode. Commands that need less (`migrate`, `token`, `key`) do not ask this.
 */
export function checkDeployment(config: Config): void {
  if (config.demo) return;
  const missing = [
    ...(config.auth.jwtSecret === null && config.auth.jwksUrl === null
      ? ['AUTH_JWT_SECRET or AUTH_JWKS_URL']
      : []),
    ...(config.junction.apiKey === null
      ? ['JUNCTION_API_KEY (with JUNCTION_WEBHOOK_SECRET and JUNCTION_PANELS)']
      : []),
  ];
  if (missing.length === 0) return;
  throw new ConfigError([
    `this is a deployment (${config.modeReason}), and a deployment needs ${missing.join(' and ')}; ` +
      'set them, or set DEMO=1 for demo mode',
  ]);
}

/** The configuration the service and the worker start with: loadConfig, then checkDeployment. */
export function loadServiceConfig(env: Env = process.env): Config {
  const config = loadConfig(env);
  checkDeployment(config);
  return config;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
