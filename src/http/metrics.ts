import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the job gauges show per queue (JobQueue.stats). */
export interface JobQueueStats {
  queue: string;
  ready: number;
  scheduled: number;
  running: number;
  failed: number;
  oldestSeconds: number;
}

/** The service's Prometheus metrics; one registry per app so several apps can live in one process. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly junctionDuration = new Histogram({
    name: 'junction_call_duration_seconds',
    help: 'Calls to Junction by operation and outcome (ok, rejected, unavailable)',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly idempotency = new Counter({
    name: 'idempotency_outcomes_total',
    help: 'Idempotency-Key handling: created, replayed, conflict (reused key), in_progress, resumed',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly webhooks = new Counter({
    name: 'junction_webhooks_total',
    help: 'Junction webhooks received, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'jobs_total',
    help: 'Jobs run, by queue and outcome: done, failed (retried or given up), later (rescheduled), returned (handed back at shutdown)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Time a job handler ran, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Outbound webhook delivery attempts by outcome: succeeded, retrying (failed, another attempt is due), failed (no attempt left)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly poolInUse: Gauge;
  private webhookQueue: (() => Promise<{ depth: number; oldestSeconds: number }>) | null = null;
  private jobQueueStats: (() => Promise<JobQueueStats[]>) | null = null;

  constructor(poolStats: () => { total: number; idle: number; waiting: number }) {
    collectDefaultMetrics({ register: this.registry });
    this.poolInUse = new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const s = poolStats();
        this.set({ state: 'in_use' }, s.total - s.idle);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
    // Each pair of gauges below comes from one query per scrape (prom-client collects metrics
    // concurrently): the first gauge's collect starts it, the second shares it.
    const oncePerScrape = <T>(read: () => Promise<T>, fallback: T): (() => Promise<T>) => {
      let pending: Promise<T> | null = null;
      return () => {
        pending ??= read().finally(() => setTimeout(() => (pending = null), 100));
        return pending.catch(() => fallback);
      };
    };
    const webhookQueue = oncePerScrape(() => this.webhookQueue?.() ?? Promise.resolve(null), null);
    new Gauge({
      name: 'webhook_queue_depth',
      help: 'Outbound webhook deliveries pending (due now or waiting for a retry)',
      registers: [this.registry],
      async collect() {
        const s = await webhookQueue();
        if (s) this.set(s.depth);
      },
    });
    new Gauge({
      name: 'webhook_oldest_pending_seconds',
      help: 'How long the oldest due webhook delivery has waited',
      registers: [this.registry],
      async collect() {
        const s = await webhookQueue();
        if (s) this.set(s.oldestSeconds);
      },
    });
    const stats = oncePerScrape(() => this.jobQueueStats?.() ?? Promise.resolve([]), [] as JobQueueStats[]);
    new Gauge({
      name: 'job_queue_depth',
      help: 'Jobs by queue and state: ready (due, waiting for a worker), scheduled (later), running, failed',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of await stats()) {
          for (const state of ['ready', 'scheduled', 'running', 'failed'] as const)
            this.set({ queue: s.queue, state }, s[state]);
        }
      },
    });
    new Gauge({
      name: 'job_queue_oldest_seconds',
      help: 'Age of the oldest due job per queue (how long it has waited for a worker)',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const s of await stats()) this.set({ queue: s.queue }, s.oldestSeconds);
      },
    });
  }

  /** Where the webhook gauges read the deliveries' queue from (src/webhooks). */
  observeWebhookQueue(stats: () => Promise<{ depth: number; oldestSeconds: number }>): void {
    this.webhookQueue = stats;
  }

  /** Where the job gauges read the queue's depth from (src/jobs/queue.ts). */
  observeJobQueues(stats: () => Promise<JobQueueStats[]>): void {
    this.jobQueueStats = stats;
  }
}

export const metricsPlugin = fp<{ metrics: Metrics }>(
  async function metricsRoutes(app: FastifyInstance, { metrics }) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      metrics.httpDuration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  },
  { name: 'labline-metrics' },
);
