/**
 * The durable job queue in PostgreSQL (docs/jobs.md): one table (`jobs`), the SKIP LOCKED pattern,
 * the same on a PostgreSQL server and on embedded PGlite.
 *
 * Enqueue (any process, workers or not): `enqueueStatement(job)` is one INSERT that can run on its
 * own or as a CTE of the caller's statement (so a job commits, or vanishes, with the change that
 * made it); `enqueue(q, job)` runs it on a handle or transaction. A job names its queue, a JSON
 * payload, when it may run (`runAt`), its retry schedule (`retryDelays`, seconds before each
 * retry; `[]`: never retried) and optionally a `singletonKey` (at most one pending or running
 * job per queue and key: a second enqueue is dropped).
 *
 * Work (replicas with RUN_WORKERS=true, and `npm run worker`): `register(queue, handler)` before
 * `start()`. A worker claims due jobs with `FOR UPDATE SKIP LOCKED` (two workers never claim one
 * job) and holds each under a lease it renews while the handler runs; a job whose worker died is
 * taken again once its lease expired. A handler that returns completes the job (deleted), one that
 * throws is retried after its next delay (or ends `failed`), one that returns
 * `{ retryInSeconds }` runs again later without using up an attempt. Handlers must be idempotent:
 * delivery is at least once. `periodic(queue, seconds, handler)` keeps exactly one job per queue
 * that runs once per period across all replicas.
 *
 * Wake-up: an insert trigger NOTIFYs `labline_jobs` with the queue's name (at commit) and workers
 * LISTEN; they also poll every JOB_POLL_INTERVAL_MS, which is all that is needed for correctness.
 * `stop()` stops claiming, lets running handlers finish for a grace period, then aborts them and
 * hands their jobs back (pending, the attempt not counted).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rows, type Database, type Queryable } from '../db/database.js';
import { describeError } from '../http/logging.js';
import type { JobQueueStats, Metrics } from '../http/metrics.js';

/** The channel the insert trigger notifies (drizzle/0011_jobs_notify_per_row.sql). */
export const JOBS_CHANNEL = 'labline_jobs';
/** Seconds before each retry when a job names no schedule: five retries over about 40 minutes. */
export const DEFAULT_RETRY_DELAYS: readonly number[] = [5, 30, 120, 600, 1800];
const SHUTDOWN_GRACE_MS = 10_000;

export interface NewJob {
  queue: string;
  /** JSON; ids rather than data (no patient data in jobs) */
  payload?: unknown;
  /** not before (default: now) */
  runAt?: Date;
  /** at most one pending or running job per (queue, singletonKey); a second one is dropped */
  singletonKey?: string;
  /** seconds to wait before each retry (default DEFAULT_RETRY_DELAYS); its length is the number of retries */
  retryDelays?: readonly number[];
}

/**
 * The INSERT of `jobs`: on its own, or as a CTE of a larger statement. `when` (a boolean SQL
 * expression, e.g. `exists (select 1 from changed)`) makes the insert conditional on the rest of
 * the statement. The only statement that writes `jobs` besides the workers' own updates.
 */
export function enqueueStatement(jobs: NewJob | readonly NewJob[], options: { when?: SQL } = {}): SQL {
  const list: readonly NewJob[] = Array.isArray(jobs) ? jobs : [jobs as NewJob];
  if (list.length === 0) throw new Error('enqueueStatement needs at least one job');
  const values = sql.join(
    list.map(
      (j) =>
        sql`(${j.queue}::text, ${JSON.stringify(j.payload ?? {})}::jsonb, ${j.runAt?.toISOString() ?? null}::timestamptz,
             ${j.singletonKey ?? null}::text, ${pgIntArray(j.retryDelays ?? DEFAULT_RETRY_DELAYS)}::integer[])`,
    ),
    sql`, `,
  );
  return insertJobs(
    sql`select queue, payload, run_at, singleton_key, retry_delays
    from (values ${values}) as v (queue, payload, run_at, singleton_key, retry_delays)
    where ${options.when ?? sql`true`}`,
  );
}

/**
 * One job of `queue` for each row of `source`, a query of two columns: `payload` (jsonb) and
 * `singleton_key` (text), due now. As `enqueueStatement`, on its own or as a CTE.
 */
export function enqueueEachStatement(
  queue: string,
  source: SQL,
  options: { retryDelays?: readonly number[] } = {},
): SQL {
  return around(enqueueEachSql(queue, HOLE, options), source);
}

/**
 * `enqueueEachStatement` as SQL text, for a fixed statement (src/db/statements.ts): `source` is
 * SQL text, the queue's name and retry delays are written into the text as literals.
 */
export function enqueueEachSql(
  queue: string,
  source: string,
  options: { retryDelays?: readonly number[] } = {},
): string {
  if (!/^[a-z0-9_.-]+$/.test(queue)) throw new Error(`queue names are lower-case words (got ${queue})`);
  return insertJobsSql(
    `select '${queue}'::text, s.payload, null::timestamptz, s.singleton_key,
           '${pgIntArray(options.retryDelays ?? DEFAULT_RETRY_DELAYS)}'::integer[]
    from (${source}) as s`,
  );
}

/** `rows` (queue, payload, run_at or null for now, singleton_key, retry_delays) into `jobs`; a pending or running singleton wins. */
function insertJobsSql(rows: string): string {
  return `
    insert into jobs (queue, payload, run_at, singleton_key, retry_delays)
    select v.queue, v.payload, coalesce(v.run_at, date_trunc('milliseconds', now())), v.singleton_key, v.retry_delays
    from (${rows}) as v (queue, payload, run_at, singleton_key, retry_delays)
    on conflict (queue, singleton_key) where singleton_key is not null and state <> 'failed' do nothing`;
}

/** insertJobsSql for rows given as drizzle SQL (with their parameters). */
function insertJobs(rows: SQL): SQL {
  return around(insertJobsSql(HOLE), rows);
}

/** Where a text builder is given drizzle SQL: the text is built around this mark, then split there. */
const HOLE = '\u0000';

function around(text: string, inner: SQL): SQL {
  const [before, after] = text.split(HOLE);
  return sql`${sql.raw(before!)}${inner}${sql.raw(after!)}`;
}

/** Enqueues in the caller's transaction (or on its own), one statement. */
export async function enqueue(q: Queryable, jobs: NewJob | readonly NewJob[]): Promise<void> {
  await q.execute(enqueueStatement(jobs));
}

function pgIntArray(values: readonly number[]): string {
  for (const v of values)
    if (!Number.isInteger(v) || v < 0) throw new Error(`retry delays are whole seconds (got ${v})`);
  return `{${values.join(',')}}`;
}

export interface Job<P = unknown> {
  id: string;
  queue: string;
  payload: P;
  /** 1 on the first run */
  attempt: number;
  /** when it was due (for a periodic job: the start of its period) */
  runAt: Date;
}

export interface JobContext {
  /** aborted when the worker stops and the grace period is over: stop early, the job is handed back */
  signal: AbortSignal;
  log: Logger;
}

/** Returning `{ retryInSeconds }` runs the job again later without using up an attempt. */
export type JobOutcome = void | { retryInSeconds: number };
export type JobHandler<P = unknown> = (job: Job<P>, ctx: JobContext) => Promise<JobOutcome>;

export interface QueueOptions {
  /** jobs of this queue one process runs at once (default 1) */
  concurrency?: number;
  /** default: JOB_LEASE_SECONDS; renewed every third of it while the handler runs */
  leaseSeconds?: number;
}

export interface JobQueueOptions {
  database: Database;
  logger: Logger;
  metrics?: Metrics;
  pollIntervalMs: number;
  leaseSeconds: number;
  /** how long stop() lets running handlers finish before handing their jobs back */
  shutdownGraceMs?: number;
}

/** ready: due, waiting for a worker; scheduled: waiting for their run time; oldestSeconds: the oldest ready job's wait. */
export type QueueStats = JobQueueStats;

interface Running {
  job: Job;
  abort: AbortController;
  done: Promise<void>;
}

class Runner {
  readonly inFlight = new Map<string, Running>();
  filling = false;
  again = false;
  constructor(
    readonly queue: string,
    readonly handler: JobHandler,
    readonly concurrency: number,
    readonly leaseSeconds: number,
    readonly periodSeconds: number | null,
  ) {}
}

type Finish =
  | { kind: 'done' }
  | { kind: 'failed'; error: string }
  | { kind: 'later'; seconds: number }
  | { kind: 'returned' };

export class JobQueue {
  private readonly runners = new Map<string, Runner>();
  private readonly workerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pollTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private listener: { close(): Promise<void> } | null = null;
  private ticking = false;
  private stopped: Promise<void> | null = null;
  /** handed back at shutdown: their handlers' late endings must not touch the row */
  private readonly handedBack = new Set<string>();

  constructor(private readonly options: JobQueueOptions) {
    options.metrics?.observeJobQueues(() => this.stats());
  }

  /** Handles `queue`'s jobs in this process (once started). One handler per queue. */
  register<P>(queue: string, handler: JobHandler<P>, options: QueueOptions = {}): void {
    this.add(queue, handler as JobHandler, options, null);
  }

  /**
   * A job that runs every `everySeconds` across all replicas: one row per queue (singleton), put
   * back one period later after each run. It first runs when a worker starts and finds none.
   */
  periodic(queue: string, everySeconds: number, handler: JobHandler, options: QueueOptions = {}): void {
    if (!Number.isInteger(everySeconds) || everySeconds < 1) throw new Error('a period is whole seconds');
    this.add(queue, handler, options, everySeconds);
  }

  private add(queue: string, handler: JobHandler, options: QueueOptions, periodSeconds: number | null): void {
    if (this.runners.has(queue)) throw new Error(`queue "${queue}" already has a handler`);
    if (this.state !== 'idle') throw new Error('register handlers before start()');
    this.runners.set(
      queue,
      new Runner(
        queue,
        handler,
        options.concurrency ?? 1,
        options.leaseSeconds ?? this.options.leaseSeconds,
        periodSeconds,
      ),
    );
  }

  /** the queues this process handles */
  get queues(): string[] {
    return [...this.runners.keys()];
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Starts the workers: periodic jobs ensured, LISTEN, polling, lease renewal. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const { database } = this.options;
    for (const r of this.runners.values()) {
      if (r.periodSeconds === null) continue;
      await database.db.execute(sql`
        insert into jobs (queue, singleton_key, period_seconds, retry_delays)
        values (${r.queue}, 'periodic', ${r.periodSeconds}, '{}')
        on conflict (queue, singleton_key) where singleton_key is not null and state <> 'failed'
        do update set period_seconds = excluded.period_seconds
        where jobs.period_seconds is distinct from excluded.period_seconds`);
    }
    try {
      this.listener = await database.listen(JOBS_CHANNEL, (queue) => {
        const runner = this.runners.get(queue);
        if (runner) void this.fill(runner);
      });
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, 'job queue: LISTEN failed; polling only');
    }
    this.pollTimer = setInterval(() => void this.tick(), this.options.pollIntervalMs);
    this.pollTimer.unref();
    const minLease = Math.min(
      ...[...this.runners.values()].map((r) => r.leaseSeconds),
      this.options.leaseSeconds,
    );
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(200, (minLease * 1000) / 3));
    this.heartbeatTimer.unref();
    void this.tick();
  }

  /**
   * Stops claiming; running handlers get `shutdownGraceMs` to finish, then are aborted and their
   * jobs handed back to the queue (pending now, the attempt not counted).
   */
  stop(): Promise<void> {
    if (this.state === 'idle' || (this.state === 'stopped' && !this.stopped)) {
      this.state = 'stopped';
      return Promise.resolve();
    }
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.listener?.close().catch(() => {});
    const running = () => [...this.runners.values()].flatMap((r) => [...r.inFlight.values()]);
    const grace = this.options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(running().map((r) => r.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, grace);
      }),
    ]);
    clearTimeout(timer);
    const left = running();
    if (left.length > 0) {
      for (const r of left) {
        this.handedBack.add(r.job.id);
        r.abort.abort();
      }
      await this.handBack(left.map((r) => r.job)).catch((err: unknown) => {
        this.options.logger.warn(
          { err: describeError(err) },
          'job queue: could not hand jobs back; their leases will expire',
        );
      });
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.state = 'stopped';
  }

  /**
   * For tests of crash recovery: stops everything at once and writes nothing, as if the process
   * had died. The jobs it held stay `running` until their leases expire.
   */
  abandon(): void {
    this.state = 'stopped';
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    void this.listener?.close().catch(() => {});
    for (const r of this.runners.values()) {
      for (const running of r.inFlight.values()) {
        this.handedBack.add(running.job.id);
        running.abort.abort();
      }
    }
  }

  /** Queue depth per queue, for metrics (every queue that has a job, whether or not handled here). */
  async stats(): Promise<QueueStats[]> {
    const result = await rows<{
      queue: string;
      ready: number;
      scheduled: number;
      running: number;
      failed: number;
      oldest: number | null;
    }>(
      this.options.database.db,
      sql`
        select queue,
               (count(*) filter (where state = 'pending' and run_at <= now()))::int as ready,
               (count(*) filter (where state = 'pending' and run_at > now()))::int as scheduled,
               (count(*) filter (where state = 'running'))::int as running,
               (count(*) filter (where state = 'failed'))::int as failed,
               extract(epoch from now() - min(run_at) filter (where state = 'pending' and run_at <= now()))::float8 as oldest
        from jobs group by queue order by queue`,
    );
    return result.map((r) => ({
      queue: r.queue,
      ready: r.ready,
      scheduled: r.scheduled,
      running: r.running,
      failed: r.failed,
      oldestSeconds: Math.max(0, r.oldest ?? 0),
    }));
  }

  /** Poll: expired leases back to the queue, then every queue filled. */
  private async tick(): Promise<void> {
    if (this.state !== 'running' || this.ticking) return;
    this.ticking = true;
    try {
      await this.reapExpiredLeases();
      await Promise.all([...this.runners.values()].map((r) => this.fill(r)));
    } catch (err) {
      this.options.logger.warn({ err: describeError(err) }, 'job queue: poll failed');
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Jobs whose worker stopped renewing its lease (it died): pending again, to run at once, or
   * `failed` when that run was their last attempt (a periodic job waits for its next period).
   */
  private async reapExpiredLeases(): Promise<void> {
    const exhausted = sql`attempts > cardinality(retry_delays)`;
    await this.options.database.db.execute(sql`
      update jobs set
        state = case when ${exhausted} and period_seconds is null then 'failed' else 'pending' end,
        attempts = case when ${exhausted} and period_seconds is not null then 0 else attempts end,
        run_at = case when ${exhausted} and period_seconds is not null then ${nextPeriod()} else run_at end,
        last_error = '{"type":"LeaseExpired"}', locked_by = null, locked_until = null, updated_at = now()
      where state = 'running' and locked_until < now()`);
  }

  private async fill(runner: Runner): Promise<void> {
    if (runner.filling) {
      runner.again = true;
      return;
    }
    runner.filling = true;
    try {
      do {
        runner.again = false;
        const free = runner.concurrency - runner.inFlight.size;
        if (free <= 0 || this.state !== 'running') break;
        const claimed = await this.claim(runner, free);
        for (const job of claimed) this.run(runner, job);
      } while (runner.again);
    } catch (err) {
      this.options.logger.warn({ err: describeError(err), queue: runner.queue }, 'job queue: claim failed');
    } finally {
      runner.filling = false;
    }
  }

  private async claim(runner: Runner, limit: number): Promise<Job[]> {
    const claimed = await rows<{ id: string; payload: unknown; attempts: number; run_at_ms: number }>(
      this.options.database.db,
      sql`
        update jobs j set state = 'running', attempts = j.attempts + 1, locked_by = ${this.workerId},
               locked_until = now() + ${runner.leaseSeconds} * interval '1 second', updated_at = now()
        from (
          select id from jobs
          where queue = ${runner.queue} and state = 'pending' and run_at <= now()
          order by run_at, id
          limit ${limit}
          for update skip locked
        ) picked
        where j.id = picked.id
        returning j.id::text as id, j.payload, j.attempts, (extract(epoch from j.run_at) * 1000)::float8 as run_at_ms`,
    );
    return claimed
      .sort((a, b) => a.run_at_ms - b.run_at_ms)
      .map((r) => ({
        id: r.id,
        queue: runner.queue,
        payload: r.payload,
        attempt: r.attempts,
        runAt: new Date(r.run_at_ms),
      }));
  }

  private run(runner: Runner, job: Job): void {
    const abort = new AbortController();
    const log = this.options.logger.child({ job_id: job.id, queue: job.queue, attempt: job.attempt });
    const started = process.hrtime.bigint();
    const done = (async () => {
      let finish: Finish;
      try {
        const outcome = await runner.handler(job, { signal: abort.signal, log });
        finish =
          outcome && typeof outcome === 'object'
            ? { kind: 'later', seconds: outcome.retryInSeconds }
            : { kind: 'done' };
      } catch (err) {
        if (this.state !== 'running' && abort.signal.aborted) finish = { kind: 'returned' };
        else {
          log.warn({ err: describeError(err) }, 'job failed');
          finish = { kind: 'failed', error: JSON.stringify(describeError(err)).slice(0, 2000) };
        }
      }
      if (!this.handedBack.has(job.id)) {
        await this.finish(runner, job, finish).catch((err: unknown) => {
          log.warn(
            { err: describeError(err) },
            'job queue: could not record the outcome; the job runs again after its lease',
          );
        });
      }
      const metrics = this.options.metrics;
      if (metrics) {
        metrics.jobs.inc({
          queue: job.queue,
          outcome: this.handedBack.has(job.id) ? 'returned' : finish.kind,
        });
        metrics.jobDuration.observe({ queue: job.queue }, Number(process.hrtime.bigint() - started) / 1e9);
      }
      this.handedBack.delete(job.id);
      runner.inFlight.delete(job.id);
      if (this.state === 'running') void this.fill(runner);
    })();
    runner.inFlight.set(job.id, { job, abort, done });
  }

  private async finish(runner: Runner, job: Job, finish: Finish): Promise<void> {
    const mine = sql`id = ${job.id}::bigint and locked_by = ${this.workerId} and state = 'running'`;
    const released = sql`locked_by = null, locked_until = null, updated_at = now()`;
    const db = this.options.database.db;
    switch (finish.kind) {
      case 'done':
        if (runner.periodSeconds === null) await db.execute(sql`delete from jobs where ${mine}`);
        else {
          await db.execute(sql`
            update jobs set state = 'pending', attempts = 0, run_at = ${nextPeriod()}, last_error = null, ${released}
            where ${mine}`);
        }
        return;
      case 'failed': {
        const retry = sql`attempts <= cardinality(retry_delays)`;
        await db.execute(sql`
          update jobs set
            state = case when ${retry} or period_seconds is not null then 'pending' else 'failed' end,
            run_at = case when ${retry} then now() + retry_delays[attempts] * interval '1 second'
                          when period_seconds is not null then ${nextPeriod()} else run_at end,
            attempts = case when not ${retry} and period_seconds is not null then 0 else attempts end,
            last_error = ${finish.error}, ${released}
          where ${mine}`);
        return;
      }
      case 'later':
        await db.execute(sql`
          update jobs set state = 'pending', attempts = attempts - 1,
                 run_at = now() + ${Math.max(0, finish.seconds)} * interval '1 second', ${released}
          where ${mine}`);
        return;
      case 'returned':
        await this.handBack([job]);
        return;
    }
  }

  /** Back to pending at once, the attempt not counted; other workers are woken. */
  private async handBack(jobs: Job[]): Promise<void> {
    await this.options.database.db.execute(sql`
      with back as (
        update jobs set state = 'pending', attempts = greatest(attempts - 1, 0), run_at = least(run_at, now()),
               locked_by = null, locked_until = null, updated_at = now()
        where id = any(${`{${jobs.map((j) => j.id).join(',')}}`}::bigint[]) and locked_by = ${this.workerId} and state = 'running'
        returning queue)
      select pg_notify(${JOBS_CHANNEL}, queue) from (select distinct queue from back) q`);
  }

  /** Renews the leases of the jobs this process is running. */
  private async heartbeat(): Promise<void> {
    if (this.state === 'stopped') return;
    for (const runner of this.runners.values()) {
      const ids = [...runner.inFlight.keys()].filter((id) => !this.handedBack.has(id));
      if (ids.length === 0) continue;
      await this.options.database.db
        .execute(
          sql`update jobs set locked_until = now() + ${runner.leaseSeconds} * interval '1 second'
              where id = any(${`{${ids.join(',')}}`}::bigint[]) and locked_by = ${this.workerId} and state = 'running'`,
        )
        .catch((err: unknown) => {
          this.options.logger.warn({ err: describeError(err) }, 'job queue: lease renewal failed');
        });
    }
  }
}

/** A periodic job's next run: the first period boundary after now, counted from its last run time. */
function nextPeriod(): SQL {
  return sql`run_at + period_seconds * interval '1 second' *
    greatest(1, floor(extract(epoch from now() - run_at) / period_seconds) + 1)`;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the app's job queue (src/app.ts) */
    jobs: JobQueue;
  }
}
