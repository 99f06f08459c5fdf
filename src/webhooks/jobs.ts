/**
 * Webhook work on the job queue (docs/webhooks.md, "Decisions"). An event's deliveries are written
 * with it (deliveries-repository.ts, FAN_OUT_CTES), which wakes the endpoints' jobs:
 * - `webhooks.deliver` {endpoint_id}: one per endpoint at a time (singleton key), sends its due
 *   deliveries in bounded batches;
 * - `webhooks.sweep`, every second across replicas: wakes the delivery job of every endpoint with
 *   due deliveries (retries coming due, leases of dead workers expiring, a wake-up missed while
 *   the endpoint's job was finishing);
 * - `webhooks.purge`, hourly: the deliveries log goes with the events, after 30 days.
 */
import type { JobQueue } from '../jobs/queue.js';
import {
  DELIVER_QUEUE,
  DUE_ENDPOINTS,
  purgeDeliveries,
  queueStats,
  wakeStatement,
} from './deliveries-repository.js';
import { drainEndpoint, type DeliveryDeps } from './deliver.js';

export const WEBHOOK_QUEUES = {
  deliver: DELIVER_QUEUE,
  sweep: 'webhooks.sweep',
  purge: 'webhooks.purge',
} as const;

/** How long deliveries and events are kept. */
export const RETENTION_DAYS = 30;
/** One run of an endpoint's delivery job sends for at most this long, then yields its worker. */
const DRAIN_BUDGET_MS = 30_000;
/** Endpoints' delivery jobs one process runs at once. */
const DELIVER_CONCURRENCY = 16;

export function registerWebhookJobs(jobs: JobQueue, deps: DeliveryDeps): void {
  const { database } = deps;
  deps.metrics?.observeWebhookQueue(() => queueStats(database.db));

  jobs.register<{ endpoint_id: string }>(
    WEBHOOK_QUEUES.deliver,
    async (job, { signal }) => {
      const { more } = await drainEndpoint(deps, job.payload.endpoint_id, {
        budgetMs: DRAIN_BUDGET_MS,
        signal,
      });
      // More is due: the job runs again at once, letting other queues' jobs in between.
      if (more && !signal.aborted) return { retryInSeconds: 0 };
    },
    { concurrency: DELIVER_CONCURRENCY },
  );

  jobs.periodic(WEBHOOK_QUEUES.sweep, 1, async () => {
    await database.db.execute(wakeStatement(DUE_ENDPOINTS));
  });

  jobs.periodic(WEBHOOK_QUEUES.purge, 3600, async () => {
    await purgeDeliveries(database.db, new Date(Date.now() - RETENTION_DAYS * 24 * 3600 * 1000));
  });
}
