/**
 * Junction's view of an order written as one statement (the only writer of it): the order's new
 * values, Junction's events not stored yet (matched by detail and time, kept in Junction's order),
 * the Idempotency-Key's stored response when a create is answering (completeKeyUpdate), and the
 * order's event with its webhook fan-out (newEventCtes).
 *
 * `ifSubmitting`: the order is not locked (the create's answer, for the order this request has just
 * inserted); the update applies only while the order is still `submitting` without a Junction id,
 * and everything else only if it did. Otherwise the caller holds the order's row lock, and the
 * values given are the row as locked with the change applied.
 */
import { defineStatement } from '../../db/statements.js';
import { newEventCtes, type EventParams } from '../../events/record.js';
import { completeKeyUpdate, type CompleteKeyParams } from '../../idempotency/sql/complete-key.sql.js';

export interface ApplyJunctionOrderParams extends CompleteKeyParams, EventParams {
  orderId: string;
  /** false: the order's values stay (only events and the stored response are written) */
  update: boolean;
  ifSubmitting: boolean;
  status: string;
  statusDetail: string | null;
  statusAt: string | null;
  junctionOrderId: string | null;
  junctionUserId: string | null;
  completedAt: string | null;
  updatedAt: string;
  /** Junction's events, in its order: a JSON array of { status, status_detail, occurred_at } */
  history: string;
}

export const applyJunctionOrder = defineStatement<ApplyJunctionOrderParams, { written: boolean }>(
  'lab_order_apply_junction',
  {
    orderId: 1,
    update: 2,
    ifSubmitting: 3,
    status: 4,
    statusDetail: 5,
    statusAt: 6,
    junctionOrderId: 7,
    junctionUserId: 8,
    completedAt: 9,
    updatedAt: 10,
    history: 11,
    principal: 12,
    route: 13,
    key: 14,
    responseStatus: 15,
    responseBody: 16,
    eventId: 17,
    eventType: 18,
    eventBrandId: 19,
    eventWorkspaceId: 20,
    eventAt: 21,
    eventData: 22,
  },
  (at) => `with upd as (
    update lab_orders
    set status = ${at.status}::text, status_detail = ${at.statusDetail}::text, status_at = ${at.statusAt}::timestamptz,
        junction_order_id = ${at.junctionOrderId}::text, junction_user_id = ${at.junctionUserId}::text,
        completed_at = ${at.completedAt}::timestamptz, updated_at = ${at.updatedAt}::timestamptz
    where id = ${at.orderId}::uuid and ${at.update}::boolean
      and (not ${at.ifSubmitting}::boolean or (status = 'submitting' and junction_order_id is null))
    returning id),
  written as (select 1 where not ${at.ifSubmitting}::boolean or exists (select 1 from upd)),
  history as (
    insert into lab_order_events (order_id, status, status_detail, source, occurred_at)
    select ${at.orderId}::uuid, e.v->>'status', e.v->>'status_detail', 'junction', (e.v->>'occurred_at')::timestamptz
    from jsonb_array_elements(${at.history}::jsonb) with ordinality as e (v, n)
    where exists (select 1 from written) and not exists (
      select 1 from lab_order_events x
      where x.order_id = ${at.orderId}::uuid and x.status_detail = e.v->>'status_detail'
        and x.occurred_at = (e.v->>'occurred_at')::timestamptz)
    order by e.n),
  key_completion as (${completeKeyUpdate(at, 'exists (select 1 from written)')}),
  ${newEventCtes(at, 'exists (select 1 from written)')}
  select exists (select 1 from written) as written`,
);
