/**
 * buildApp: the one place plugins and routes are registered. Production (main.ts) and every
 * test build the app with this same function, so tests exercise exactly what runs.
 */
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { withApiKeys } from './api-keys/keys.js';
import { apiKeyRoutes } from './api-keys/routes.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { App } from './http/app-type.js';
import { authPlugin, createTokenVerifier, type Principal } from './http/auth.js';
import { consoleRoutes } from './http/console.js';
import { DOCS_EXAMPLES } from './demo/examples.js';
import { docsPlugin } from './http/docs.js';
import { BODY_LIMIT, errorHandlerPlugin } from './http/error-handler.js';
import { healthRoutes } from './http/health.js';
import { idempotencyPlugin } from './idempotency/plugin.js';
import { createLogger, genRequestId } from './http/logging.js';
import { meRoutes } from './http/me.js';
import { Metrics, metricsPlugin } from './http/metrics.js';
import { validatorCompiler } from './http/validation.js';
import { envelope, eventRoutes, findEvent } from './events/routes.js';
import { registerWebhookJobs } from './webhooks/jobs.js';
import { JobQueue } from './jobs/queue.js';
import { createJunctionClient, junctionBaseUrl } from './junction/client.js';
import type { JunctionDeps } from './junction/types.js';
import { fhirRoutes } from './fhir/routes.js';
import { labOrderRoutes } from './lab-orders/routes.js';
import { registerReconciliation } from './lab-orders/reconcile.js';
import { patientRoutes } from './lab-orders/patient-routes.js';
import { junctionWebhookRoutes } from './lab-orders/webhook-route.js';
import type { Simulator } from './junction/simulator/index.js';
import { labVisitRoutes } from './lab-visits/routes.js';
import { workspaceManagementRoutes } from './workspaces/routes.js';
import { clinicalWebhookRoutes } from './webhooks/clinical-routes.js';
import { workspaceWebhookRoutes } from './workspaces/webhook-routes.js';
import { workspaceEventRoutes } from './workspaces/event-routes.js';
import { labOrderEvents } from './lab-orders/events.js';
import { labVisitEvents } from './lab-visits/events.js';

export interface AppDeps {
  config: Config;
  database: Database;
  /** The JWT secret in effect (configured, or the generated demo secret). */
  jwtSecret: string | null;
  logger?: Logger;
  metrics?: Metrics;
  /** Override token verification (tests of JWKS); defaults to the configured secret/JWKS. */
  verifyToken?: (token: string) => Promise<Principal>;
  /**
   * The Junction to use. Defaults to the real API from configuration (JUNCTION_API_KEY …);
   * demo mode passes the client of its in-process simulator.
   */
  junction?: JunctionDeps;
  /** demo mode with no Junction key: the in-process simulator, controllable through /v1/demo routes */
  demo?: { simulator: Simulator };
  /** run the job queue's workers whatever RUN_WORKERS says (`npm run worker`) */
  workers?: boolean;
}

function junctionFromConfig(config: Config, metrics: Metrics): JunctionDeps {
  const { apiKey, webhookSecret } = config.junction;
  if (apiKey === null || webhookSecret === null) {
    throw new Error(
      'Junction is not configured: set JUNCTION_API_KEY (main.ts starts the simulator in demo mode)',
    );
  }
  const { baseUrl, environment, region } = config.junction;
  return {
    api: createJunctionClient({ ...config.junction, apiKey, metrics }),
    environment: (baseUrl ?? junctionBaseUrl(environment, region)).replace(/\/+$/, ''),
    webhookSecret,
    panels: config.junction.panels,
  };
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database } = deps;
  // Demo routes and tokens follow the configuration's mode alone (config.ts), never a caller's say.
  if (deps.demo && !config.demo) throw new Error('buildApp: a demo simulator was given outside demo mode');
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = deps.metrics ?? new Metrics(() => database.poolStats());

  const baseLogger: FastifyBaseLogger = logger;
  const app = Fastify({
    loggerInstance: baseLogger,
    bodyLimit: BODY_LIMIT,
    genReqId: genRequestId,
    // One access log line per request (written on response, below) instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    requestIdHeader: false,
    return503OnClosing: true,
    // Behind a TLS-terminating proxy, what the client asked (https, the public host) comes in
    // X-Forwarded-*: believed only from the proxies TRUST_PROXY names (docs/operations.md).
    trustProxy: config.trustProxy,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Only JSON bodies: text/plain would otherwise reach validation as a string.
  app.removeContentTypeParser('text/plain');
  // Graceful shutdown: requests in flight when closing starts finish, then their keep-alive
  // connections close (Node only reaps connections that are idle when close() is called).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        req: { method: request.method, url: request.url, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (closing) void reply.header('connection', 'close');
  });

  // The job queue: every feature registers its handlers below; workers start when the app is
  // ready (RUN_WORKERS, or `npm run worker`) and stop, handing back unfinished jobs, on close.
  const jobs = new JobQueue({
    database,
    logger,
    metrics,
    pollIntervalMs: config.jobs.pollIntervalMs,
    leaseSeconds: config.jobs.leaseSeconds,
  });
  app.decorate('jobs', jobs);
  if (deps.workers ?? config.jobs.runWorkers) {
    app.addHook('onReady', async () => jobs.start());
  }
  app.addHook('onClose', async () => jobs.stop());

  await app.register(errorHandlerPlugin);
  await app.register(authPlugin, {
    // `Bearer lk_…` is an API key, anything else a JWT.
    verify:
      deps.verifyToken ??
      withApiKeys(
        database,
        createTokenVerifier({
          jwtSecret: deps.jwtSecret,
          jwksUrl: config.auth.jwksUrl,
          issuer: config.auth.issuer,
          audience: config.auth.audience,
          maxTokenLifetimeHours: config.auth.maxTokenLifetimeHours,
        }),
      ),
  });
  await app.register(metricsPlugin, { metrics });
  // Demo mode: the reference is signed in as the demo's clinical service.
  const { jwtSecret } = deps;
  await app.register(docsPlugin, {
    examples: DOCS_EXAMPLES,
    ...(config.demo && jwtSecret
      ? {
          bearerToken: async () =>
            (
              await (
                await import('./demo/banner.js')
              ).demoTokens(jwtSecret, config.auth.maxTokenLifetimeHours)
            ).clinical,
        }
      : {}),
  });
  // A lease shorter than the slowest request would hand a live request's key to a retry.
  const idempotencyLeaseSeconds = Math.max(
    config.idempotencyLeaseSeconds,
    Math.ceil((config.junction.timeoutMs * 3) / 1000),
  );
  await app.register(idempotencyPlugin, {
    database,
    metrics,
    jobs,
    ttlHours: config.idempotencyTtlHours,
    leaseSeconds: idempotencyLeaseSeconds,
  });

  await app.register(consoleRoutes);
  await app.register(healthRoutes, { database });
  await app.register(meRoutes);
  await app.register(apiKeyRoutes, { database });
  await app.register(workspaceManagementRoutes, { database });
  await app.register(labVisitRoutes, { database });
  const webhookPolicy = { requireHttps: config.production, allowPrivate: config.webhooks.allowPrivateUrls };
  registerWebhookJobs(jobs, {
    database,
    config: config.webhooks,
    policy: webhookPolicy,
    logger,
    metrics,
    // Exactly the body GET /v1/events/:id answers.
    eventJson: async (id) => {
      const row = await findEvent(database.db, id);
      return row ? JSON.stringify(envelope(row)) : null;
    },
  });
  await app.register(clinicalWebhookRoutes, {
    database,
    policy: webhookPolicy,
    eventTypes: labOrderEvents.types,
  });
  await app.register(workspaceWebhookRoutes, {
    database,
    policy: webhookPolicy,
    eventTypes: labVisitEvents.types,
  });

  const junction = deps.junction ?? junctionFromConfig(config, metrics);
  const labOrderDeps = {
    database,
    junction: junction.api,
    junctionEnvironment: junction.environment,
    panels: junction.panels,
  };
  await app.register(labOrderRoutes, labOrderDeps);
  await app.register(fhirRoutes, labOrderDeps);
  registerReconciliation(jobs, labOrderDeps, { ...config.reconcile, leaseSeconds: idempotencyLeaseSeconds });
  await app.register(patientRoutes, { database });
  await app.register(eventRoutes, { database, jobs, kind: labOrderEvents });
  await app.register(workspaceEventRoutes, { database, kind: labVisitEvents });
  await app.register(junctionWebhookRoutes, { database, metrics, jobs, secret: junction.webhookSecret });
  if (config.demo) {
    const { demoRoutes } = await import('./demo/routes.js');
    await app.register(demoRoutes, {
      database,
      simulator: deps.demo?.simulator ?? null,
      jwtSecret,
      maxTokenLifetimeHours: config.auth.maxTokenLifetimeHours,
    });
  }

  return app;
}
