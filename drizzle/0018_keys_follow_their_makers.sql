-- A key made by a key lives no longer than its maker (docs/api-keys.md): since this rule, revoking
-- a key revokes the keys it made, and a made key expires no later than its maker. Keys made before
-- the rule may outlive a maker revoked or expiring before them; this brings them in line, once:
-- each key takes its maker's revocation (when it has none of its own) and the earlier of the two
-- expiries, down the whole chain of makers (`created_by` = 'key:<maker id>').
WITH RECURSIVE "chain" ("id", "revoked_at", "expires_at") AS (
	SELECT "id", "revoked_at", "expires_at" FROM "api_keys" AS "k"
	WHERE NOT EXISTS (SELECT 1 FROM "api_keys" AS "maker" WHERE "k"."created_by" = 'key:' || "maker"."id"::text)
	UNION ALL
	SELECT "k"."id", coalesce("k"."revoked_at", "c"."revoked_at"), least("k"."expires_at", "c"."expires_at")
	FROM "api_keys" AS "k" JOIN "chain" AS "c" ON "k"."created_by" = 'key:' || "c"."id"::text
)
UPDATE "api_keys" AS "k" SET "revoked_at" = "c"."revoked_at", "expires_at" = "c"."expires_at"
FROM "chain" AS "c"
WHERE "c"."id" = "k"."id"
	AND ("k"."revoked_at" IS DISTINCT FROM "c"."revoked_at" OR "k"."expires_at" IS DISTINCT FROM "c"."expires_at");
