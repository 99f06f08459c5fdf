/** Rows → API bodies, and the opaque keyset cursor. */
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
