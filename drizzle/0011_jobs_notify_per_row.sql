-- The wake-up trigger ran its PL/pgSQL once per inserting statement, even for an insert of no rows: every lab-order
-- create's webhook fan-out inserts no job when no endpoint takes the event. A row trigger whose WHEN clause is false, or
-- that has no row, does not run at all. The notifications are the same: one per due job, and PostgreSQL folds a
-- transaction's identical notifications (same channel, same queue) into one at commit.
CREATE FUNCTION "labline_jobs_notify_row"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('labline_jobs', NEW.queue);
  RETURN NULL;
END $$;--> statement-breakpoint
DROP TRIGGER "jobs_notify" ON "jobs";--> statement-breakpoint
DROP FUNCTION "labline_jobs_notify"();--> statement-breakpoint
CREATE TRIGGER "jobs_notify" AFTER INSERT ON "jobs" FOR EACH ROW WHEN (NEW.run_at <= now()) EXECUTE FUNCTION "labline_jobs_notify_row"();
