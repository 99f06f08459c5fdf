-- The create's answer updates its order `where id = … and status = 'submitting' and junction_order_id is null`
-- (docs/benchmarks.md, step 21). PostgreSQL found the row through an index of the orders in flight instead of the primary
-- key: the partial index of submitting orders by created_at, or the unique index on junction_order_id through its NULLs
-- (every order in flight has none), both a hair cheaper by its estimate, and read every order in flight to find the one.
-- Submitting orders are now indexed by id, and Junction's ids only where there is one (an entry less per create).
-- Writes to lab_orders wait while the two indexes are built: about 0.9 s per million orders.
DROP INDEX "lab_orders_junction_order_idx";--> statement-breakpoint
DROP INDEX "lab_orders_submitting_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "lab_orders_junction_order_idx" ON "lab_orders" USING btree ("junction_order_id") WHERE junction_order_id is not null;--> statement-breakpoint
CREATE INDEX "lab_orders_submitting_idx" ON "lab_orders" USING btree ("id") WHERE status = 'submitting';