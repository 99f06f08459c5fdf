/** Rows → API bodies, and the opaque keyset cursor. */
import { previousValues, type NewEvent } from '../events/record.js';
import { cursorCodec } from '../http/cursor.js';
import { isCorrection, isRedrawAvailable } from '../junction/order-statuses.js';
import type { LabOrderEventRow, LabOrderRow } from './orders-repository.js';
import type { LabOrderEventType } from './events.js';
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
  const type =
    before.status !== after.status
      ? before.status !== 'submitting'
        ? 'lab_order.status_changed'
        : after.status === 'rejected'
          ? 'lab_order.rejected'
          : 'lab_order.created'
      : sameStatusEvent(before, after);
  if (type === null) return null;
  const object = toSummary(after);
  return {
    type,
    brandId: after.brandId,
    at: after.updatedAt,
    object,
    previous: previousValues(toSummary(before), object),
  };
}

/**
 * The event of a change within one top-level status, or null (docs/events.md): a correction of a
 * completed order's results (`completed.*.corrected`, each one later than the last) is
 * `lab_order.results_corrected`; `redraw_available` is `lab_order.status_changed`, since the
 * results are there although Junction keeps the order `collecting_sample`.
 */
function sameStatusEvent(before: LabOrderRow, after: LabOrderRow): LabOrderEventType | null {
  const later = (after.statusAt?.getTime() ?? 0) > (before.statusAt?.getTime() ?? 0);
  if (after.status === 'completed' && isCorrection(after.statusDetail) && later)
    return 'lab_order.results_corrected';
  if (isRedrawAvailable(after.statusDetail) && !isRedrawAvailable(before.statusDetail))
    return 'lab_order.status_changed';
  return null;
}
