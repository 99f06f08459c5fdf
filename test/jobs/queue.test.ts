/**
 * The job queue (src/jobs/queue.ts) on the app's own database, PGlite or PostgreSQL: a job whose
 * worker died runs again after its lease, two queues on one database never run one job twice,
 * retries follow the job's schedule, singleton keys, periodic jobs once per period, LISTEN/NOTIFY
 * wake-up, graceful stop, metrics, RUN_WORKERS=false.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rows, type Database } from '../../src/db/database.js';
import { createLogger } from '../../src/http/logging.js';
import { enqueue, JobQueue, type Job, type JobHandler, type JobQueueOptions } from '../../src/jobs/queue.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { usingPostgres } from '../helpers/database.js';

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const jobRows = (db: Database, queue: string) =>
  rows<{ id: string; state: string; attempts: number; last_error: string | null; run_at: string }>(
    db.db,
    sql`select id::text as id, state, attempts, last_error, run_at::text as run_at from jobs where queue = ${queue} order by id`,
  );

describe('job queue', () => {
  let t: TestApp;
  /** queues made by a test, stopped at the end */
  const extra: JobQueue[] = [];
  const extraDbs: Database[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { JOB_POLL_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    for (const q of extra) await q.stop();
    for (const d of extraDbs) await d.close();
    await t.close();
  });

  /** Another replica's queue: on PostgreSQL its own pool, on PGlite the one embedded connection. */
  const replica = async (options: Partial<JobQueueOptions> = {}) => {
    let database = t.database;
    if (t.config.database.kind === 'postgres') {
      database = await openDatabase({ ...t.config.database, poolSize: 4 });
      extraDbs.push(database);
    }
    const q = new JobQueue({
      database,
      logger: createLogger('silent'),
      pollIntervalMs: 100,
      leaseSeconds: 30,
      ...options,
    });
    extra.push(q);
    return q;
  };

  it('runs a job enqueued in a transaction once it commits, and never one whose transaction rolled back', async () => {
    const q = await replica();
    const seen: unknown[] = [];
    q.register('t.commit', async (job) => {
      seen.push(job.payload);
    });
    await q.start();
    await t.database.transaction(async (tx) => enqueue(tx, { queue: 't.commit', payload: { n: 1 } }));
    await t.database
      .transaction(async (tx) => {
        await enqueue(tx, { queue: 't.commit', payload: { n: 2 } });
        throw new Error('roll back');
      })
      .catch(() => {});
    await enqueue(t.database.db, { queue: 't.commit', payload: { n: 3 } });
    await until('both committed jobs ran', () => seen.length >= 2);
    await until('their rows are gone', async () => (await jobRows(t.database, 't.commit')).length === 0);
    expect(seen).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('a job whose worker died runs again once its lease expired', async () => {
    const a = await replica({ leaseSeconds: 1 });
    let startedOnA: Job | null = null;
    a.register('t.crash', async (job) => {
      startedOnA = job;
      await new Promise(() => {}); // the process "dies" while running it
    });
    await a.start();
    await enqueue(t.database.db, { queue: 't.crash', payload: { x: 'y' } });
    await until('A started the job', () => startedOnA !== null);
    a.abandon();
    const [held] = await jobRows(t.database, 't.crash');
    expect(held).toMatchObject({ state: 'running', attempts: 1 });

    const b = await replica({ leaseSeconds: 1 });
    const onB: Job[] = [];
    b.register('t.crash', async (job) => {
      onB.push(job);
    });
    await b.start();
    await until('B ran it', () => onB.length === 1);
    expect(onB[0]).toMatchObject({ id: startedOnA!.id, attempt: 2, payload: { x: 'y' } });
    await until('it completed', async () => (await jobRows(t.database, 't.crash')).length === 0);
  });

  it('two queues on one database never run one job twice', async () => {
    const N = 200;
    const runs = new Map<string, string[]>();
    const handler =
      (name: string): JobHandler<{ n: number }> =>
      async (job) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), name]);
        await new Promise((r) => setTimeout(r, job.payload.n % 3));
      };
    const [a, b] = [await replica(), await replica()];
    a.register('t.race', handler('a'), { concurrency: 4 });
    b.register('t.race', handler('b'), { concurrency: 4 });
    await Promise.all([a.start(), b.start()]);
    await enqueue(
      t.database.db,
      Array.from({ length: N }, (_, n) => ({ queue: 't.race', payload: { n } })),
    );
    await until('every job ran', () => runs.size === N, 60_000);
    await until('every row is gone', async () => (await jobRows(t.database, 't.race')).length === 0);
    expect([...runs.values()].filter((by) => by.length > 1)).toEqual([]);
    if (usingPostgres) {
      // Two pools, two workers: both took part.
      const by = [...runs.values()].map((r) => r[0]);
      expect(new Set(by)).toEqual(new Set(['a', 'b']));
    }
  });

  it('retries on the schedule the job names, then marks it failed; { retryInSeconds } does not use an attempt', async () => {
    const q = await replica();
    const attempts: number[] = [];
    q.register('t.flaky', async (job: Job<{ failTimes: number }>) => {
      attempts.push(job.attempt);
      if (job.attempt <= job.payload.failTimes) throw new Error('not yet');
    });
    const later: number[] = [];
    q.register('t.later', async (job) => {
      later.push(job.attempt);
      if (later.length === 1) return { retryInSeconds: 0 };
    });
    await q.start();
    await enqueue(t.database.db, { queue: 't.flaky', payload: { failTimes: 2 }, retryDelays: [0, 0] });
    await until(
      'third attempt succeeded',
      async () => attempts.length === 3 && (await jobRows(t.database, 't.flaky')).length === 0,
    );
    expect(attempts).toEqual([1, 2, 3]);

    await enqueue(t.database.db, { queue: 't.flaky', payload: { failTimes: 5 }, retryDelays: [0] });
    await until(
      'it failed for good',
      async () => (await jobRows(t.database, 't.flaky'))[0]?.state === 'failed',
    );
    const [failed] = await jobRows(t.database, 't.flaky');
    expect(failed).toMatchObject({ state: 'failed', attempts: 2 });
    expect(JSON.parse(failed!.last_error!)).toMatchObject({ type: 'Error' });

    await enqueue(t.database.db, { queue: 't.later', retryDelays: [] });
    await until('it ran again', () => later.length === 2);
    expect(later).toEqual([1, 1]);
  });

  it('a singleton key admits one pending or running job per queue', async () => {
    const job = { queue: 't.single', singletonKey: 'order-1', runAt: new Date(Date.now() + 3_600_000) };
    await enqueue(t.database.db, job);
    await enqueue(t.database.db, job);
    await enqueue(t.database.db, { ...job, singletonKey: 'order-2' });
    expect((await jobRows(t.database, 't.single')).length).toBe(2);
  });

  it('a periodic job runs once per period across replicas', async () => {
    const runAts: number[] = [];
    const [a, b] = [await replica(), await replica()];
    for (const q of [a, b]) {
      q.periodic('t.tick', 1, async (job) => {
        runAts.push(job.runAt.getTime());
      });
    }
    await Promise.all([a.start(), b.start()]);
    await until('three periods ran', () => runAts.length >= 3, 30_000);
    await Promise.all([a.stop(), b.stop()]);
    const sorted = [...runAts].sort((x, y) => x - y);
    // One run per period: every run has its own period start, one period after the last.
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(1000);
    expect((await jobRows(t.database, 't.tick')).length).toBe(1);
  });

  it('wakes on NOTIFY without polling', async () => {
    const q = await replica({ pollIntervalMs: 600_000 });
    let ran = false;
    q.register('t.notify', async () => {
      ran = true;
    });
    await q.start();
    await enqueue(t.database.db, { queue: 't.notify' });
    await until('the job ran', () => ran);
  });

  it('every job enqueued to run now wakes the workers (one notification per insert)', async () => {
    const woken: string[] = [];
    const listener = await t.database.listen('labline_jobs', (queue) => {
      if (queue === 't.wake') woken.push(queue);
    });
    try {
      const inserts = 40;
      for (let i = 0; i < inserts; i++) await enqueue(t.database.db, { queue: 't.wake' });
      // Jobs due later, and an insert of no job, wake nobody.
      await enqueue(t.database.db, { queue: 't.wake', runAt: new Date(Date.now() + 3_600_000) });
      await t.database.db.execute(sql`insert into jobs (queue) select 't.wake' where false`);
      await until(`${inserts} notifications`, () => woken.length >= inserts, 5_000).catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
      expect(woken.length).toBe(inserts);
    } finally {
      await listener.close();
    }
  });

  it('stop() lets a running job finish within the grace period, and hands back one that does not', async () => {
    const q = await replica({ shutdownGraceMs: 300 });
    const started: string[] = [];
    let finished = false;
    q.register(
      't.stop',
      async (job: Job<{ slow: boolean }>, { signal }) => {
        started.push(job.id);
        if (!job.payload.slow) {
          await new Promise((r) => setTimeout(r, 50));
          finished = true;
          return;
        }
        await new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
      { concurrency: 2 },
    );
    await q.start();
    await enqueue(t.database.db, [
      { queue: 't.stop', payload: { slow: false } },
      { queue: 't.stop', payload: { slow: true } },
    ]);
    await until('both started', () => started.length === 2);
    await q.stop();
    expect(finished).toBe(true);
    const left = await jobRows(t.database, 't.stop');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('shows queue depth and the oldest job age in /metrics', async () => {
    await enqueue(t.database.db, [{ queue: 't.unhandled' }, { queue: 't.unhandled' }]);
    const text = (await t.request('GET', '/metrics')).text;
    expect(text).toMatch(/job_queue_depth\{queue="t\.unhandled",state="ready"\} 2/);
    expect(text).toMatch(/job_queue_oldest_seconds\{queue="t\.unhandled"\} \d/);
    // The app's own periodic purges are there, run by its workers.
    expect(text).toMatch(/job_queue_depth\{queue="idempotency\.purge",state="scheduled"\} 1/);
    expect(text).toMatch(/jobs_total\{queue="idempotency\.purge",outcome="done"\} 1/);
  });

  it('RUN_WORKERS=false: an API-only replica runs no workers', async () => {
    const api = await startTestApp({ env: { RUN_WORKERS: 'false' } });
    try {
      expect(api.app.jobs.running).toBe(false);
      expect(t.app.jobs.running).toBe(true);
    } finally {
      await api.close();
    }
  });
});
