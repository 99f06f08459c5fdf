-- Less work per lab-order create for PostgreSQL, and lists in their indexes' order (docs/benchmarks.md, steps 18-19):
-- * The update that stores a request's response in its idempotency key changed `state`, a column in the predicate of
--   idempotency_keys_unfinished_resource_idx, so it could never be a HOT update: a new row version with an entry in
--   each of the table's indexes. The index on resource_id now has no `state` in it (reconciliation's queries still
--   filter on state), and new pages keep 30 % free for the response body, so the update stays on its page.
-- * Each event was indexed under both tenant columns, one of them NULL. The two indexes are now partial.
-- * events_created_idx was (created_at): the list of every brand's events, newest first on (created_at, id) as
--   every list now orders (DESC NULLS LAST), sorted all of them for each page. It now has the list's order.
-- The indexes are rebuilt in the migration's transaction: writes to idempotency_keys and events wait until it commits
-- (docs/operations.md, "Migrations").
DROP INDEX "idempotency_keys_unfinished_resource_idx";--> statement-breakpoint
DROP INDEX "events_brand_created_idx";--> statement-breakpoint
DROP INDEX "events_workspace_created_idx";--> statement-breakpoint
DROP INDEX "events_created_idx";--> statement-breakpoint
CREATE INDEX "idempotency_keys_resource_idx" ON "idempotency_keys" USING btree ("resource_id") WHERE resource_id is not null;--> statement-breakpoint
CREATE INDEX "events_brand_created_idx" ON "events" USING btree ("brand_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE brand_id is not null;--> statement-breakpoint
CREATE INDEX "events_workspace_created_idx" ON "events" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE workspace_id is not null;--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "idempotency_keys" SET (fillfactor = 70);
