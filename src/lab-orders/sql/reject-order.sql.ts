/**
 * Junction's refusal of an order still `submitting` as one statement: the order becomes
 * `rejected` with the reason, and its `lab_order.rejected` event (with its fan-out) is written
 * only if it did. The caller holds the order's row lock.
 */
import { defineStatement } from '../../db/statements.js';
import { newEventCtes, type EventParams } from '../../events/record.js';

export interface RejectOrderParams extends EventParams {
  orderId: string;
  /** JSON: { statusCode, reason } */
  rejection: string;
  updatedAt: string;
}

export const rejectOrder = defineStatement<RejectOrderParams, { updated: boolean }>(
  'lab_order_reject',
  {
    orderId: 1,
    rejection: 2,
    updatedAt: 3,
    eventId: 4,
    eventType: 5,
    eventBrandId: 6,
    eventWorkspaceId: 7,
    eventAt: 8,
    eventData: 9,
  },
  (at) => `with rejected as (
    update lab_orders
    set status = 'rejected', status_detail = null, rejection = ${at.rejection}::jsonb, updated_at = ${at.updatedAt}::timestamptz
    where id = ${at.orderId}::uuid and status = 'submitting'
    returning id),
  ${newEventCtes(at, 'exists (select 1 from rejected)')}
  select exists (select 1 from rejected) as updated`,
);
