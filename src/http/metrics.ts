import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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
  readonly poolInUse: Gauge;

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
    app.get(
      '/metrics',
      { config: { public: true }, schema: { hide: true } },
      async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    );
  },
  { name: 'labline-metrics' },
);
