CREATE TABLE "lab_visits" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"client_id" text NOT NULL,
	"referral_id" text,
	"lab_visit_type" text NOT NULL,
	"status" text NOT NULL,
	"lab_test_ids" integer[] NOT NULL,
	"lab_test_snapshots" jsonb NOT NULL,
	"lab_test_results" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"lab_visit_date" timestamp with time zone NOT NULL,
	"notes" text,
	"subtotal_cents" integer NOT NULL,
	"coupon_id" text,
	"coupon_code" text,
	"discount_cents" integer NOT NULL,
	"total_cents" integer NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "lab_visits_status_check" CHECK ("lab_visits"."status" in ('pending', 'scheduled', 'collected', 'completed', 'cancelled')),
	CONSTRAINT "lab_visits_type_check" CHECK ("lab_visits"."lab_visit_type" in ('in-lab', 'at-home')),
	CONSTRAINT "lab_visits_pricing_check" CHECK ("lab_visits"."discount_cents" >= 0 and "lab_visits"."discount_cents" <= "lab_visits"."subtotal_cents" and "lab_visits"."total_cents" = "lab_visits"."subtotal_cents" - "lab_visits"."discount_cents")
);
--> statement-breakpoint
CREATE TABLE "lab_coupons" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"code" text NOT NULL,
	"type" text NOT NULL,
	"value" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"expires_at" timestamp with time zone,
	"max_redemptions" integer,
	"redemptions" integer DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lab_coupons_workspace_id_key" UNIQUE("workspace_id","id"),
	CONSTRAINT "lab_coupons_type_check" CHECK ("lab_coupons"."type" in ('percent', 'fixed')),
	CONSTRAINT "lab_coupons_value_check" CHECK ("lab_coupons"."value" >= 0 and ("lab_coupons"."type" <> 'percent' or "lab_coupons"."value" <= 10000)),
	CONSTRAINT "lab_coupons_redemptions_check" CHECK ("lab_coupons"."redemptions" >= 0 and ("lab_coupons"."max_redemptions" is null or "lab_coupons"."redemptions" <= "lab_coupons"."max_redemptions"))
);
--> statement-breakpoint
CREATE TABLE "lab_tests" (
	"id" text PRIMARY KEY NOT NULL,
	"test_id" integer NOT NULL,
	"test_title" text NOT NULL,
	"price_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lab_tests_test_id_key" UNIQUE("test_id"),
	CONSTRAINT "lab_tests_test_id_check" CHECK ("lab_tests"."test_id" > 0),
	CONSTRAINT "lab_tests_price_check" CHECK ("lab_tests"."price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "workspace_clients" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"email" text,
	"dob" date,
	"phone" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_clients_workspace_id_key" UNIQUE("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "workspace_lab_tests" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"test_id" integer NOT NULL,
	"test_title" text NOT NULL,
	"price_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_lab_tests_price_check" CHECK ("workspace_lab_tests"."price_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "workspace_members" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"user_id" text NOT NULL,
	"role" text NOT NULL,
	"permissions" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspace_referrals" (
	"id" text PRIMARY KEY NOT NULL,
	"workspace_id" text NOT NULL,
	"name" text NOT NULL,
	"client_id" text,
	"notes" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_referrals_workspace_id_key" UNIQUE("workspace_id","id")
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_user_id" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "lab_visits" ADD CONSTRAINT "lab_visits_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lab_visits" ADD CONSTRAINT "lab_visits_client_fk" FOREIGN KEY ("workspace_id","client_id") REFERENCES "public"."workspace_clients"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lab_visits" ADD CONSTRAINT "lab_visits_referral_fk" FOREIGN KEY ("workspace_id","referral_id") REFERENCES "public"."workspace_referrals"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lab_visits" ADD CONSTRAINT "lab_visits_coupon_fk" FOREIGN KEY ("workspace_id","coupon_id") REFERENCES "public"."lab_coupons"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lab_coupons" ADD CONSTRAINT "lab_coupons_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_clients" ADD CONSTRAINT "workspace_clients_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_lab_tests" ADD CONSTRAINT "workspace_lab_tests_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_lab_tests" ADD CONSTRAINT "workspace_lab_tests_test_id_lab_tests_test_id_fk" FOREIGN KEY ("test_id") REFERENCES "public"."lab_tests"("test_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_members" ADD CONSTRAINT "workspace_members_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_referrals" ADD CONSTRAINT "workspace_referrals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_referrals" ADD CONSTRAINT "workspace_referrals_client_fk" FOREIGN KEY ("workspace_id","client_id") REFERENCES "public"."workspace_clients"("workspace_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "lab_visits_workspace_date_idx" ON "lab_visits" USING btree ("workspace_id","lab_visit_date" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "lab_visits"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "lab_visits_client_date_idx" ON "lab_visits" USING btree ("workspace_id","client_id","lab_visit_date" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "lab_visits"."deleted_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "lab_coupons_workspace_code_idx" ON "lab_coupons" USING btree ("workspace_id",lower("code"));--> statement-breakpoint
CREATE UNIQUE INDEX "workspace_lab_tests_workspace_test_idx" ON "workspace_lab_tests" USING btree ("workspace_id","test_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workspace_members_workspace_user_idx" ON "workspace_members" USING btree ("workspace_id","user_id");--> statement-breakpoint
CREATE INDEX "workspace_members_user_idx" ON "workspace_members" USING btree ("user_id");