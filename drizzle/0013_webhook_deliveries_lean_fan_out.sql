-- Less work per fanned-out delivery (docs/benchmarks.md, step 20):
-- * Every delivery a create fans out checked its foreign key, which locks the endpoint's row (FOR KEY SHARE): all of a
--   brand's creates locked the same row, and concurrent ones built MultiXacts of each other. Deleting an endpoint now
--   deletes its deliveries in the same statement, and the claim removes any a racing fan-out wrote.
-- * The btree on event_id alone goes (recover reads through the endpoint's log index); the one on created_at (the
--   purge's) becomes BRIN, which costs an insert next to nothing.
-- Writes to webhook_deliveries (every fan-out, so every create with an endpoint) wait while the BRIN index is built:
-- one pass over the table, about a second per million deliveries.
ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk";
--> statement-breakpoint
DROP INDEX "webhook_deliveries_event_idx";--> statement-breakpoint
DROP INDEX "webhook_deliveries_created_idx";--> statement-breakpoint
CREATE INDEX "webhook_deliveries_created_idx" ON "webhook_deliveries" USING brin ("created_at");