-- A Junction user id is only meaningful to the Junction that made it: the cache is now per
-- environment. Rows cached before did not record theirs; they are dropped and rebuilt on demand
-- (POST /v2/user answers "already exists" with the same id for a known client_user_id).
DELETE FROM "junction_users";--> statement-breakpoint
ALTER TABLE "junction_users" DROP CONSTRAINT "junction_users_pkey";--> statement-breakpoint
ALTER TABLE "junction_users" ADD COLUMN "junction_environment" text NOT NULL;--> statement-breakpoint
ALTER TABLE "junction_users" ADD CONSTRAINT "junction_users_junction_environment_client_user_id_pk" PRIMARY KEY("junction_environment","client_user_id");
