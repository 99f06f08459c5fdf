/** Start-up: config → database (migrated) → app → listen; graceful shutdown on SIGTERM/SIGINT. */
import { buildApp, type JunctionDeps } from './app.js';
import { resolveJwtSecret } from './auth-secret.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { migrateDatabase, openDatabase } from './db/database.js';
import { signToken } from './http/auth.js';
import { createLogger } from './http/logging.js';
import { Metrics } from './http/metrics.js';
import { createJunctionClient } from './junction/client.js';
import { SIMULATOR_PANELS, startSimulator, type Simulator } from './junction/simulator/index.js';

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`labline: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (config.database.kind === 'pglite') {
    logger.warn(
      { dataDir: config.database.dataDir ?? 'memory' },
      'using embedded PGlite: not durable and not for production; set DATABASE_URL=postgres://… for real data',
    );
  }
  const database = await openDatabase(config.database);
  await migrateDatabase(config.database, database);
  const jwt = resolveJwtSecret(config);
  const metrics = new Metrics(() => database.poolStats());

  // Without a Junction key, the built-in simulator plays Junction, in-process but over HTTP.
  let simulator: Simulator | null = null;
  let junction: JunctionDeps | undefined;
  if (config.junction.apiKey === null) {
    simulator = await startSimulator({ apiKey: 'demo-simulator-key', log: (entry) => logger.debug(entry, 'simulator') });
    junction = {
      api: createJunctionClient({ ...config.junction, apiKey: 'demo-simulator-key', baseUrl: simulator.url, metrics }),
      webhookSecret: simulator.webhookSecret,
      panels: SIMULATOR_PANELS,
    };
    logger.info({ simulator: simulator.url }, 'no JUNCTION_API_KEY: using the built-in Junction simulator');
  }
  const app = await buildApp({ config, database, jwtSecret: jwt.secret, logger, metrics, junction });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
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
        logger.error({ err: { message: (err as Error).message } }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const address = await app.listen({ host: config.host, port: config.port });
  const base = address.replace('[::1]', 'localhost');
  simulator?.setWebhookUrl(`${base}/v1/webhooks/junction`);
  const lines = [``, `labline is listening on ${base}`, `  API reference: ${base}/docs`];
  if (jwt.generated && jwt.secret) {
    const token = await signToken(jwt.secret, {
      sub: 'demo-clinical-service',
      scope: 'lab-orders:write lab-orders:read lab-orders:admin',
    });
    lines.push(`  No auth configured: tokens are signed with the secret in ${config.dataDir}/jwt-secret.`);
    lines.push(`  Bearer token (clinical service): ${token}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`labline failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
