/**
 * Storing a request's final response under its Idempotency-Key, for replay: as a statement of its
 * own (`completeKey`), or as a CTE of the statement that writes what the response says
 * (`completeKeyUpdate`, the lab-order create's apply-junction-order.sql.ts).
 */
import { defineStatement, type Placeholders } from '../../db/statements.js';

export interface CompleteKeyParams {
  /** null: no key to complete (the statement that embeds this writes nothing to the keys) */
  principal: string | null;
  route: string | null;
  key: string | null;
  responseStatus: number | null;
  responseBody: string | null;
}

/** The UPDATE that completes the key, only if `when` (an SQL condition) holds. */
export function completeKeyUpdate(at: Placeholders<CompleteKeyParams>, when = 'true'): string {
  return `update idempotency_keys
    set state = 'completed', response_status = ${at.responseStatus}::integer,
        response_body = ${at.responseBody}::text, locked_until = null
    where principal = ${at.principal}::text and route = ${at.route}::text and key = ${at.key}::text
      and ${when}`;
}

export const completeKey = defineStatement<CompleteKeyParams, never>(
  'idempotency_complete',
  { principal: 1, route: 2, key: 3, responseStatus: 4, responseBody: 5 },
  (at) => completeKeyUpdate(at),
);
