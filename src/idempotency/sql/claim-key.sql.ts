/**
 * Claiming an Idempotency-Key: as a statement of its own (`claimKey`, the lab-visit create), or as
 * the first CTEs of a statement that writes what the key guards (`claimKeyCtes`, the lab-order
 * create's claim-order.sql.ts), so that a request that loses the key writes nothing.
 */
import { defineStatement, type Placeholders } from '../../db/statements.js';

export interface ClaimKeyParams {
  principal: string;
  route: string;
  key: string;
  fingerprint: string;
  /** the lease: another request may take the key over after it (ISO 8601) */
  lockedUntil: string;
  /** what the request creates, so that a retry after a crash resumes it */
  resourceId: string | null;
  now: string;
  expiresAt: string;
  /** true when the request already holds the key (it took it over): only the resource is recorded */
  owned: boolean;
}

/**
 * CTEs `key_insert`, `key_resource` and `key_held`; `key_held` has a row when this request holds
 * the key: it claimed it now, or already held it (`owned`).
 *
 * A new key is inserted; a row left by an expired key is reused; a live key (a twin request
 * claimed it since this one's lookup) is not even tried: ON CONFLICT DO UPDATE locks the row it
 * finds even when its WHERE refuses the update, which would make every lost claim a write.
 */
export function claimKeyCtes(at: Placeholders<ClaimKeyParams>): string {
  return `key_insert as (
    insert into idempotency_keys as k (principal, route, key, fingerprint, state, locked_until, resource_id,
                                       response_status, response_body, created_at, expires_at)
    select ${at.principal}::text, ${at.route}::text, ${at.key}::text, ${at.fingerprint}::text, 'in_progress',
           ${at.lockedUntil}::timestamptz, ${at.resourceId}::text, null, null,
           ${at.now}::timestamptz, ${at.expiresAt}::timestamptz
    where not ${at.owned}::boolean and not exists (
      select 1 from idempotency_keys
      where principal = ${at.principal}::text and route = ${at.route}::text and key = ${at.key}::text
        and expires_at >= ${at.now}::timestamptz)
    on conflict (principal, route, key) do update set
      fingerprint = excluded.fingerprint, state = excluded.state, locked_until = excluded.locked_until,
      resource_id = excluded.resource_id, response_status = null, response_body = null,
      created_at = excluded.created_at, expires_at = excluded.expires_at
    where k.expires_at < ${at.now}::timestamptz
    returning key),
  key_resource as (
    update idempotency_keys set resource_id = ${at.resourceId}::text
    where ${at.owned}::boolean
      and principal = ${at.principal}::text and route = ${at.route}::text and key = ${at.key}::text),
  key_held as (select 1 from key_insert union all select 1 where ${at.owned}::boolean)`;
}

/** The claim's parameters as $1–$9: a statement that embeds claimKeyCtes numbers its own from $10. */
export const CLAIM_KEY_ORDER = {
  principal: 1,
  route: 2,
  key: 3,
  fingerprint: 4,
  lockedUntil: 5,
  resourceId: 6,
  now: 7,
  expiresAt: 8,
  owned: 9,
} as const;

export const claimKey = defineStatement<ClaimKeyParams, { held: boolean }>(
  'idempotency_claim',
  CLAIM_KEY_ORDER,
  (at) => `with ${claimKeyCtes(at)} select exists (select 1 from key_held) as held`,
);
