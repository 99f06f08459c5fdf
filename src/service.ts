/**
 * Start-up, shared by `main.ts` (the service: API and, unless RUN_WORKERS=false, workers) and
 * `cli.ts worker` (workers only, no listening): config → database (migrated) → app → listen or
 * just ready; graceful shutdown on SIGTERM/SIGINT.
 */
import { buildApp } from './app.js';
import { resolveJwtSecret } from './auth-secret.js';
import { ConfigError, loadServiceConfig, type Config } from './config.js';
import { migrateDatabase, openDatabase } from './db/database.js';
import { describeConnectionFailure } from './db/errors.js';
import { createLogger } from './http/logging.js';
import { listenProblem } from './listen-problem.js';
import { Metrics } from './http/metrics.js';
import { boundHeapGrowth } from './memory.js';

function loadConfigOrExit(): Config {
  try {
    return loadServiceConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`labline: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export type ServiceMode = 'service' | 'worker';

export async function runService(mode: ServiceMode): Promise<void> {
  boundHeapGrowth();
  const config = loadConfigOrExit();
  if (mode === 'worker' && (config.database.kind !== 'postgres' || config.junction.apiKey === null)) {
    // The embedded database belongs to one process, and the demo's simulator lives in it.
    process.stderr.write(
      'labline: `worker` needs PostgreSQL (DATABASE_URL=postgres://…) and Junction (JUNCTION_API_KEY); ' +
        'with the embedded database or the demo simulator, `npm start` runs the workers itself\n',
    );
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  if (config.database.kind === 'pglite') {
    logger.warn(
      { dataDir: config.database.dataDir ?? 'memory' },
      'using embedded PGlite: not durable and not for production; set DATABASE_URL=postgres://… for real data',
    );
  }
  const database = await openDatabase(config.database);
  if (config.database.kind === 'postgres') {
    // A server that cannot be used is one clear line, not a driver's stack trace.
    const url = config.database.url;
    await database.ping().catch((err: unknown) => {
      process.stderr.write(`labline: ${describeConnectionFailure(url, err)}\n`);
      process.exit(1);
    });
  }
  await migrateDatabase(config.database, database);
  const jwt = resolveJwtSecret(config);
  const metrics = new Metrics(() => database.poolStats());

  // Only demo mode seeds, and runs the simulator when no Junction is configured (config.ts).
  const demo =
    config.demo && config.junction.apiKey === null
      ? await (await import('./demo/junction.js')).startDemoJunction(config, metrics, logger)
      : null;
  if (config.demo && (await (await import('./demo/seed.js')).seedDemo(database)))
    logger.info('demo data seeded');
  const app = await buildApp({
    config,
    database,
    jwtSecret: jwt.secret,
    logger,
    metrics,
    ...(demo ? { junction: demo.junction, demo: { simulator: demo.simulator } } : {}),
    ...(mode === 'worker' ? { workers: true } : {}),
  });
  const simulator = demo?.simulator ?? null;

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests and jobs');
    const force = setTimeout(() => {
      logger.error('shutdown took over 25 s; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    app
      .close()
      .then(() => simulator?.close())
      .then(() => database.close())
      .then(() => {
        logger.info('shutdown complete');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await app.ready();

  if (mode === 'worker') {
    // Nothing else holds the event loop open in a worker: its timers are unref'd (so that an app
    // closes without waiting for them) and its only sockets are database connections. A database
    // outage closes them all, and Node would then exit (code 0) in the middle of the outage. The
    // worker runs until it is told to stop (shutdown exits the process).
    setInterval(() => undefined, 60_000);
    logger.info({ queues: app.jobs.queues }, 'labline worker running');
    process.stdout.write('labline worker running (no HTTP); stop it with SIGTERM\n');
    return;
  }

  const address = await app.listen({ host: config.host, port: config.port }).catch((err: unknown) => {
    // Like every other start-up failure: one line, not a stack trace.
    const problem = listenProblem(err, `${config.host}:${config.port}`, 'PORT', 'HOST');
    if (problem === null) throw err;
    process.stderr.write(`labline: ${problem}\n`);
    process.exit(1);
  });
  const base = address.replace('[::1]', 'localhost');
  simulator?.setWebhookUrl(`${base}/v1/webhooks/junction`);
  process.stdout.write(await startupBanner(config, base, jwt.secret));
}

/** Demo mode: tokens per persona and a curl per contract. Otherwise: where it listens. Both say why. */
async function startupBanner(config: Config, base: string, secret: string | null): Promise<string> {
  const mode = `  ${config.demo ? 'Demo mode' : 'Deployment'}: ${config.modeReason}`;
  if (config.demo && secret) {
    const { demoBanner, demoTokens } = await import('./demo/banner.js');
    return demoBanner(base, config, mode, await demoTokens(secret, config.auth.maxTokenLifetimeHours));
  }
  return [
    '',
    `labline is listening on ${base}`,
    mode,
    `  API reference: ${base}/docs`,
    secret
      ? `  Bearer tokens: npm run token -- --sub <client id> --scope "lab-orders:write lab-orders:read" --brand <brand id>` +
        ` (signed with ${config.auth.jwtSecret ? 'AUTH_JWT_SECRET' : `the secret kept in ${config.dataDir}`}; see docs/authentication.md)`
      : '  Bearer tokens: from your identity provider (AUTH_JWKS_URL); see docs/authentication.md',
    '',
    '',
  ].join('\n');
}
