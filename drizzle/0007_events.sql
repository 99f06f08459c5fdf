CREATE TABLE "events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"brand_id" text,
	"workspace_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"data" json NOT NULL,
	CONSTRAINT "events_one_tenant" CHECK (("events"."brand_id" is null) <> ("events"."workspace_id" is null))
);
--> statement-breakpoint
CREATE INDEX "events_brand_created_idx" ON "events" USING btree ("brand_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_workspace_created_idx" ON "events" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_created_idx" ON "events" USING btree ("created_at");