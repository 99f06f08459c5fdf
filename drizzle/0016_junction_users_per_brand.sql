-- Junction users are per brand's patient (docs/junction.md, "One Junction user per brand's
-- patient"): the cache was keyed by the patient id alone, so two brands sending the same patient id
-- shared one Junction user. Existing users are kept, each for one brand: the brand whose order first
-- used it, else the only brand that has a profile of that patient. They keep their client_user_id
-- (the bare patient id); users made from now on are named from the brand and the patient. A user
-- neither rule attributes is dropped from the cache: the next order of that brand's patient makes
-- the brand's own user.
ALTER TABLE "junction_users" ADD COLUMN "brand_id" text;--> statement-breakpoint
ALTER TABLE "junction_users" ADD COLUMN "patient_id" uuid;--> statement-breakpoint
UPDATE "junction_users" AS u SET "brand_id" = o."brand_id", "patient_id" = o."patient_id"
FROM (
  SELECT DISTINCT ON ("junction_user_id") "junction_user_id", "brand_id", "patient_id"
  FROM "lab_orders" WHERE "junction_user_id" IS NOT NULL
  ORDER BY "junction_user_id", "created_at", "id"
) AS o
WHERE o."junction_user_id" = u."junction_user_id" AND o."patient_id"::text = lower(u."client_user_id");--> statement-breakpoint
UPDATE "junction_users" AS u SET "brand_id" = p."brand_id", "patient_id" = p."patient_id"
FROM "patients" AS p
WHERE u."brand_id" IS NULL AND p."patient_id"::text = lower(u."client_user_id")
  AND NOT EXISTS (SELECT 1 FROM "patients" AS q WHERE q."patient_id" = p."patient_id" AND q."brand_id" <> p."brand_id");--> statement-breakpoint
DELETE FROM "junction_users" WHERE "brand_id" IS NULL;--> statement-breakpoint
-- One user per (environment, brand, patient): a patient id cached in two letter cases keeps its oldest.
DELETE FROM "junction_users" AS u USING "junction_users" AS v
WHERE u."junction_environment" = v."junction_environment" AND u."brand_id" = v."brand_id" AND u."patient_id" = v."patient_id"
  AND (u."created_at", u."client_user_id") > (v."created_at", v."client_user_id");--> statement-breakpoint
ALTER TABLE "junction_users" ALTER COLUMN "brand_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "junction_users" ALTER COLUMN "patient_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "junction_users" DROP CONSTRAINT "junction_users_junction_environment_client_user_id_pk";--> statement-breakpoint
ALTER TABLE "junction_users" ADD CONSTRAINT "junction_users_junction_environment_brand_id_patient_id_pk" PRIMARY KEY("junction_environment","brand_id","patient_id");--> statement-breakpoint
CREATE UNIQUE INDEX "junction_users_client_user_idx" ON "junction_users" USING btree ("junction_environment","client_user_id");
