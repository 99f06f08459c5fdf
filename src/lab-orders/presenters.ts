/** Rows → API bodies, and the opaque keyset cursor. */
import { previousValues, type NewEvent } from '../events/record.js';
import { cursorCodec } from '../http/cursor.js';
import type { LabOrderEventRow, LabOrderRow } from './orders-repository.js';
import type { LabOrderDetail, LabOrderSummary } from './schemas.js';

export function toSummary(row: LabOrderRow): LabOrderSummary {
  return {
    id: row.id,
    brand_id: row.brandId,
    patient_id: row.patientId,
    junction_order_id: row.junctionOrderId,
    panel_id: row.panelId,
    status: row.status,
    status_detail: row.statusDetail,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    completed_at: row.completedAt ? row.completedAt.toISOString() : null,
  };
}

export function toDetail(row: LabOrderRow, events: LabOrderEventRow[]): LabOrderDetail {
  return {
    ...toSummary(row),
    events: events.map((e) => ({
      status: e.status,
      status_detail: e.statusDetail,
      source: e.source,
      occurred_at: e.occurredAt.toISOString(),
    })),
  };
}

/** The list's cursor: the last row's (created_at, id), decoded strictly (src/http/cursor.ts). */
export const ORDER_CURSOR = cursorCodec('timestamp', 'uuid');

/**
 * The event of an order's change (docs/events.md), or null when its status stays: `lab_order.created`
 * when Junction accepted a submitting order, `lab_order.rejected` when it refused it,
 * `lab_order.status_changed` for every later status. The object is the order as reads show it
 * (without its history).
 */
export function orderChangeEvent(before: LabOrderRow, after: LabOrderRow): NewEvent | null {
  if (before.status === after.status) return null;
  const type =
    before.status !== 'submitting'
      ? 'lab_order.status_changed'
      : after.status === 'rejected'
        ? 'lab_order.rejected'
        : 'lab_order.created';
  const object = toSummary(after);
  return {
    type,
    brandId: after.brandId,
    at: after.updatedAt,
    object,
    previous: previousValues(toSummary(before), object),
  };
}
