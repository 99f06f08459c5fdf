-- A job's run_at is milliseconds; the default used to round now() to them, up half the time, which put a job due now in
-- the future and made the insert trigger (run_at <= now()) skip its wake-up. Truncating keeps it due.
ALTER TABLE "jobs" ALTER COLUMN "run_at" SET DEFAULT date_trunc('milliseconds', now());