/**
 * The job queue across real processes on PostgreSQL (issue #10): a job whose worker process was
 * killed (SIGKILL, mid-run) runs again once its lease expired, and completes once; two worker
 * processes never run one job at once, even jobs that outlive their lease (renewed while they
 * run). The workers are test/jobs/fixtures/slow-worker.ts: the service's JobQueue, configured as
 * the service is, with a test queue whose handler is slow and records every run in `job_runs`.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rows, type Database } from '../../src/db/database.js';
import { enqueue } from '../../src/jobs/queue.js';
import { createTestDatabase, openMigratedDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnTs, type Spawned } from '../helpers/process.js';
import { onPostgres } from '../helpers/skip.js';

const LEASE_SECONDS = 2;

interface Run {
  job_id: string;
  attempt: number;
  worker: string;
  started_ms: number;
  finished_ms: number | null;
}

onPostgres.describe('jobs across worker processes', () => {
  let testDb: TestDatabase;
  let database: Database;
  const workers = new Map<string, Spawned>();

  const startWorker = async (name: string): Promise<Spawned> => {
    const p = spawnTs('test/jobs/fixtures/slow-worker.ts', [], {
      DATABASE_URL: testDb.url,
      JOB_LEASE_SECONDS: String(LEASE_SECONDS),
      JOB_POLL_INTERVAL_MS: '100',
      WORKER_NAME: name,
      WORKER_CONCURRENCY: '4',
    });
    workers.set(name, p);
    await p.waitFor(new RegExp(`worker ${name} ready`), 90_000);
    return p;
  };
  const runs = () =>
    rows<Run>(
      database.db,
      sql`select job_id::text, attempt, worker,
                 (extract(epoch from started_at) * 1000)::float8 as started_ms,
                 (extract(epoch from finished_at) * 1000)::float8 as finished_ms
          from job_runs order by started_at`,
    );
  const jobsLeft = async () =>
    (
      await rows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from jobs where queue = 'test.slow'`,
      )
    )[0]!.n;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) {
        const output = [...workers].map(([name, p]) => `--- ${name}:\n${p.output()}`).join('\n');
        throw new Error(`timed out: ${what}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = await openMigratedDatabase(testDb);
    await database.db.execute(sql`
      create table job_runs (
        id serial primary key, job_id bigint not null, attempt int not null, worker text not null,
        started_at timestamptz not null default clock_timestamp(), finished_at timestamptz)`);
  }, 60_000);
  afterAll(async () => {
    for (const p of workers.values()) p.child.kill('SIGKILL');
    await Promise.all([...workers.values()].map((p) => p.exited));
    await database?.close();
    await testDb?.drop();
  });

  it(
    'a job whose worker process was killed mid-run runs again after its lease, and completes once',
    { timeout: 180_000 },
    async () => {
      await Promise.all([startWorker('a'), startWorker('b')]);
      // Longer than the lease three times over: only the holder's renewals keep it from the other.
      const ms = LEASE_SECONDS * 3 * 1000;
      await enqueue(database.db, { queue: 'test.slow', payload: { ms }, retryDelays: [1, 1] });
      await until('a worker started the job', async () => (await runs()).length === 1);
      const [first] = await runs();
      // Past its first lease, still held by the worker running it (renewed), not run by the other.
      await new Promise((r) => setTimeout(r, LEASE_SECONDS * 1000 * 1.5));
      expect(await runs()).toHaveLength(1);

      const holder = workers.get(first!.worker)!;
      holder.child.kill('SIGKILL');
      await holder.exited;
      const [killedAt] = await rows<{ ms: number }>(
        database.db,
        sql`select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms`,
      );
      const killedMs = killedAt!.ms;
      // A new process in its place, as an orchestrator would start one.
      const replacement = first!.worker === 'a' ? 'a2' : 'b2';
      await startWorker(replacement);

      await until('the job ran again and completed', async () => (await jobsLeft()) === 0, 60_000);
      const all = await runs();
      expect(all).toHaveLength(2);
      const [killed, again] = all as [Run, Run];
      expect(killed).toMatchObject({ worker: first!.worker, attempt: 1, finished_ms: null });
      expect(again.attempt).toBe(2);
      expect(again.worker).not.toBe(first!.worker);
      expect(again.finished_ms).not.toBeNull();
      // Taken again only after the kill (its lease ran out: the other worker waited), and soon after.
      expect(again.started_ms).toBeGreaterThan(killedMs);
      expect(again.started_ms - killedMs).toBeLessThan(LEASE_SECONDS * 1000 + 10_000);
      expect(all.filter((r) => r.finished_ms !== null)).toHaveLength(1);
    },
  );

  it(
    'two worker processes, many jobs (some outliving their lease): each runs once, never two at once',
    { timeout: 180_000 },
    async () => {
      await database.db.execute(sql`truncate job_runs`);
      const alive = [...workers].filter(([, p]) => p.child.exitCode === null && p.child.signalCode === null);
      expect(alive).toHaveLength(2);
      const slow = Array.from({ length: 12 }, () => ({
        queue: 'test.slow',
        payload: { ms: LEASE_SECONDS * 1000 + 700 },
      }));
      const quick = Array.from({ length: 120 }, (_, n) => ({ queue: 'test.slow', payload: { ms: n % 30 } }));
      await enqueue(database.db, [...slow, ...quick]);
      await until('every job ran and completed', async () => (await jobsLeft()) === 0, 120_000);

      const all = await runs();
      expect(all).toHaveLength(slow.length + quick.length);
      expect(all.filter((r) => r.finished_ms === null)).toEqual([]);
      // Each job once (so no two runs of one job overlap), on its first attempt.
      const byJob = new Map<string, Run[]>();
      for (const r of all) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
      expect([...byJob.values()].filter((rs) => rs.length > 1)).toEqual([]);
      expect(all.filter((r) => r.attempt !== 1)).toEqual([]);
      // Both processes did work.
      expect(new Set(all.map((r) => r.worker))).toEqual(new Set(alive.map(([name]) => name)));
    },
  );
});
