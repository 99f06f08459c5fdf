ALTER TABLE "workspace_clients" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workspace_referrals" ADD COLUMN "archived_at" timestamp with time zone;