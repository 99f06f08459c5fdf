import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const JOB_STATES = ['pending', 'running', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/**
 * The durable job queue (docs/jobs.md). A job is `pending` until `run_at`, `running` while a worker
 * holds its lease (`locked_by` until `locked_until`), and deleted when it succeeds; one that used
 * up its retries stays `failed` for a while for inspection. A periodic job (`period_seconds`) is
 * never deleted: success (or its last failure) puts it back to `pending` one period later.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    queue: text('queue').notNull(),
    payload: jsonb('payload').notNull().default({}),
    state: text('state', { enum: JOB_STATES }).notNull().default('pending'),
    /**
     * Milliseconds, truncated (not rounded) when it defaults to now: rounding up would put a job
     * due now a fraction of a millisecond in the future, and the insert trigger that wakes workers
     * (`run_at <= now()`) would skip it, leaving it to the next poll.
     */
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date', precision: 3 })
      .notNull()
      .default(sql`date_trunc('milliseconds', now())`),
    /** runs started so far (a run whose worker died counts) */
    attempts: integer('attempts').notNull().default(0),
    /** seconds to wait before each retry; its length is the number of retries */
    retryDelays: integer('retry_delays')
      .array()
      .notNull()
      .default(sql`'{}'::integer[]`),
    /** at most one pending or running job per (queue, singleton_key) */
    singletonKey: text('singleton_key'),
    periodSeconds: integer('period_seconds'),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('jobs_due_idx')
      .on(t.queue, t.runAt, t.id)
      .where(sql`state = 'pending'`),
    index('jobs_lease_idx')
      .on(t.lockedUntil)
      .where(sql`state = 'running'`),
    uniqueIndex('jobs_singleton_idx')
      .on(t.queue, t.singletonKey)
      .where(sql`singleton_key is not null and state <> 'failed'`),
  ],
);
