ALTER TABLE "lab_orders" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "idempotency_keys_unfinished_resource_idx" ON "idempotency_keys" USING btree ("resource_id") WHERE state = 'in_progress';--> statement-breakpoint
CREATE INDEX "lab_orders_submitting_idx" ON "lab_orders" USING btree ("created_at") WHERE status = 'submitting';--> statement-breakpoint
CREATE INDEX "lab_orders_open_idx" ON "lab_orders" USING btree ("updated_at") WHERE status in ('received', 'collecting_sample', 'sample_with_lab');