/**
 * `npm run simulator -- [--flag value …]`: the Junction simulator as its own process. Every flag
 * can also come from the environment as SIMULATOR_<FLAG> (e.g. --latency-ms → SIMULATOR_LATENCY_MS).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Faults } from './faults.js';
import { listenProblem } from '../../listen-problem.js';
import { keptSecret } from '../../secret-file.js';
import { startSimulator } from './server.js';
import { generateWebhookSecret } from './webhook-sender.js';
import { SIMULATOR_PANELS } from './catalog.js';

const FLAGS = {
  port: 'port to listen on (default 4010; 0 = any)',
  host: 'address to listen on (default 127.0.0.1)',
  'api-key': 'the only accepted x-vital-api-key (default: any non-empty key)',
  'webhook-url': 'where labtest.order.* webhooks are POSTed (default: none)',
  'webhook-secret': 'Svix signing secret whsec_… (default: the one kept in --data-dir, made on first start)',
  'data-dir':
    'where the generated webhook secret is kept across restarts (default ./.data/junction-simulator)',
  'max-users': 'users the team may hold (a sandbox team holds 50: --max-users 50; default: no cap)',
  'webhook-retry-scale':
    "multiplies Junction's webhook retry schedule (immediately, 5 s, 5 min … 10 h; default 1)",
  'latency-ms': 'added latency of every answer',
  'error-rate': 'share (0..1) of requests answered with 500/503/429',
  'error-statuses': 'comma-separated statuses for --error-rate (default 500,503,429)',
  'hang-rate': 'share of requests never answered',
  'drop-rate': 'share of requests whose connection is dropped',
  'create-then-fail-rate': 'share of new orders stored whose answer is then lost',
  'create-then-fail-mode': 'error (a 500) or drop (default error)',
  'webhook-attempts':
    "attempts per webhook message, with --webhook-base-delay-ms doubling to --webhook-max-delay-ms (default: Junction's schedule)",
  'webhook-base-delay-ms': 'first webhook retry delay, doubled each time (default 1000)',
  'webhook-max-delay-ms': 'cap of one webhook retry delay (default 60000)',
  'webhook-timeout-ms': 'time limit of one webhook attempt (default 15000, as at Junction)',
} as const;
type Flag = keyof typeof FLAGS;

function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, help]) => `  --${flag.padEnd(22)} ${help}`);
  return `usage: npm run simulator -- [flags]\n${lines.join('\n')}\n\nFaults can be changed at run time: PUT /_simulator/faults {"errorRate": 0.1, …}\n`;
}

function readOptions(): Partial<Record<Flag, string>> {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(usage());
    process.exit(0);
  }
  // A standalone developer tool, not the service: it reads its own environment.
  // eslint-disable-next-line no-restricted-properties
  const env = process.env;
  const out: Partial<Record<Flag, string>> = {};
  for (const flag of Object.keys(FLAGS) as Flag[]) {
    const v =
      (values as Record<string, unknown>)[flag] ??
      env[`SIMULATOR_${flag.toUpperCase().replaceAll('-', '_')}`];
    if (typeof v === 'string' && v !== '') out[flag] = v;
  }
  return out;
}

function number(flag: Flag, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number (got "${v}")`);
  return n;
}

async function main(): Promise<void> {
  const o = readOptions();
  const faults: Faults = {
    latencyMs: number('latency-ms', o['latency-ms']),
    errorRate: number('error-rate', o['error-rate']),
    errorStatuses: o['error-statuses']?.split(',').map((s) => Number(s.trim())),
    hangRate: number('hang-rate', o['hang-rate']),
    dropRate: number('drop-rate', o['drop-rate']),
    createThenFailRate: number('create-then-fail-rate', o['create-then-fail-rate']),
    createThenFailMode: o['create-then-fail-mode'] as Faults['createThenFailMode'],
  };
  for (const k of Object.keys(faults) as (keyof Faults)[]) if (faults[k] === undefined) delete faults[k];
  // Kept in its data folder (like the service's JWT secret in DATA_DIR), so that the
  // JUNCTION_WEBHOOK_SECRET a service was started with is still right after a restart.
  const secretFile = path.join(o['data-dir'] ?? '.data/junction-simulator', 'webhook-secret');
  const webhookSecret = o['webhook-secret'] ?? keptSecret(secretFile, generateWebhookSecret);

  const port = number('port', o.port) ?? 4010;
  const host = o.host ?? '127.0.0.1';
  const sim = await startSimulator({
    port,
    host,
    apiKey: o['api-key'] ?? null,
    webhookUrl: o['webhook-url'] ?? null,
    webhookSecret,
    maxUsers: number('max-users', o['max-users']) || null,
    webhookRetry: {
      attempts: number('webhook-attempts', o['webhook-attempts']),
      baseDelayMs: number('webhook-base-delay-ms', o['webhook-base-delay-ms']),
      maxDelayMs: number('webhook-max-delay-ms', o['webhook-max-delay-ms']),
      timeoutMs: number('webhook-timeout-ms', o['webhook-timeout-ms']),
      scale: number('webhook-retry-scale', o['webhook-retry-scale']),
    },
    faults,
    log: (entry) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`),
  }).catch((err: unknown) => {
    const problem = listenProblem(err, `${host}:${port}`, '--port', '--host');
    if (problem === null) throw err;
    throw new StartFailure(problem);
  });
  // Stops on a signal from before the banner says it listens: whoever reads the banner may stop it.
  const stop = () => {
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const panels = Object.entries(SIMULATOR_PANELS)
    .map(([panel, id]) => `${panel}=${id}`)
    .join(',');
  process.stdout.write(
    [
      `Junction simulator listening on ${sim.url}`,
      `  JUNCTION_BASE_URL=${sim.url} JUNCTION_API_KEY=<any non-empty key>`,
      `  JUNCTION_PANELS=${panels}`,
      `  webhooks: ${o['webhook-url'] ?? 'off (--webhook-url)'}`,
      `  JUNCTION_WEBHOOK_SECRET=${sim.webhookSecret}${o['webhook-secret'] ? ' (--webhook-secret)' : ` (kept in ${secretFile})`}`,
      `  faults: ${JSON.stringify(sim.faults())}`,
      '',
    ].join('\n'),
  );
}

/** The simulator cannot start for a reason one line says (no usage text). */
class StartFailure extends Error {}

main().catch((err: unknown) => {
  process.stderr.write(
    `junction simulator: ${(err as Error).message}\n${err instanceof StartFailure ? '' : usage()}`,
  );
  process.exit(1);
});
