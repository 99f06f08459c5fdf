-- A delivery job's claim counted the endpoint's deliveries in flight over every pending delivery, and found an endpoint's
-- due deliveries through an index of all endpoints' by due time; the sweep listed the endpoints with due deliveries by
-- reading every due one. So one endpoint's backlog (its receiver down while its brand keeps ordering: 100,000 pending)
-- was read by every claim of every endpoint and by the sweep each second: about 60 ms a claim. Pending deliveries are
-- now indexed by endpoint first, and the leased ones (a fan-out's insert is never leased: no entry) on their own.
-- Writes to webhook_deliveries wait while the index is built, as for 0013: about a second per million pending deliveries.
DROP INDEX "webhook_deliveries_due_idx";--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_due_idx" ON "webhook_deliveries" USING btree ("endpoint_id","next_attempt_at","id") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_leased_idx" ON "webhook_deliveries" USING btree ("endpoint_id") WHERE "webhook_deliveries"."status" = 'pending' and "webhook_deliveries"."locked_until" is not null;